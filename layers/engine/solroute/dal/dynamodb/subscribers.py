"""Who follows an order, on the order's own item (solroute.ports.SubscriberStore)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.items import FINAL_NAMES, NOT_FINAL, SUBSCRIBERS, item_to_order, subscriber_name
from solroute.dal.dynamodb.table import WIRE, Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.errors import TooManySubscribers
from solroute.models.order import Order
from solroute.models.status import FINAL_STATUS_NAMES
from solroute.ports import MAX_SUBSCRIBERS


class DynamoSubscribers:
    """Subscriptions kept on the order items (see SubscriberStore)."""

    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def subscribe(self, connection_id: str, order_id: str, expires_at: int, owner: str, key_id: str | None = None) -> Order | None:
        try:
            item = self.table.update_item(
                Key={"orderId": order_id},
                # Not a status change: lastChange keeps the stream filter from broadcasting it.
                UpdateExpression=f"SET {SUBSCRIBERS}.#connection = :expires, lastChange = :subscribed",
                ConditionExpression=(
                    f"attribute_exists(orderId) AND #owner = :owner AND {NOT_FINAL}"
                    f" AND (size({SUBSCRIBERS}) < :max OR attribute_exists({SUBSCRIBERS}.#connection))"
                ),
                ExpressionAttributeNames={"#connection": subscriber_name(connection_id, key_id), "#status": "status", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":expires": expires_at, ":subscribed": "subscribers", ":max": MAX_SUBSCRIBERS, ":owner": owner, **FINAL_NAMES,
                },  # fmt: skip
                ReturnValues="ALL_NEW",
                # A refusal's answer holds the item as the condition saw it: why it was refused
                # costs no second read.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except ClientError as error:
            if not conditional_failed(error):
                raise
            stored = error.response.get("Item")
            item = {name: WIRE.deserialize(value) for name, value in stored.items()} if stored else None
            if item is None or item.get("owner") != owner:
                return None  # another owner's order is no such order, as on the HTTP API
            if item.get("status") in FINAL_STATUS_NAMES:
                return item_to_order(item)
            raise TooManySubscribers(f"order {order_id} already has {MAX_SUBSCRIBERS} subscribers", {"orderId": order_id}) from error
        return item_to_order(item)

    def unsubscribe(self, connection_id: str, order_id: str, expiring_before: int | None = None, key_id: str | None = None) -> None:
        condition = f"attribute_exists({SUBSCRIBERS}.#connection)"
        values: dict[str, Any] = {":unsubscribed": "subscribers"}
        if expiring_before is not None:
            condition = f"{SUBSCRIBERS}.#connection < :before"
            values[":before"] = expiring_before
        try:
            self.table.update_item(
                Key={"orderId": order_id},
                UpdateExpression=f"REMOVE {SUBSCRIBERS}.#connection SET lastChange = :unsubscribed",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#connection": subscriber_name(connection_id, key_id)},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
