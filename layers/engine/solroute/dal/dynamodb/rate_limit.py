"""The execution rate limiter's state (solroute.ports.RateLimitStore)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.table import Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan


class DynamoRateLimitStore:
    """The limiter's state as one binary attribute on the item keyed ``bucket`` (the table's
    key name from its token-bucket days)."""

    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def read(self, key: str) -> tuple[bytes, int] | None:
        item = self.table.get_item(Key={"bucket": key}, ConsistentRead=True).get("Item")
        if not item:
            return None
        state = item.get("state", b"")
        return bytes(getattr(state, "value", state)), int(item["version"])

    def write_if_unchanged(self, key: str, state: bytes, version: int) -> bool:
        condition = (
            {"ConditionExpression": "attribute_not_exists(#bucket)", "ExpressionAttributeNames": {"#bucket": "bucket"}}
            if version == 0
            else {
                "ConditionExpression": "#version = :v",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":v": version},
            }
        )
        try:
            self.table.put_item(Item={"bucket": key, "state": state, "version": version + 1}, **condition)
            return True
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
