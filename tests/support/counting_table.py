"""A boto3 DynamoDB table that counts the calls made to it: how the contract tests hold an adapter
to its number of round trips."""

from __future__ import annotations


class CountingTable:
    """The boto3 table, counting the calls made to it."""

    def __init__(self, table) -> None:
        self._table, self.name, self.meta, self.calls = table, table.name, table.meta, 0

    def __getattr__(self, operation):
        call = getattr(self._table, operation)

        def counted(**kwargs):
            self.calls += 1
            return call(**kwargs)

        return counted
