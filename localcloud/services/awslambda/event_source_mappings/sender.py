"""The Lambda side of every event source mapping: invoke the function with a batch and read its
answer as Lambda reads it (awslambda/constants.py, REPORT_BATCH_ITEM_FAILURES)."""

from __future__ import annotations

from dataclasses import dataclass

from localcloud.services.awslambda.event_source_mappings.base import SourceStats
from localcloud.services.awslambda.runtime import Invocation, LocalFunction


@dataclass(frozen=True)
class BatchOutcome:
    """What an invocation did to its batch: all of it succeeded, some records failed (their ids),
    or the whole batch failed (and why, when the function itself did not fail)."""

    failed_ids: frozenset[str] = frozenset()
    whole_batch_failed: bool = False
    reason: str = ""


def read_batch_response(invocation: Invocation, reports_failures: bool, batch_ids: list[str]) -> BatchOutcome:
    """A response that names no record of the batch, or is not an EventResponse at all, fails the
    whole batch: Lambda retries it rather than taking it for a success."""
    if not invocation.ok:
        return BatchOutcome(whole_batch_failed=True)
    response = invocation.result
    if not reports_failures or response is None:
        return BatchOutcome()
    if not isinstance(response, dict):
        return BatchOutcome(whole_batch_failed=True, reason=f"the response is not an object: {response!r}")
    failures = response.get("batchItemFailures")
    if failures is None:
        return BatchOutcome()
    if not isinstance(failures, list):
        return BatchOutcome(whole_batch_failed=True, reason=f"batchItemFailures is not a list: {failures!r}")
    ids = set(batch_ids)
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in ids:
            return BatchOutcome(whole_batch_failed=True, reason=f"batchItemFailures names no record of the batch: {failure!r}")
    return BatchOutcome(failed_ids=frozenset(f["itemIdentifier"] for f in failures))


class BatchSender:
    """Sends batches to one function and counts them in its source's stats."""

    def __init__(self, function: LocalFunction, reports_failures: bool, stats: SourceStats) -> None:
        self.function = function
        self.reports_failures = reports_failures
        self.stats = stats

    async def send(self, event: dict, batch_ids: list[str]) -> tuple[Invocation, BatchOutcome]:
        """Invoke with ``event``, whose records have ``batch_ids`` (the ids a response may name)."""
        invocation = await self.function.invoke(event)
        outcome = read_batch_response(invocation, self.reports_failures, batch_ids)
        self.stats.batches += 1
        if outcome.whole_batch_failed or outcome.failed_ids:
            self.stats.failed_batches += 1
        if outcome.reason:
            self.function.log(invocation.request_id, f"the whole batch failed, as on Lambda: {outcome.reason}")
        return invocation, outcome
