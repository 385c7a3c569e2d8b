"""DynamoDB adapters for the ports in solroute.dal.ports."""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from solroute.dal.ports import MAX_SUBSCRIBERS, OpenOrders, Page, WatchedOrder, attempt_refused, counted_attempt
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.amounts import plain
from solroute.models.errors import DuplicateKey, DuplicateOrder, InvalidRequest, StaleOrder, StoreBusy, TooManySubscribers
from solroute.models.keys import ApiKey
from solroute.models.order import FINAL_STATUSES as FINAL
from solroute.models.order import Order, OrderStatus

OWNER_INDEX = "byOwner"
# Queries one listing may make to fill a page filtered by wallet (each reads at most a page).
MAX_LIST_QUERIES = 10
START_DEADLINE_INDEX = "pendingByStartDeadline"
# Only pending orders carry this key, so the index holds exactly the orders the sweeper watches.
SWEEP_KEY, PENDING = "sweepKey", "pending"
OPEN_INDEX = "openOrders"
# Only open (limit) orders carry these: the trigger reads the index of them every tick, and what
# it needs to judge an order (pair, amount, limit, venues, impact cap) is the index's one
# projected attribute, so an open order costs the index a write when it opens and when it leaves.
# The index's partition is the order's API key ("open#<keyId>"; "open" for orders placed before
# keys were recorded on limit orders): one Query counts a key's open orders (its cap), and the
# trigger reads every partition with a paged Scan of the index.
OPEN_KEY, OPEN, WATCH = "openKey", "open", "watch"
# The attributes the indexes key on or project: set and removed with the status they belong to.
INDEX_ATTRIBUTES = ("startDeadlineMs", SWEEP_KEY, OPEN_KEY, WATCH)
FINAL_STATUSES = tuple(sorted(s.value for s in FINAL))
_FINAL_NAMES = {f":final{i}": status for i, status in enumerate(FINAL_STATUSES)}
NOT_FINAL = f"NOT #status IN ({', '.join(_FINAL_NAMES)})"
_WIRE = TypeDeserializer()  # an item in a refused write's answer comes in DynamoDB's wire form
# Error codes DynamoDB answers when it sheds load; boto3 has already retried them.
THROTTLING = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _put_if_absent(table: Any, item: dict, key: str) -> bool:
    """Store a new item; False (nothing written) when one with its key is stored already."""
    try:
        table.put_item(Item=item, ConditionExpression=f"attribute_not_exists({key})")
        return True
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise


class _Table:
    """A boto3 Table whose throttling and connection errors arrive as StoreBusy (a transient
    domain error), and which raises the chaos fault ``dynamodb-throttle`` when told to."""

    def __init__(self, table: Any, faults: FaultPlan) -> None:
        self._table, self._faults = table, faults
        self.name = getattr(table, "name", "table")

    def __getattr__(self, operation: str) -> Any:
        call = getattr(self._table, operation)
        if operation == "batch_writer":
            return call
        return lambda **kwargs: self._call(operation, call, kwargs)

    def _call(self, operation: str, call: Any, kwargs: dict) -> Any:
        try:
            if self._faults.fires("dynamodb-throttle", self.name, operation):
                raise ClientError(
                    {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "chaos: dynamodb-throttle"}}, operation
                )
            return call(**kwargs)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in THROTTLING:
                raise StoreBusy(f"DynamoDB is throttling {operation} on {self.name}; try again shortly") from error
            raise
        except BotoCoreError as error:
            raise StoreBusy(f"DynamoDB did not answer {operation}: {error}") from error

    def batch_get(self, keys: list[dict]) -> list[dict]:
        """The items with these keys (at most 100), strongly consistent, in no set order; keys
        DynamoDB leaves unprocessed (it sheds load per batch) are asked for again."""
        # A resource's client takes and gives plain Python values, as the Table does.
        client = self._table.meta.client
        items: list[dict] = []
        wanted: dict = {"Keys": keys, "ConsistentRead": True}
        for backoff_s in (0.05, 0.1, 0.2, 0.4, None):
            result = self._call("batch_get_item", client.batch_get_item, {"RequestItems": {self.name: wanted}})
            items += result.get("Responses", {}).get(self.name, [])
            wanted = result.get("UnprocessedKeys", {}).get(self.name) or {}
            if not wanted.get("Keys"):
                return items
            if backoff_s:
                time.sleep(backoff_s)  # AWS: retry unprocessed keys with exponential backoff
        raise StoreBusy(f"DynamoDB left {len(wanted['Keys'])} keys of a BatchGetItem on {self.name} unprocessed; try again shortly")

    def transact_write(self, items: list[dict]) -> None:
        """TransactWriteItems on this table: every write or none (each item names its operation)."""
        client = self._table.meta.client
        self._call("transact_write_items", client.transact_write_items, {"TransactItems": [
            {operation: {"TableName": self.name, **write}} for item in items for operation, write in item.items()
        ]})  # fmt: skip


# Attributes DynamoDB itself looks at: the key, the owner index (and the wallet it filters on), conditions, the stream
# filter, the attempt counter, the sweeper's index. Everything else travels in one document
# attribute, JSON compressed with zlib (DynamoDB's own advice for large attributes): a nested
# history/quotes/result tree as typed maps costs every reader (SDKs, streams, the local moto)
# far more to encode and decode, DynamoDB never looks inside it, and compressed it keeps a
# finished order under 1 KB (1 write unit per status change instead of 3).
TOP_LEVEL = (
    "orderId", "status", "seq", "owner", "wallet", "createdAt", "statusAtMs", "attempts", "attemptStartedAtMs", "lastChange", "startDeadlineMs",
    "expiresAtMs",
    "webhookUrl", "webhookDeliveries",  # the webhook stream filter needs the URL; the sender adds to the deliveries
)  # fmt: skip
# The order's WebSocket subscribers: "<connection id> <key id>" -> when the subscription expires
# (epoch s). The key rides in the name (12 bytes, where a nested value would cost 30 and every
# status write of the order pays for it) so the broadcaster can stop a revoked key's pushes; a
# name without one is a subscription made before keys were recorded.
SUBSCRIBERS = "subs"
_KEY_SEPARATOR = " "  # in neither an API Gateway connection id nor a key id


def _subscriber_name(connection_id: str, key_id: str | None) -> str:
    return f"{connection_id}{_KEY_SEPARATOR}{key_id}" if key_id else connection_id


def _pack(data: dict) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)


def _unpack(doc: Any) -> dict:
    raw = getattr(doc, "value", doc)  # boto3 wraps binary attributes in Binary
    if isinstance(raw, str):
        if raw.startswith("{"):  # an item written before documents were compressed
            return json.loads(raw)
        raw = base64.b64decode(raw)  # a stream record carries a binary attribute as base64 text
    return json.loads(zlib.decompress(raw))


def order_to_item(order: Order) -> dict:
    # JSON mode writes every amount as its exact plain decimal string; a missing owner is
    # left out, so such an order (written before keys existed) stays out of the owner index.
    data = order.model_dump(mode="json")
    item = {k: data.pop(k) for k in TOP_LEVEL if data.get(k) is not None}
    item["doc"] = _pack({k: v for k, v in data.items() if v is not None and k not in TOP_LEVEL})
    if "startDeadlineMs" in item and order.status is OrderStatus.PENDING:
        item[SWEEP_KEY] = PENDING
    if order.status is OrderStatus.OPEN:
        item[OPEN_KEY] = open_partition(order.keyId)
        item[WATCH] = watch_of(order)
    return item


def watch_of(order: Order) -> str:
    """What the trigger needs to judge an open order, in one short attribute: the pair, amount,
    limit price, venues and price impact cap."""
    return "|".join([
        order.tokenIn, order.tokenOut, plain(order.amountIn), plain(order.limitPrice or 0), ",".join(order.dexes or ()),
        plain(order.maxPriceImpact) if order.maxPriceImpact is not None else "",
    ])  # fmt: skip


def open_partition(key_id: str | None) -> str:
    return f"{OPEN}#{key_id}" if key_id else OPEN


def _watched(item: dict) -> WatchedOrder:
    token_in, token_out, amount, limit, dexes, impact = str(item[WATCH]).split("|")
    key_id = str(item.get(OPEN_KEY, "")).partition("#")[2] or None
    return WatchedOrder(
        str(item["orderId"]), int(item.get("expiresAtMs") or 0), token_in, token_out, Decimal(amount), Decimal(limit),
        tuple(dexes.split(",")) if dexes else None, Decimal(impact) if impact else None, key_id,
    )  # fmt: skip


def _index_changes(before: Order, after_item: dict) -> tuple[str, str, dict]:
    """The SET and REMOVE clauses (and values) that keep the indexes' attributes with the status."""
    before_item = order_to_item(before)
    sets = [f"{name} = :ix_{name}" for name in INDEX_ATTRIBUTES if name in after_item and after_item[name] != before_item.get(name)]
    removes = [name for name in INDEX_ATTRIBUTES if name in before_item and name not in after_item]
    values = {f":ix_{name}": after_item[name] for name in INDEX_ATTRIBUTES if name in after_item and after_item[name] != before_item.get(name)}
    return "".join(f", {clause}" for clause in sets), (" REMOVE " + ", ".join(removes)) if removes else "", values


def item_fields(item: dict) -> dict:
    """A stored order item as one dict: its top-level attributes and its document's fields."""
    return {**{k: v for k, v in item.items() if k != "doc"}, **_unpack(item["doc"])}


def item_to_order(item: dict) -> Order:
    return Order.model_validate({k: v for k, v in item_fields(item).items() if k not in (SWEEP_KEY, SUBSCRIBERS, OPEN_KEY, WATCH)})


def _live_subscribers(item: dict, now_seconds: int) -> list[tuple[str, str | None]]:
    names = [name for name, expires_at in (item.get(SUBSCRIBERS) or {}).items() if int(expires_at) > now_seconds]
    return sorted((connection_id, key_id or None) for connection_id, _, key_id in (name.partition(_KEY_SEPARATOR) for name in names))


def subscribers_in(item: dict, now_seconds: int) -> list[str]:
    """The live subscribers (connection ids) an order item (or its stream image) names."""
    return [connection_id for connection_id, _ in _live_subscribers(item, now_seconds)]


def subscriber_keys(item: dict, now_seconds: int) -> dict[str, str]:
    """The API key each live subscriber subscribed with (those made before keys were recorded have none)."""
    return {connection_id: key_id for connection_id, key_id in _live_subscribers(item, now_seconds) if key_id}


class DynamoOrderRepository:
    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)

    def create(self, order: Order) -> None:
        if not _put_if_absent(self.table, {**order_to_item(order), SUBSCRIBERS: {}}, "orderId"):
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
        sets, removes, index_values = _index_changes(before, item)
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
            if _conditional_failed(error):
                raise StaleOrder(f"order {before.orderId} is no longer {before.status.value} at seq {before.seq}") from error
            raise

    def record_attempt(self, order: Order, max_attempts: int, now_ms: int, moving_to: Order | None = None) -> Order:
        expression = "SET attempts = attempts + :one, attemptStartedAtMs = list_append(if_not_exists(attemptStartedAtMs, :none), :now)"
        # The counter it was read at, too: two deliveries holding the same copy must not both
        # count an attempt (each would then believe in a counter the item does not hold).
        condition = f"#status = :status AND seq = :seq AND attempts = :attempts AND attempts < :max AND {NOT_FINAL}"
        values: dict[str, Any] = {
            ":one": 1, ":max": max_attempts, ":none": [], ":now": [now_ms], ":attempts": order.attempts,
            ":status": order.status.value, ":seq": order.seq, **_FINAL_NAMES,
        }  # fmt: skip
        if moving_to is None:
            # Not a status change: lastChange keeps the stream filter from broadcasting it.
            expression += ", lastChange = :attempt"
            values[":attempt"] = "attempt"
        else:  # the status change this attempt begins, in the same write
            item = order_to_item(moving_to)
            sets, removes, index_values = _index_changes(order, item)
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
            if not _conditional_failed(error):
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
            if _conditional_failed(error):
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
            watched += [_watched(item) for item in result.get("Items", []) if WATCH in item]
            cursor = result.get("LastEvaluatedKey")
            if cursor is None:
                break
        return OpenOrders(watched, cursor)

    def count_open(self, key_id: str, at_most: int) -> int:
        result = self.table.query(
            IndexName=OPEN_INDEX,
            KeyConditionExpression="#open = :key",
            ExpressionAttributeNames={"#open": OPEN_KEY},
            ExpressionAttributeValues={":key": open_partition(key_id)},
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


class DynamoSubscribers:
    """Subscriptions kept on the order items (see SubscriberStore)."""

    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)

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
                ExpressionAttributeNames={"#connection": _subscriber_name(connection_id, key_id), "#status": "status", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":expires": expires_at, ":subscribed": "subscribers", ":max": MAX_SUBSCRIBERS, ":owner": owner, **_FINAL_NAMES,
                },  # fmt: skip
                ReturnValues="ALL_NEW",
                # A refusal's answer holds the item as the condition saw it: why it was refused
                # costs no second read.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            stored = error.response.get("Item")
            item = {name: _WIRE.deserialize(value) for name, value in stored.items()} if stored else None
            if item is None or item.get("owner") != owner:
                return None  # another owner's order is no such order, as on the HTTP API
            if item.get("status") in FINAL_STATUSES:
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
                ExpressionAttributeNames={"#connection": _subscriber_name(connection_id, key_id)},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise


class DynamoConnectionRepository:
    def __init__(self, table: Any, now_seconds: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)
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


class DynamoRateLimitStore:
    """The limiter's state as one binary attribute on the item keyed ``bucket`` (the table's
    key name from its token-bucket days)."""

    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)

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
            if _conditional_failed(error):
                return False
            raise


class DynamoLease:
    """A lease as one item of the rate-limit table (key ``trigger#lease``): whoever holds it
    runs the trigger; one that is not released (a crashed run) lapses at its time."""

    def __init__(self, table: Any, key: str = "trigger#lease", faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)
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
            if _conditional_failed(error):
                return False
            raise

    def release(self, holder: str) -> None:
        try:
            self.table.delete_item(Key={"bucket": self.key}, ConditionExpression="holder = :me", ExpressionAttributeValues={":me": holder})
        except ClientError as error:
            if not _conditional_failed(error):
                raise


class DynamoChainLedger:
    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)

    def put_if_absent(self, signature: str, record: dict) -> bool:
        return _put_if_absent(self.table, {**record, "signature": signature}, "signature")

    def get(self, signature: str) -> dict | None:
        return self.table.get_item(Key={"signature": signature}, ConsistentRead=True).get("Item")


# A revoked key's id, as an item of the keys table (``revoked#<keyId>``): the WebSocket side knows a
# connection's key by id, not hash, and reads this (its policy allows no other item).
REVOKED_PREFIX = "revoked#"


class DynamoApiKeyStore:
    """API keys, one item per key hash. Listing and finding by key id scan: only the
    administrator does either, on a table of a few keys; the authorizer reads by hash."""

    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = _Table(table, faults)

    def put_new(self, key: ApiKey) -> None:
        if not _put_if_absent(self.table, key.model_dump(by_alias=True), "keyHash"):
            raise DuplicateKey(f"a key with id {key.key_id} is stored already")

    def get(self, key_hash: str) -> ApiKey | None:
        item = self.table.get_item(Key={"keyHash": key_hash}, ConsistentRead=True).get("Item")
        return ApiKey.model_validate(item) if item else None

    def find(self, key_id: str) -> ApiKey | None:
        return next(iter(self._scan(FilterExpression="keyId = :id", ExpressionAttributeValues={":id": key_id})), None)

    def list(self) -> list[ApiKey]:
        return sorted(self._scan(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str) -> ApiKey | None:
        key = self.find(key_id)
        if key is None:
            return None
        try:  # both or neither: a key revoked for HTTP is revoked for its WebSockets too
            self.table.transact_write([
                {"Update": {
                    "Key": {"keyHash": key.key_hash}, "UpdateExpression": "SET revoked = :yes",
                    "ConditionExpression": "attribute_exists(keyHash)",  # never recreate a deleted key
                    "ExpressionAttributeValues": {":yes": True},
                }},
                {"Put": {"Item": {"keyHash": REVOKED_PREFIX + key_id}}},
            ])  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":  # deleted meanwhile
                return None
            raise
        return key.model_copy(update={"revoked": True})

    def is_revoked(self, key_id: str) -> bool:
        return "Item" in self.table.get_item(Key={"keyHash": REVOKED_PREFIX + key_id}, ConsistentRead=True)

    def _scan(self, **kwargs: Any) -> list[ApiKey]:
        items: list[dict] = []
        while True:
            result = self.table.scan(ConsistentRead=True, **kwargs)
            items.extend(result.get("Items", []))
            if "LastEvaluatedKey" not in result:
                return [ApiKey.model_validate(i) for i in items if "keyId" in i]  # not the webhook signing master
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]
