"""The order a WebSocket connection named when it connected (solroute.ports.ConnectionRepository)."""

from __future__ import annotations

from typing import Any

from solroute.dal.dynamodb.table import Table
from solroute.dex.faults import NO_FAULTS, FaultPlan


class DynamoConnectionRepository:
    def __init__(self, table: Any, now_seconds: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)
        self.now_seconds = now_seconds

    def add(self, connection_id: str, order_id: str, expires_at: int) -> None:
        self.table.put_item(Item={"connectionId": connection_id, "orderId": order_id, "expiresAt": expires_at})

    def orders_for(self, connection_id: str) -> list[str]:
        items: list[dict] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": "connectionId = :c", "ExpressionAttributeValues": {":c": connection_id}}
        while True:
            result = self.table.query(**kwargs)
            items.extend(result.get("Items", []))
            if "LastEvaluatedKey" not in result:
                break
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]
        # TTL deletes lag behind expiry (up to days): an expired item is treated as gone.
        return [i["orderId"] for i in items if int(i.get("expiresAt", 0)) > self.now_seconds()]
