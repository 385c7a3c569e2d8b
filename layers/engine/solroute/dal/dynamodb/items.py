"""How an order is stored: one item per order, the attributes DynamoDB looks at on top and the
rest in one compressed document, the indexes' keys, and the order's subscribers. The one codec
between Order and its item (the repository, the subscriber store, the stream readers use it).

``lastChange`` is the store's own: every write says what it changed, "status" only for a status
change, and the stream filters of the broadcaster and the webhook function key on it. The
domain's Order never carries it."""

from __future__ import annotations

import base64
import json
import zlib
from decimal import Decimal
from typing import Any

from solroute.models.amounts import plain
from solroute.models.order import Order, OrderStatus
from solroute.models.status import FINAL_STATUS_NAMES
from solroute.ports import WatchedOrder, strategy_due_ms

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
# An active strategy's parent rides in the same index, under "strategy#<keyId>" (one Query counts
# a key's active strategies), its watch "@<kind>|<due ms>": when the trigger must next look at it.
STRATEGY = "strategy"
# The attributes the indexes key on or project: set and removed with the status they belong to.
INDEX_ATTRIBUTES = ("startDeadlineMs", SWEEP_KEY, OPEN_KEY, WATCH)
FINAL_NAMES = {f":final{i}": status for i, status in enumerate(FINAL_STATUS_NAMES)}
NOT_FINAL = f"NOT #status IN ({', '.join(FINAL_NAMES)})"


# Attributes DynamoDB itself looks at: the key, the owner index (and the wallet it filters on), conditions, the stream
# filter, the attempt counter, the sweeper's index. Everything else travels in one document
# attribute, JSON compressed with zlib (DynamoDB's own advice for large attributes): a nested
# history/quotes/result tree as typed maps costs every reader (SDKs, streams, the local moto)
# far more to encode and decode, DynamoDB never looks inside it, and compressed it keeps a
# finished order under 1 KB (1 write unit per status change instead of 3).
TOP_LEVEL = (
    "orderId", "status", "seq", "owner", "wallet", "createdAt", "statusAtMs", "attempts", "attemptStartedAtMs", "startDeadlineMs",
    "expiresAtMs",
    "webhookUrl", "webhookDeliveries",  # the webhook stream filter needs the URL; the sender adds to the deliveries
)  # fmt: skip
# The order's WebSocket subscribers: "<connection id> <key id>" -> when the subscription expires
# (epoch s). The key rides in the name (12 bytes, where a nested value would cost 30 and every
# status write of the order pays for it) so the broadcaster can stop a revoked key's pushes; a
# name without one is a subscription made before keys were recorded.
SUBSCRIBERS = "subs"
# What the last write of the item changed: "status" for a status change (the stream filters of
# the broadcaster and the webhook function in template.yaml pass only those), else what it did
# ("attempt", "deadline", "subscribers", "webhook"). The store's, not the domain's: never on Order.
LAST_CHANGE, STATUS_CHANGE = "lastChange", "status"
# Attributes of the item that are not the order's fields.
STORE_ONLY = (SWEEP_KEY, SUBSCRIBERS, OPEN_KEY, WATCH, LAST_CHANGE)
_KEY_SEPARATOR = " "  # in neither an API Gateway connection id nor a key id


def subscriber_name(connection_id: str, key_id: str | None) -> str:
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
    item[LAST_CHANGE] = STATUS_CHANGE  # a whole order is written when it is created: its first status
    item["doc"] = _pack({k: v for k, v in data.items() if v is not None and k not in TOP_LEVEL})
    if "startDeadlineMs" in item and order.status is OrderStatus.PENDING:
        item[SWEEP_KEY] = PENDING
    if order.status is OrderStatus.OPEN:
        item[OPEN_KEY] = open_partition(order.keyId)
        item[WATCH] = watch_of(order)
    elif order.status is OrderStatus.ACTIVE and order.strategy is not None:
        item[OPEN_KEY] = open_partition(order.keyId, STRATEGY)
        item[WATCH] = f"@{order.strategy.kind}|{strategy_due_ms(order)}"
    return item


def watch_of(order: Order) -> str:
    """What the trigger needs to judge an open order, in one short attribute: the pair, amount,
    limit price, venues and price impact cap."""
    return "|".join([
        order.tokenIn, order.tokenOut, plain(order.amountIn), plain(order.limitPrice or 0), ",".join(order.dexes or ()),
        plain(order.maxPriceImpact) if order.maxPriceImpact is not None else "",
    ])  # fmt: skip


def open_partition(key_id: str | None, kind: str = OPEN) -> str:
    return f"{kind}#{key_id}" if key_id else kind


def watched_of(item: dict) -> WatchedOrder:
    key_id = str(item.get(OPEN_KEY, "")).partition("#")[2] or None
    if str(item[WATCH]).startswith("@"):
        kind, due = str(item[WATCH])[1:].split("|")
        return WatchedOrder.of_strategy(str(item["orderId"]), kind, int(due), key_id)
    token_in, token_out, amount, limit, dexes, impact = str(item[WATCH]).split("|")
    return WatchedOrder(
        str(item["orderId"]), int(item.get("expiresAtMs") or 0), token_in, token_out, Decimal(amount), Decimal(limit),
        tuple(dexes.split(",")) if dexes else None, Decimal(impact) if impact else None, key_id,
    )  # fmt: skip


def index_changes(before: Order, after_item: dict) -> tuple[str, str, dict]:
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
    return Order.model_validate({k: v for k, v in item_fields(item).items() if k not in STORE_ONLY})


def is_status_change(image: dict) -> bool:
    """Whether the write that left this item (a stream record's new image) changed its status."""
    return image.get(LAST_CHANGE) == STATUS_CHANGE


def _live_subscribers(item: dict, now_seconds: int) -> list[tuple[str, str | None]]:
    names = [name for name, expires_at in (item.get(SUBSCRIBERS) or {}).items() if int(expires_at) > now_seconds]
    return sorted((connection_id, key_id or None) for connection_id, _, key_id in (name.partition(_KEY_SEPARATOR) for name in names))


def subscribers_in(item: dict, now_seconds: int) -> list[str]:
    """The live subscribers (connection ids) an order item (or its stream image) names."""
    return [connection_id for connection_id, _ in _live_subscribers(item, now_seconds)]


def subscriber_keys(item: dict, now_seconds: int) -> dict[str, str]:
    """The API key each live subscriber subscribed with (those made before keys were recorded have none)."""
    return {connection_id: key_id for connection_id, key_id in _live_subscribers(item, now_seconds) if key_id}
