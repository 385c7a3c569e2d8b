"""Every port the domain owns, in one place: what the engine needs from the world (stores,
queues, the chain, the venues, the clock, the network), as Protocols. Adapters implement them
(solroute.dal for AWS, solroute.dex for the simulated venues and chain); unit tests use the
in-memory fakes in tests/fakes.py. The value types a port's methods pass live here beside it
when only that port uses them, else in solroute.models.

Layers (enforced by the import-linter contract in pyproject.toml): models <- ports <- dex <- dal
<- logic <- services <- functions. Nothing here imports an adapter or the logic."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Protocol, Sequence

from solroute.models.addresses import IPAddress
from solroute.models.chain import ChainReceipt
from solroute.models.errors import AttemptsExhausted, OrderNotFound, StaleOrder
from solroute.models.key_quota import QuotaState, Step
from solroute.models.keys import ApiKey
from solroute.models.order import Order, SignedSwap
from solroute.models.route import Curve
from solroute.models.webhooks import WebhookAttempt, WebhookTarget


@dataclass(frozen=True)
class Page:
    orders: list[Order]
    cursor: str | None


@dataclass(frozen=True)
class WatchedOrder:
    """An open limit order as the trigger sees it (what the open-orders index holds)."""

    order_id: str
    expires_at_ms: int
    token_in: str
    token_out: str
    amount_in: Decimal
    limit_price: Decimal
    dexes: tuple[str, ...] | None = None  # None: every venue
    max_price_impact: Decimal | None = None
    key_id: str | None = None  # the API key it was placed with: the trigger queues it under that key's limits
    # A strategy's parent (kind "twap" or "recurring") rides in the same index: only when it next
    # needs the trigger (a slot due, or 0 while a child runs) matters; the rest is read from the item.
    strategy: str | None = None
    due_at_ms: int = 0

    @classmethod
    def of(cls, order: Order) -> "WatchedOrder":
        if order.strategy is not None:
            return cls.of_strategy(order.orderId, order.strategy.kind, strategy_due_ms(order), order.keyId)
        return cls(
            order.orderId, order.expiresAtMs or 0, order.tokenIn, order.tokenOut, order.amountIn, order.limitPrice or Decimal(0),
            tuple(order.dexes) if order.dexes else None, order.maxPriceImpact, order.keyId,
        )  # fmt: skip


    @classmethod
    def of_strategy(cls, order_id: str, kind: str, due_at_ms: int, key_id: str | None) -> "WatchedOrder":
        return cls(order_id, 0, "", "", Decimal(0), Decimal(0), key_id=key_id, strategy=kind, due_at_ms=due_at_ms)


def strategy_due_ms(order: Order) -> int:
    """When an active strategy next needs the trigger: now (0) while a child runs or a cancel
    waits, else when its next slot is due."""
    strategy = order.strategy
    assert strategy is not None
    if strategy.inflight or strategy.cancelRequested or strategy.nextAtMs is None:
        return 0
    return strategy.nextAtMs


@dataclass(frozen=True)
class OpenOrders:
    """One read of the open orders: some of them, and where the next read goes on from (None:
    this read reached the end, so a pass over every open order is complete). A read that stops
    at its limit may have a cursor although nothing follows (DynamoDB's Scan does): the next read
    is then empty."""

    orders: list[WatchedOrder]
    cursor: Any = None


class OrderRepository(Protocol):
    def create(self, order: Order) -> None:
        """Insert a new order; raises DuplicateOrder if the id exists."""

    def get(self, order_id: str) -> Order | None: ...

    def save_transition(self, before: Order, after: Order, deadline_passed_at_ms: int | None = None) -> None:
        """Write ``after`` only if the stored order still has ``before``'s status, seq and
        attempt count (raises StaleOrder otherwise), so an older copy can neither move the order
        backwards nor put its attempt counter back. Leaving ``pending`` clears the start deadline.
        With ``deadline_passed_at_ms``, only if its start deadline is still at or before then (the
        sweeper: a delivery may have moved it, which changes neither status nor seq)."""

    def record_attempt(self, order: Order, max_attempts: int, now_ms: int, moving_to: Order | None = None) -> Order:
        """Atomically add one attempt, only if the stored order still has ``order``'s status,
        seq and attempt count, and fewer than ``max_attempts`` attempts (see attempt_refused
        for what it raises otherwise: a duplicate delivery holding the same copy is refused). With ``moving_to``, the status change the attempt begins is made
        in the same write (one call, one write unit: a pending order's first step). Returns
        the order as stored."""

    def extend_start_deadline(self, order: Order, start_deadline_ms: int) -> bool:
        """Move a pending order's start deadline; False if it is no longer pending at that seq."""

    def pending_past_deadline(self, now_ms: int, limit: int) -> list[str]:
        """Ids of pending orders whose start deadline is at or before ``now_ms``."""

    def open_orders(self, limit: int, cursor: Any = None) -> OpenOrders:
        """Up to ``limit`` open (limit) orders, from ``cursor`` on (None: the start), as the trigger
        judges them: from an index that holds only open orders (it may lag the table by a moment:
        re-read an order before moving it)."""

    def count_strategies(self, key_id: str, at_most: int) -> int:
        """How many active strategies ``key_id`` has, counting up to ``at_most``."""
        ...

    def count_open(self, key_id: str, at_most: int) -> int:
        """How many open orders the API key has, counting no further than ``at_most`` (from the
        same index: a burst a moment old may not be counted yet)."""

    def list_by_owner(self, owner: str, limit: int, cursor: str | None, wallet: str | None = None) -> Page:
        """The owner's orders (of one wallet, if given), newest first; raises InvalidRequest for
        a cursor it did not issue to this owner. A page may hold fewer than ``limit`` orders
        while a cursor says more may follow."""


def counted_attempt(before: Order, now_ms: int, moving_to: Order | None) -> Order:
    """The order as record_attempt stores it: ``before`` (or the step it begins) with one more
    attempt."""
    return (moving_to or before).model_copy(update={"attempts": before.attempts + 1, "attemptStartedAtMs": [*before.attemptStartedAtMs, now_ms]})


def attempt_refused(expected: Order, current: Order | None, max_attempts: int) -> Exception:
    """Why record_attempt refused, judged from the order as it is now."""
    if current is None:
        return OrderNotFound(f"no order with id {expected.orderId}", {"orderId": expected.orderId})
    if current.is_final:
        return StaleOrder(f"order {expected.orderId} is already {current.status.value}")
    if (current.status, current.seq) != (expected.status, expected.seq):
        return StaleOrder(f"order {expected.orderId} moved from {expected.status.value} to {current.status.value}")
    if current.attempts < max_attempts:  # another delivery counted an attempt since this copy was read
        return StaleOrder(f"order {expected.orderId} has {current.attempts} attempts, not {expected.attempts}")
    return AttemptsExhausted(f"order {expected.orderId} used its {max_attempts} attempts")


class OrderQueue(Protocol):
    def send(self, order_id: str, delay_seconds: int = 0, not_before_ms: int | None = None, settle: bool = False, cycle: int | None = None) -> None:
        """Queue an order for execution; raises QueueUnavailable. ``settle``: its swap has
        landed and waits to be final (on a queue of its own, where there is one, so settling
        never waits behind orders waiting to start). ``cycle``: the order's cycle the message
        belongs to (Order.cycle; see models.messages.OrderMessage)."""

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        """Make a received message visible again after ``delay_seconds``."""


class RateLimitStore(Protocol):
    def read(self, key: str) -> tuple[bytes, int] | None:
        """(state, version) or None when the limiter was never used."""

    def write_if_unchanged(self, key: str, state: bytes, version: int) -> bool:
        """Store the new state as ``version + 1`` only if the stored version is still ``version``
        (0: the key must not exist yet); False if somebody wrote in between."""


class Chain(Protocol):
    """Where swaps land. Sending the same signed swap twice lands it once.

    Any method may raise NotFinalYet: the chain cannot tell the outcome yet (ask again then)."""

    def sign(self, order: Order, swap: SignedSwap) -> SignedSwap:
        """The swap as the chain will execute it, signed (a real chain's transaction bytes and
        blockhash); stored before it is ever sent. Raises a PermanentOrderError when it cannot be
        signed (a venue would no longer co-sign the route at the order's minimum)."""

    def lookup(self, swap: SignedSwap) -> ChainReceipt | None:
        """The landed transaction's receipt; None if it has not landed (or never will)."""

    def send(self, swap: SignedSwap, fee_rate: Decimal, attempt: int) -> ChainReceipt:
        """Land the swap; raises a TransientError when nothing landed, and
        TransactionExpired when it can no longer land."""

    def expire(self, swap: SignedSwap, now_ms: int) -> ChainReceipt | None:
        """Make sure the transaction never lands from now on; its receipt if it already had.
        A chain that cannot force this (Solana) raises NotFinalYet until the transaction's
        blockhash has expired."""


class Wallets(Protocol):
    """Each API key's wallet on the chain (the RPC chain only): its address, its token balances
    read from the chain, and (on a chain with a faucet: the local one) funding it."""

    chain: str  # where the wallet lives: "local" or the cluster's RPC node as scheme://host[:port]

    def address(self, key_id: str) -> str: ...

    def mints(self) -> dict[str, str]:
        """Each known token's mint address on this chain, by symbol."""

    def balances(self, key_id: str) -> dict[str, Decimal]:
        """The wallet's balance of every known token, by symbol (zero when it holds none)."""

    def fund(self, key_id: str, token: str, amount: Decimal) -> str:
        """Mint ``amount`` of ``token`` to the wallet (the local chain's faucet); the transaction's
        signature. Raises InvalidRequest when this chain has no faucet or the token is unknown."""


class ChainLedger(Protocol):
    def put_if_absent(self, signature: str, record: dict) -> bool: ...

    def get(self, signature: str) -> dict | None: ...


# Subscribers an order keeps at most: each one lives on the order's item and makes every
# later status write of it bigger (DynamoDB bills a write per started KB of the item).
MAX_SUBSCRIBERS = 10


class SubscriberStore(Protocol):
    """Who follows an order. The subscriptions live on the order's own item, so every status
    write carries them to the broadcaster in the stream record: no lookup per status."""

    def subscribe(self, connection_id: str, order_id: str, expires_at: int, owner: str, key_id: str | None = None) -> Order | None:
        """Add the subscription (made with the API key ``key_id``, which every later status
        write carries with it) and return the order as it is right after it (the snapshot:
        every later status reaches this subscriber); None if there is no such order, or it is
        not ``owner``'s (subscribing nothing: a caller cannot tell the two apart, as on the HTTP
        API). A final order is returned without subscribing (nothing will change). Raises
        TooManySubscribers when MAX_SUBSCRIBERS others still follow the order."""

    def unsubscribe(self, connection_id: str, order_id: str, expiring_before: int | None = None, key_id: str | None = None) -> None:
        """Remove the subscription (made with ``key_id``); when ``expiring_before`` (epoch
        seconds) is given, only if it expires before that (it was made earlier than a grace
        period ago)."""


class KeyConnectionStore(Protocol):
    """The WebSocket connections each API key has open, so that a key's count can be capped.
    A connection counts until it closes, or until ``expires_at`` (when it has ended for sure)
    if its close is never reported."""

    def open(self, key_id: str, connection_id: str, expires_at: int, most: int) -> bool:
        """Count the connection as the key's, unless the key has ``most`` open already: then
        record nothing and answer False. Never passes ``most``, however many open at once."""

    def close(self, key_id: str, connection_id: str) -> None:
        """The connection is gone (or was refused after it was counted): it no longer counts.
        Nothing if it never did, or was uncounted already."""


class ConnectionRepository(Protocol):
    """The order a connection named in its $connect query (?orderId=), for a later subscribe
    frame that names none. Items expire with the connection (TTL)."""

    def add(self, connection_id: str, order_id: str, expires_at: int) -> None: ...

    def orders_for(self, connection_id: str) -> list[str]: ...


class ApiKeyStore(Protocol):
    """API key records, keyed by the key's hash. The authorizer only reads by hash; listing
    and revoking are the administrator's (rare, small table)."""

    def put_new(self, key: ApiKey) -> None:
        """Store a new key; raises DuplicateKey if its hash is stored already (never overwritten)."""

    def get(self, key_hash: str) -> ApiKey | None: ...

    def find(self, key_id: str) -> ApiKey | None:
        """The key with this public id, revoked or not; None if there is none."""

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""

    def revoke(self, key_id: str) -> ApiKey | None:
        """Mark the key with this public id revoked (for good) and return it as stored; None if
        there is no such key. Also records the revocation by key id (``is_revoked``)."""

    def is_revoked(self, key_id: str) -> bool:
        """Whether the key with this public id was revoked: what a WebSocket connection, which
        knows its key's id but not its hash, asks. One read, by id."""


class ConnectionGone(Exception):
    """The client went away (API Gateway answered 410)."""


class Notifier(Protocol):
    def send(self, connection_id: str, message: dict) -> None:
        """Post to one connection; raises ConnectionGone for a closed one."""

    def close(self, connection_id: str) -> None:
        """End the connection (API Gateway's DeleteConnection); nothing if it is gone already."""


# ------------------------------------------------------------------ time
class Clock:
    """Time as the domain sees it. The one port with a default (the system clock): tests
    subclass it to control time."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    @staticmethod
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ------------------------------------------------------------------ venues
class Venue(Protocol):
    name: str

    def quote_pools(self, order: Order, pairs: Sequence[tuple[str, str]]) -> list[Curve]: ...


class PricedVenue(Protocol):
    name: str

    def pools_at(self, pairs: Sequence[tuple[str, str]], at_ms: int) -> list[Curve]: ...


# ------------------------------------------------------------------ trigger
@dataclass(frozen=True)
class LaunchedPool:
    """A pool of a token launched at run time (docs/strategies.md, sniper orders)."""

    dex: str  # the venue holding the pool
    token: str  # the launched token's symbol
    quote: str  # the token it is paired with (USDC or SOL)
    liquidity: Decimal  # the pool's depth now, in quote-token units


class Launches(Protocol):
    def pools(self, symbol: str) -> list[LaunchedPool]:
        """The pools of a launched token now ([]: not launched yet, or no pool)."""
        ...


class Lease(Protocol):
    passed_at_ms: int | None  # when a holder last judged every open order, as the last acquire found it

    def acquire(self, holder: str, until_ms: int, now_ms: int) -> bool:
        """Hold the lease until ``until_ms`` if nobody holds it now (or theirs has run out);
        either way, read ``passed_at_ms``."""

    def release(self, holder: str, passed_at_ms: int | None = None) -> None:
        """Give it up, if ``holder`` still holds it, recording ``passed_at_ms`` when given."""


# ------------------------------------------------------------------ key quota
class KeyQuotaStore(Protocol):
    def read(self, key_id: str) -> QuotaState:
        """The stored state (strongly consistent); ``QuotaState()`` when none is stored."""
        ...

    def write_if_unchanged(self, key_id: str, state: QuotaState, version: int, expires_at_s: int) -> QuotaState | None:
        """Store ``state`` (with its own version) if the stored version is still ``version``
        (0: nothing stored). None when written; otherwise the state stored instead."""
        ...

    def increment(self, key_id: str, step: Step, expires_at_s: int) -> tuple[bool, QuotaState]:
        """Atomically, if the stored record meets ``step``'s conditions: count + ``step.count``,
        reach + ``step.reach_ms``, version + 1. (True, the new state), or (False, the state stored)."""
        ...

    def decrement(self, key_id: str, reach_ms: int, count: int = 1, window_start_ms: int | None = None) -> None:
        """Undo one increment (count - ``count``, reach - ``reach_ms``, version + 1); with
        ``window_start_ms``, only while the record is still in that minute (else nothing)."""
        ...


# ------------------------------------------------------------------ webhooks
class MasterStore(Protocol):
    def get_or_create(self, candidate: bytes) -> bytes:
        """The deployment's master secret; stores ``candidate`` if there is none yet."""
        ...


class DeliveryLog(Protocol):
    def record(self, order_id: str, seq: int, attempt: WebhookAttempt, most: int) -> None:
        """Add the attempt to the order's deliveries of that seq (at most ``most`` of them)."""
        ...


Resolve = Callable[[str, int, float], list[str]]  # host, port, timeout -> its addresses (raises OSError)


Post = Callable[[WebhookTarget, list[IPAddress], bytes, dict, float], int]  # -> HTTP status (raises DeliveryFailed)


class DeliveryQueue(Protocol):
    def send_all(self, messages: list[dict]) -> set[int]:
        """Queue every message; the indexes of those the queue did not take."""
        ...


class SetAside(Protocol):
    def set_aside(self, body: dict) -> None: ...

    def take(self, most: int) -> list[tuple[str, str]]:
        """Up to ``most`` messages set aside: (receipt handle, body), hidden a while from a next take."""
        ...

    def done(self, receipt_handle: str) -> None: ...


class StreamReader(Protocol):
    def read(self, stream_arn: str, shard_id: str, first: str, last: str) -> list[dict]:
        """The records from sequence number ``first`` to ``last`` (StreamExpired: no longer kept)."""
        ...
