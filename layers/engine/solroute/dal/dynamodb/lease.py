"""The trigger loop's lease: one runner at a time (solroute.ports.Lease)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.table import Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan


class DynamoLease:
    """A lease as one item of the rate-limit table (key ``trigger#lease``): whoever holds it
    runs the trigger; one that is not released (a crashed run) lapses at its time."""

    def __init__(self, table: Any, key: str = "trigger#lease", faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)
        self.key = key

    def acquire(self, holder: str, until_ms: int, now_ms: int) -> bool:
        try:
            self.table.put_item(
                Item={"bucket": self.key, "holder": holder, "untilMs": until_ms},
                ConditionExpression="attribute_not_exists(#bucket) OR untilMs < :now",
                ExpressionAttributeNames={"#bucket": "bucket"},
                ExpressionAttributeValues={":now": now_ms},
            )
            return True
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise

    def release(self, holder: str) -> None:
        try:
            self.table.delete_item(Key={"bucket": self.key}, ConditionExpression="holder = :me", ExpressionAttributeValues={":me": holder})
        except ClientError as error:
            if not conditional_failed(error):
                raise
