"""The order repository on DynamoDB (solroute.ports.OrderRepository)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.items import (
    FINAL_NAMES,
    MAX_LIST_QUERIES,
    NOT_FINAL,
    OPEN_INDEX,
    OPEN_KEY,
    OWNER_INDEX,
    PENDING,
    START_DEADLINE_INDEX,
    STRATEGY,
    SUBSCRIBERS,
    SWEEP_KEY,
    WATCH,
    index_changes,
    item_to_order,
    open_partition,
    order_to_item,
    watched_of,
)  # fmt: skip
from solroute.dal.dynamodb.table import Table, conditional_failed, put_if_absent
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.errors import DuplicateOrder, InvalidRequest, StaleOrder
from solroute.models.order import Order
from solroute.ports import OpenOrders, Page, WatchedOrder, attempt_refused, counted_attempt


class DynamoOrderRepository:
    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def create(self, order: Order) -> None:
        if not put_if_absent(self.table, {**order_to_item(order), SUBSCRIBERS: {}}, "orderId"):
            raise DuplicateOrder(f"order {order.orderId} already exists")

    def get(self, order_id: str) -> Order | None:
        item = self.table.get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
        return item_to_order(item) if item else None

    def save_transition(self, before: Order, after: Order, deadline_passed_at_ms: int | None = None) -> None:
        # Only what a status change changes, conditioned on every field that changes outside
        # status changes: the attempt counter too, so a copy read before another delivery's
        # attempt cannot put the counter back. An update, not a put: the subscribers on the
        # item are the WebSocket function's to change, and stay as they are.
        item = order_to_item(after)
        sets, removes, index_values = index_changes(before, item)
        expression = "SET #status = :to, seq = :to_seq, statusAtMs = :at, doc = :doc, lastChange = :status_change" + sets
        values = {
            ":status": before.status.value, ":seq": before.seq, ":attempts": before.attempts,
            ":to": item["status"], ":to_seq": item["seq"], ":at": item["statusAtMs"], ":doc": item["doc"], ":status_change": "status",
            **index_values,
        }  # fmt: skip
        if after.attempts != before.attempts:  # a limit order back to open starts its attempts afresh
            expression += ", attempts = :to_attempts, attemptStartedAtMs = :to_started"
            values.update({":to_attempts": after.attempts, ":to_started": after.attemptStartedAtMs})
        condition = "#status = :status AND seq = :seq AND attempts = :attempts"
        if deadline_passed_at_ms is not None:
            condition += " AND startDeadlineMs <= :deadline_passed_at"
            values[":deadline_passed_at"] = deadline_passed_at_ms
        try:
            self.table.update_item(
                Key={"orderId": after.orderId},
                UpdateExpression=expression + removes,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if conditional_failed(error):
                raise StaleOrder(f"order {before.orderId} is no longer {before.status.value} at seq {before.seq}") from error
            raise

    def record_attempt(self, order: Order, max_attempts: int, now_ms: int, moving_to: Order | None = None) -> Order:
        expression = "SET attempts = attempts + :one, attemptStartedAtMs = list_append(if_not_exists(attemptStartedAtMs, :none), :now)"
        # The counter it was read at, too: two deliveries holding the same copy must not both
        # count an attempt (each would then believe in a counter the item does not hold).
        condition = f"#status = :status AND seq = :seq AND attempts = :attempts AND attempts < :max AND {NOT_FINAL}"
        values: dict[str, Any] = {
            ":one": 1, ":max": max_attempts, ":none": [], ":now": [now_ms], ":attempts": order.attempts,
            ":status": order.status.value, ":seq": order.seq, **FINAL_NAMES,
        }  # fmt: skip
        if moving_to is None:
            # Not a status change: lastChange keeps the stream filter from broadcasting it.
            expression += ", lastChange = :attempt"
            values[":attempt"] = "attempt"
        else:  # the status change this attempt begins, in the same write
            item = order_to_item(moving_to)
            sets, removes, index_values = index_changes(order, item)
            expression += ", #status = :to, seq = :to_seq, statusAtMs = :at, doc = :doc, lastChange = :status_change" + sets + removes
            values.update({
                ":to": item["status"], ":to_seq": item["seq"], ":at": item["statusAtMs"], ":doc": item["doc"], ":status_change": "status",
                **index_values,
            })  # fmt: skip
        try:
            self.table.update_item(
                Key={"orderId": order.orderId},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            raise attempt_refused(order, self.get(order.orderId), max_attempts) from error
        return counted_attempt(order, now_ms, moving_to)

    def extend_start_deadline(self, order: Order, start_deadline_ms: int) -> bool:
        try:
            self.table.update_item(
                Key={"orderId": order.orderId},
                # Not a status change: lastChange keeps the stream filter from broadcasting it.
                UpdateExpression="SET startDeadlineMs = :deadline, lastChange = :deadline_change",
                ConditionExpression="#status = :pending AND seq = :seq",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":deadline": start_deadline_ms, ":deadline_change": "deadline", ":pending": PENDING, ":seq": order.seq},
            )
            return True
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise

    def pending_past_deadline(self, now_ms: int, limit: int) -> list[str]:
        result = self.table.query(
            IndexName=START_DEADLINE_INDEX,
            KeyConditionExpression="#sweep = :pending AND startDeadlineMs <= :now",
            ExpressionAttributeNames={"#sweep": SWEEP_KEY},
            ExpressionAttributeValues={":pending": PENDING, ":now": now_ms},
            Limit=limit,
        )
        return [item["orderId"] for item in result.get("Items", [])]

    def open_orders(self, limit: int, cursor: Any = None) -> OpenOrders:
        # A Scan of the sparse index reads only open orders (every key's partition), a page of
        # up to 1 MB per call; the trigger asks for a bounded number a tick and goes on from the
        # cursor at the next one.
        watched: list[WatchedOrder] = []
        while len(watched) < limit:
            result = self.table.scan(IndexName=OPEN_INDEX, Limit=limit - len(watched), **({"ExclusiveStartKey": cursor} if cursor else {}))
            watched += [watched_of(item) for item in result.get("Items", []) if WATCH in item]
            cursor = result.get("LastEvaluatedKey")
            if cursor is None:
                break
        return OpenOrders(watched, cursor)

    def count_open(self, key_id: str, at_most: int) -> int:
        return self._count(open_partition(key_id), at_most)

    def count_strategies(self, key_id: str, at_most: int) -> int:
        return self._count(open_partition(key_id, STRATEGY), at_most)

    def _count(self, partition: str, at_most: int) -> int:
        result = self.table.query(
            IndexName=OPEN_INDEX,
            KeyConditionExpression="#open = :key",
            ExpressionAttributeNames={"#open": OPEN_KEY},
            ExpressionAttributeValues={":key": partition},
            Select="COUNT",
            Limit=at_most,
        )
        return int(result.get("Count", 0))

    def list_by_owner(self, owner: str, limit: int, cursor: str | None, wallet: str | None = None) -> Page:
        # The index holds keys, createdAt and wallet only, none of which a status change touches:
        # an order costs the index one write, when it is created. The page's orders are then
        # read whole in one BatchGetItem.
        kwargs: dict[str, Any] = {
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":owner": owner},
            "ScanIndexForward": False,
        }
        if wallet:
            kwargs["FilterExpression"] = "wallet = :wallet"
            kwargs["ExpressionAttributeValues"][":wallet"] = wallet
        start = _decode_cursor(cursor, owner) if cursor else None
        ids: list[str] = []
        for _ in range(MAX_LIST_QUERIES):  # a filter can leave a read page short: read on, within reason
            result = self.table.query(**kwargs, Limit=limit - len(ids), **({"ExclusiveStartKey": start} if start else {}))
            ids += [item["orderId"] for item in result.get("Items", [])]
            start = result.get("LastEvaluatedKey")
            if start is None or len(ids) >= limit:
                break
        found = {item["orderId"]: item_to_order(item) for item in self.table.batch_get([{"orderId": i} for i in ids])} if ids else {}
        return Page([found[i] for i in ids if i in found], _encode_cursor(start) if start else None)


def _encode_cursor(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, owner: str) -> dict:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as error:
        raise InvalidRequest("cursor is not one this API issued", {"cursor": cursor}) from error
    if not isinstance(key, dict) or set(key) != {"orderId", "owner", "createdAt"} or key.get("owner") != owner:
        raise InvalidRequest("cursor is not one this API issued to this API key", {"cursor": cursor})
    if not all(isinstance(v, str) for v in key.values()):
        raise InvalidRequest("cursor is not one this API issued", {"cursor": cursor})
    return key
