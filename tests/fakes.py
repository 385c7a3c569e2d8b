"""In-memory implementations of the domain's ports, with the adapters' semantics
(conditional writes, newest-first listing). tests/contract/ runs the same contract against
both these and the DynamoDB adapters on moto."""

from __future__ import annotations

import base64
import threading
from decimal import Decimal
from typing import Any

from solroute.ports import MAX_SUBSCRIBERS, ConnectionGone, OpenOrders, Page, WatchedOrder, attempt_refused, counted_attempt
from solroute.ports import Clock
from solroute.models.errors import DuplicateKey, DuplicateOrder, InvalidRequest, QueueUnavailable, StaleOrder, TooManySubscribers
from solroute.models.keys import ApiKey, Principal
from solroute.models.order import Order, OrderStatus


# The owner (an API key owner's id) that tests submit orders as, unless they say otherwise.
TEST_OWNER = "owner-a"
TEST_CALLER = Principal(owner=TEST_OWNER, key_id="sr_testkey", rate_per_minute=10_000)


class FakeClock(Clock):
    """Starts at a fixed instant; sleeping advances it at once and is recorded."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        self.ms = start_ms
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.ms += int(seconds * 1000)

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


class InMemoryOrders:
    """The OrderRepository contract (tests/contract checks it against the DynamoDB adapter)."""

    def __init__(self) -> None:
        self.items: dict[str, Order] = {}
        self.writes: list[Order] = []
        self._lock = threading.Lock()

    def create(self, order: Order) -> None:
        with self._lock:
            if order.orderId in self.items:
                raise DuplicateOrder(f"order {order.orderId} already exists")
            self.items[order.orderId] = order
            self.writes.append(order)

    def get(self, order_id: str) -> Order | None:
        return self.items.get(order_id)

    def save_transition(self, before: Order, after: Order, deadline_passed_at_ms: int | None = None) -> None:
        with self._lock:
            current = self.items.get(before.orderId)
            if current is None or (current.status, current.seq, current.attempts) != (before.status, before.seq, before.attempts):
                raise StaleOrder("moved")
            if deadline_passed_at_ms is not None and (current.startDeadlineMs is None or current.startDeadlineMs > deadline_passed_at_ms):
                raise StaleOrder("its start deadline moved")
            attempts = {} if after.attempts != before.attempts else {"attempts": current.attempts, "attemptStartedAtMs": current.attemptStartedAtMs}
            stored = after.model_copy(update=attempts)
            self.items[after.orderId] = stored
            self.writes.append(stored)

    def record_attempt(self, order: Order, max_attempts: int, now_ms: int, moving_to: Order | None = None) -> Order:
        with self._lock:
            current = self.items.get(order.orderId)
            refused = current is None or current.is_final or (current.status, current.seq, current.attempts) != (order.status, order.seq, order.attempts)
            if refused or current.attempts >= max_attempts:
                raise attempt_refused(order, current, max_attempts)
            self.items[order.orderId] = stored = counted_attempt(order, now_ms, moving_to)
            if moving_to is not None:
                self.writes.append(stored)
            return stored

    def extend_start_deadline(self, order: Order, start_deadline_ms: int) -> bool:
        with self._lock:
            current = self.items.get(order.orderId)
            if current is None or current.status is not OrderStatus.PENDING or current.seq != order.seq:
                return False
            self.items[order.orderId] = current.model_copy(update={"startDeadlineMs": start_deadline_ms})
            return True

    def pending_past_deadline(self, now_ms: int, limit: int) -> list[str]:
        due = [o for o in self.items.values() if o.status is OrderStatus.PENDING and o.startDeadlineMs is not None and o.startDeadlineMs <= now_ms]
        return [o.orderId for o in sorted(due, key=lambda o: o.startDeadlineMs)][:limit]

    def open_orders(self, limit: int, cursor: Any = None) -> OpenOrders:
        watched = [WatchedOrder.of(o) for o in sorted(self.items.values(), key=lambda o: o.orderId) if o.status in (OrderStatus.OPEN, OrderStatus.ACTIVE)]
        start = next((i for i, w in enumerate(watched) if w.order_id > cursor), len(watched)) if cursor else 0
        page = watched[start : start + limit]
        # As DynamoDB documents a Scan: a page that stops at its limit has a cursor, even when
        # nothing follows it (the next read is then empty, without one).
        return OpenOrders(page, page[-1].order_id if page and len(page) == limit else None)

    def count_open(self, key_id: str, at_most: int) -> int:
        return min(at_most, sum(1 for o in self.items.values() if o.status is OrderStatus.OPEN and o.keyId == key_id))

    def count_strategies(self, key_id: str, at_most: int) -> int:
        return min(at_most, sum(1 for o in self.items.values() if o.status is OrderStatus.ACTIVE and o.keyId == key_id))

    def list_by_owner(self, owner: str, limit: int, cursor: str | None, wallet: str | None = None) -> Page:
        mine = sorted(
            (o for o in self.items.values() if o.owner == owner and (wallet is None or o.wallet == wallet)),
            key=lambda o: (o.createdAt, o.orderId), reverse=True,
        )  # fmt: skip
        start = 0
        if cursor:
            try:
                issued_to, _, offset = base64.urlsafe_b64decode(cursor.encode()).decode().rpartition(":")
                start = int(offset)
            except ValueError as error:
                raise InvalidRequest("cursor is not one this API issued", {"cursor": cursor}) from error
            if issued_to != owner:
                raise InvalidRequest("cursor is not one this API issued to this API key", {"cursor": cursor})
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        return Page(page, base64.urlsafe_b64encode(f"{owner}:{start + limit}".encode()).decode() if more else None)


class InMemoryQueue:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, int, int | None]] = []
        self.settling: list[str] = []  # the sends that went to the settle queue
        self.retries: list[tuple[str, int]] = []

    def send(self, order_id: str, delay_seconds: int = 0, not_before_ms: int | None = None, settle: bool = False, cycle: int | None = None) -> None:
        if self.fail:
            raise QueueUnavailable("queue down")
        self.sent.append((order_id, delay_seconds, not_before_ms))
        if settle:
            self.settling.append(order_id)

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        self.retries.append((receipt_handle, delay_seconds))


class InMemoryRateLimitStore:
    def __init__(self) -> None:
        self.items: dict[str, tuple[bytes, int]] = {}
        self.conflicts_to_inject = 0

    def read(self, key: str):
        return self.items.get(key)

    def write_if_unchanged(self, key: str, state: bytes, version: int) -> bool:
        current = self.items.get(key)
        if self.conflicts_to_inject:  # another consumer wrote just before us
            self.conflicts_to_inject -= 1
            self.items[key] = (current[0], current[1] + 1) if current else (b"", 1)
            return False
        if (current[1] if current else 0) != version:
            return False
        self.items[key] = (bytes(state), version + 1)
        return True


class InMemoryLease:
    """The trigger's Lease contract (tests/contract checks it against DynamoLease)."""

    def __init__(self) -> None:
        self.holder: str | None = None
        self.until_ms = 0
        self.stored_passed_at_ms: int | None = None
        self.passed_at_ms: int | None = None

    def acquire(self, holder: str, until_ms: int, now_ms: int) -> bool:
        self.passed_at_ms = self.stored_passed_at_ms
        if self.holder is not None and self.until_ms >= now_ms:
            return False
        self.holder, self.until_ms = holder, until_ms
        return True

    def release(self, holder: str, passed_at_ms: int | None = None) -> None:
        if self.holder == holder:
            self.holder = None
            if passed_at_ms is not None:
                self.stored_passed_at_ms = passed_at_ms


class InMemoryLedger:
    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self.puts = 0
        self._lock = threading.Lock()

    def put_if_absent(self, signature: str, record: dict) -> bool:
        with self._lock:
            self.puts += 1
            if signature in self.records:
                return False
            self.records[signature] = dict(record)
            return True

    def get(self, signature: str) -> dict | None:
        return self.records.get(signature)

    def landed(self) -> dict[str, dict]:
        """The swaps that landed (tombstones of expired transactions left out)."""
        return {s: r for s, r in self.records.items() if r.get("status") != "expired"}


class InMemorySubscribers:
    """The SubscriberStore contract, on the fake order store's orders (as the adapter keeps
    them on the order items)."""

    def __init__(self, orders: InMemoryOrders, now_seconds=lambda: 0) -> None:
        self.orders = orders
        self.items: dict[str, dict[str, int]] = {}  # order id -> connection id -> expires at
        self.keys: dict[str, dict[str, str]] = {}  # order id -> connection id -> the key it was made with
        self.now_seconds = now_seconds

    def subscribe(self, connection_id: str, order_id: str, expires_at: int, owner: str, key_id: str | None = None) -> Order | None:
        order = self.orders.get(order_id)
        if order is not None and order.owner != owner:
            return None  # no such order, as far as this owner can tell
        if order is None or order.is_final:
            return order
        subscribers = self.items.setdefault(order_id, {})
        if len(subscribers) >= MAX_SUBSCRIBERS and connection_id not in subscribers:
            raise TooManySubscribers(f"order {order_id} already has {MAX_SUBSCRIBERS} subscribers")
        subscribers[connection_id] = expires_at
        if key_id:
            self.keys.setdefault(order_id, {})[connection_id] = key_id
        return order

    def unsubscribe(self, connection_id: str, order_id: str, expiring_before: int | None = None, key_id: str | None = None) -> None:
        subscribers = self.items.get(order_id, {})
        if connection_id in subscribers and (expiring_before is None or subscribers[connection_id] < expiring_before):
            del subscribers[connection_id]
            self.keys.get(order_id, {}).pop(connection_id, None)

    def keys_of(self, order_id: str) -> dict[str, str]:
        """Each live subscriber's key, as a status write's stream image would carry them."""
        live = self.of(order_id)
        return {c: k for c, k in self.keys.get(order_id, {}).items() if c in live}

    def of(self, order_id: str) -> tuple[str, ...]:
        """The live subscribers, as a status write's stream image would carry them."""
        return tuple(sorted(c for c, exp in self.items.get(order_id, {}).items() if exp > self.now_seconds()))


class InMemoryConnections:
    def __init__(self, now_seconds=lambda: 0) -> None:
        self.items: dict[tuple[str, str], int] = {}
        self.now_seconds = now_seconds

    def add(self, connection_id: str, order_id: str, expires_at: int) -> None:
        self.items[(connection_id, order_id)] = expires_at

    def orders_for(self, connection_id: str) -> list[str]:
        return [o for (c, o), exp in self.items.items() if c == connection_id and exp > self.now_seconds()]


class InMemoryKeyConnections:
    """The KeyConnectionStore contract."""

    def __init__(self, now_seconds=lambda: 0) -> None:
        self.items: dict[tuple[str, str], int] = {}  # (key id, connection id) -> expires at
        self.now_seconds = now_seconds

    def open(self, key_id: str, connection_id: str, expires_at: int, most: int) -> bool:
        if sum(1 for (k, _), exp in self.items.items() if k == key_id and exp > self.now_seconds()) >= most:
            return False
        self.items[(key_id, connection_id)] = expires_at
        return True

    def close(self, key_id: str, connection_id: str) -> None:
        self.items.pop((key_id, connection_id), None)


class InMemoryApiKeys:
    """The ApiKeyStore contract (tests/contract checks it against the DynamoDB adapter)."""

    def __init__(self) -> None:
        self.items: dict[str, ApiKey] = {}  # key hash -> record
        self.reads = 0

    def put_new(self, key: ApiKey) -> None:
        if key.key_hash in self.items:
            raise DuplicateKey(f"a key with id {key.key_id} is stored already")
        self.items[key.key_hash] = key

    def get(self, key_hash: str) -> ApiKey | None:
        self.reads += 1
        return self.items.get(key_hash)

    def find(self, key_id: str) -> ApiKey | None:
        return next((k for k in self.items.values() if k.key_id == key_id), None)

    def list(self) -> list[ApiKey]:
        return sorted(self.items.values(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str) -> ApiKey | None:
        key = self.find(key_id)
        if key is not None:
            self.items[key.key_hash] = key = key.model_copy(update={"revoked": True})
        return key

    def is_revoked(self, key_id: str) -> bool:
        self.reads += 1
        return any(k.key_id == key_id and k.revoked for k in self.items.values())


class RecordingNotifier:
    def __init__(self, gone: set[str] | None = None, broken: set[str] | None = None) -> None:
        self.gone = gone or set()
        self.broken = broken or set()
        self.sent: list[tuple[str, dict]] = []
        self.closed: list[str] = []

    def send(self, connection_id: str, message: dict) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        if connection_id in self.broken:
            raise RuntimeError("connection reset")
        self.sent.append((connection_id, message))

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)
