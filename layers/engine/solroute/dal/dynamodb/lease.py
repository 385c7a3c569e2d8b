"""The trigger loop's lease: one runner at a time (solroute.ports.Lease)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.table import Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan


class DynamoLease:
    """A lease as one item of the rate-limit table (key ``trigger#lease``): whoever holds it
    runs the trigger; one that is not released (a crashed run) lapses at its time. The item
    outlives its holders: it keeps ``passedAtMs``, when a run last judged every open order, and
    each acquire reads it back from the same write (won or lost), at no extra call."""

    def __init__(self, table: Any, key: str = "trigger#lease", faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)
        self.key = key
        self.passed_at_ms: int | None = None  # as the last acquire found it

    def acquire(self, holder: str, until_ms: int, now_ms: int) -> bool:
        try:
            answer = self.table.update_item(
                Key={"bucket": self.key},
                UpdateExpression="SET holder = :me, untilMs = :until",
                ConditionExpression="attribute_not_exists(holder) OR untilMs < :now",
                ExpressionAttributeValues={":me": holder, ":until": until_ms, ":now": now_ms},
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            self._read_pass(answer.get("Attributes") or {})
            return True
        except ClientError as error:
            if conditional_failed(error):
                self._read_pass(error.response.get("Item") or {})
                return False
            raise

    def release(self, holder: str, passed_at_ms: int | None = None) -> None:
        try:
            update, values = "REMOVE holder, untilMs", {":me": holder}
            if passed_at_ms is not None:
                update, values[":passed"] = "SET passedAtMs = :passed " + update, passed_at_ms
            self.table.update_item(
                Key={"bucket": self.key}, UpdateExpression=update, ConditionExpression="holder = :me", ExpressionAttributeValues=values
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise

    def _read_pass(self, item: dict) -> None:
        """``item`` as the resource API or a condition failure's wire answer gives it."""
        passed = item.get("passedAtMs")
        if isinstance(passed, dict):  # {"N": "..."}: the error's answer is not deserialized
            passed = passed.get("N")
        self.passed_at_ms = int(passed) if passed is not None else None
