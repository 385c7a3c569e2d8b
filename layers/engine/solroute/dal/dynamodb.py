"""DynamoDB adapters for the ports in solroute.dal.ports."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.ports import Page
from solroute.models.errors import AttemptsExhausted, InvalidRequest, StaleOrder
from solroute.models.order import Order

WALLET_INDEX = "byWallet"
ORDER_INDEX = "byOrder"
FINAL_STATUSES = ("confirmed", "failed")


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


# Attributes DynamoDB itself looks at: the key, the wallet index, conditions, the stream
# filter, the attempt counter. Everything else travels in one JSON document attribute: a
# nested history/quotes/result tree as typed maps costs every reader (SDKs, streams, the
# local moto) far more to encode and decode, and DynamoDB never needs to look inside it.
TOP_LEVEL = ("orderId", "status", "seq", "wallet", "createdAt", "statusAtMs", "attempts", "attemptStartedAtMs", "lastChange")


def order_to_item(order: Order) -> dict:
    # JSON mode keeps every Decimal as its exact decimal string; a missing wallet is left
    # out so the order stays out of the wallet index.
    data = order.model_dump(mode="json")
    item = {k: data.pop(k) for k in TOP_LEVEL if data.get(k) is not None}
    item["doc"] = json.dumps({k: v for k, v in data.items() if v is not None and k not in TOP_LEVEL}, separators=(",", ":"))
    return item


def item_to_order(item: dict) -> Order:
    data = {k: v for k, v in item.items() if k != "doc"}
    data.update(json.loads(item["doc"]))
    return Order.model_validate(data)


class DynamoOrderRepository:
    def __init__(self, table: Any) -> None:
        self.table = table

    def create(self, order: Order) -> None:
        self.table.put_item(Item=order_to_item(order), ConditionExpression="attribute_not_exists(orderId)")

    def get(self, order_id: str) -> Order | None:
        item = self.table.get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
        return item_to_order(item) if item else None

    def save_transition(self, before: Order, after: Order) -> None:
        try:
            self.table.put_item(
                Item=order_to_item(after),
                ConditionExpression="#status = :status AND seq = :seq",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":status": before.status.value, ":seq": before.seq},
            )
        except ClientError as error:
            if _conditional_failed(error):
                raise StaleOrder(f"order {before.orderId} is no longer {before.status.value} at seq {before.seq}") from error
            raise

    def record_attempt(self, order_id: str, max_attempts: int, now_ms: int) -> Order:
        try:
            item = self.table.update_item(
                Key={"orderId": order_id},
                UpdateExpression=(
                    "SET attempts = attempts + :one, lastChange = :attempt,"
                    " attemptStartedAtMs = list_append(if_not_exists(attemptStartedAtMs, :none), :now)"
                ),
                ConditionExpression="attempts < :max AND NOT #status IN (:confirmed, :failed)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":one": 1,
                    ":max": max_attempts,
                    ":attempt": "attempt",
                    ":none": [],
                    ":now": [now_ms],
                    ":confirmed": FINAL_STATUSES[0],
                    ":failed": FINAL_STATUSES[1],
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            current = self.get(order_id)
            if current is not None and not current.is_final:
                raise AttemptsExhausted(f"order {order_id} used its {max_attempts} attempts") from error
            raise StaleOrder(f"order {order_id} is already final") from error
        return item_to_order(item)

    def list_by_wallet(self, wallet: str, limit: int, cursor: str | None) -> Page:
        kwargs: dict[str, Any] = {
            "IndexName": WALLET_INDEX,
            "KeyConditionExpression": "wallet = :wallet",
            "ExpressionAttributeValues": {":wallet": wallet},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, wallet)
        result = self.table.query(**kwargs)
        last = result.get("LastEvaluatedKey")
        return Page([item_to_order(i) for i in result.get("Items", [])], _encode_cursor(last) if last else None)


def _encode_cursor(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, wallet: str) -> dict:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest("cursor is not one this API issued", {"cursor": cursor}) from error
    if not isinstance(key, dict) or set(key) != {"orderId", "wallet", "createdAt"} or key.get("wallet") != wallet:
        raise InvalidRequest("cursor is not one this API issued for this wallet", {"cursor": cursor})
    if not all(isinstance(v, str) for v in key.values()):
        raise InvalidRequest("cursor is not one this API issued", {"cursor": cursor})
    return key


class DynamoConnectionRepository:
    def __init__(self, table: Any, now_seconds: Any) -> None:
        self.table = table
        self.now_seconds = now_seconds

    def add(self, connection_id: str, order_id: str, expires_at: int) -> None:
        self.table.put_item(Item={"connectionId": connection_id, "orderId": order_id, "expiresAt": expires_at})

    def remove(self, connection_id: str, order_id: str) -> None:
        self.table.delete_item(Key={"connectionId": connection_id, "orderId": order_id})

    def remove_connection(self, connection_id: str) -> int:
        order_ids = self.orders_for(connection_id, include_expired=True)
        with self.table.batch_writer() as batch:
            for order_id in order_ids:
                batch.delete_item(Key={"connectionId": connection_id, "orderId": order_id})
        return len(order_ids)

    def orders_for(self, connection_id: str, include_expired: bool = False) -> list[str]:
        items = self._query(KeyConditionExpression="connectionId = :c", ExpressionAttributeValues={":c": connection_id})
        return [i["orderId"] for i in items if include_expired or self._live(i)]

    def connections_for(self, order_id: str) -> list[str]:
        items = self._query(
            IndexName=ORDER_INDEX, KeyConditionExpression="orderId = :o", ExpressionAttributeValues={":o": order_id}
        )
        return [i["connectionId"] for i in items if self._live(i)]

    def _live(self, item: dict) -> bool:
        # TTL deletes lag behind expiry (up to days): an expired item is treated as gone.
        return int(item.get("expiresAt", 0)) > self.now_seconds()

    def _query(self, **kwargs: Any) -> list[dict]:
        items: list[dict] = []
        while True:
            result = self.table.query(**kwargs)
            items.extend(result.get("Items", []))
            if "LastEvaluatedKey" not in result:
                return items
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]


class DynamoRateLimitStore:
    def __init__(self, table: Any) -> None:
        self.table = table

    def read(self, bucket: str) -> tuple[Decimal, int, int] | None:
        item = self.table.get_item(Key={"bucket": bucket}, ConsistentRead=True).get("Item")
        return (Decimal(item["tokens"]), int(item["updatedAtMs"]), int(item["version"])) if item else None

    def write_if_unchanged(self, bucket: str, tokens: Decimal, updated_at_ms: int, version: int) -> bool:
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
            self.table.put_item(
                Item={"bucket": bucket, "tokens": str(tokens), "updatedAtMs": updated_at_ms, "version": version + 1}, **condition
            )
            return True
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise


class DynamoChainLedger:
    def __init__(self, table: Any) -> None:
        self.table = table

    def put_if_absent(self, signature: str, record: dict) -> bool:
        try:
            self.table.put_item(Item={**record, "signature": signature}, ConditionExpression="attribute_not_exists(signature)")
            return True
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise

    def get(self, signature: str) -> dict | None:
        return self.table.get_item(Key={"signature": signature}, ConsistentRead=True).get("Item")
