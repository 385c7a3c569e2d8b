"""Each API key's open WebSocket connections, as items of the connections table: partition
``key#<keyId>``, one item per connection (its id in the sort key), expiring with it.

Counting is a strongly consistent Query of the key's partition after the connection's own item
is written: two connections that open at once each count the other, so the cap is never passed
(at worst both are refused and retry). The items are small, so the Query reads about 60 of them
per read unit."""

from __future__ import annotations

from typing import Any, Callable

from solroute.dal.dynamodb import _Table
from solroute.dex.faults import NO_FAULTS, FaultPlan

# The connections table's key names: ``connectionId`` (here the key's partition) and ``orderId``
# (here the connection's id). A real connection id never starts with "key#".
PARTITION, SORT = "connectionId", "orderId"


def _partition(key_id: str) -> str:
    return f"key#{key_id}"


class DynamoKeyConnections:
    def __init__(self, table: Any, now_seconds: Callable[[], int], faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)
        self.now_seconds = now_seconds

    def open(self, key_id: str, connection_id: str, expires_at: int) -> int:
        self.table.put_item(Item={PARTITION: _partition(key_id), SORT: connection_id, "expiresAt": expires_at})
        count, kwargs = 0, {
            "KeyConditionExpression": f"{PARTITION} = :key",
            # TTL deletes lag behind expiry (up to days): an expired item is a closed connection.
            "FilterExpression": "expiresAt > :now",
            "ExpressionAttributeValues": {":key": _partition(key_id), ":now": self.now_seconds()},
            "Select": "COUNT",
            "ConsistentRead": True,
        }
        while True:
            page = self.table.query(**kwargs)
            count += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return count
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def close(self, key_id: str, connection_id: str) -> None:
        self.table.delete_item(Key={PARTITION: _partition(key_id), SORT: connection_id})
