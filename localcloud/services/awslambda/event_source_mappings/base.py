"""The one interface of every event source the local cloud runs, and what each one counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class SourceStats:
    # Calls to the source's own service ("sqs.ReceiveMessage", "dynamodb-streams.GetRecords"...),
    # as that service would bill them.
    calls: Counter[str] = field(default_factory=Counter)
    batches: int = 0  # invocations made with a batch
    failed_batches: int = 0  # of those, the ones with records to retry (all or some)
    records_discarded: int = 0  # records given up on (a stream's retries or record age)


class EventSource(Protocol):
    """Reads one source (a queue, a stream, a schedule) and invokes one function with what it reads."""

    @property
    def unsupported(self) -> str | None:
        """Why the local cloud does not run this source as configured, or None when it does."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Stop reading; what is being delivered finishes first (drain)."""
        ...

    def stats(self) -> SourceStats: ...

    def describe(self) -> str:
        """One line for the start-up log: what is read, by which function, with which settings."""
        ...
