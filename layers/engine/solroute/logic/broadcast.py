"""Turn an order's status change into the message its WebSocket subscribers receive."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Mapping

from aws_lambda_powertools import Logger

from solroute.logic.keys import Revocations
from solroute.models.amounts import plain
from solroute.models.errors import TransientError, Unauthenticated
from solroute.models.order import Order, OrderStatus
from solroute.models.websocket_messages import ErrorMessage, Snapshot, StatusUpdate
from solroute.ports import ConnectionGone, Notifier, SubscriberStore

logger = Logger(child=True)
S = OrderStatus

CONNECTION_TTL_SECONDS = 2 * 60 * 60  # API Gateway closes WebSocket connections after 2 hours
# A post to a connection whose $connect has not returned yet answers 410 as well, although the
# client is about to be connected. Subscriptions made this recently survive a 410: a connection
# that is really gone loses them at the next broadcast, its $disconnect or their TTL.
# (The subscription is written at the very end of $connect, so the window is short.)
CONNECT_GRACE_SECONDS = 10


def status_data(order: Order) -> dict:
    """What is new at this status, in JSON form (amounts as decimal strings)."""
    dump = order.model_dump(mode="json")
    if order.strategy is not None:
        return strategy_data(dump["strategy"])
    if order.status is S.PENDING:
        return {k: dump[k] for k in ("tokenIn", "tokenOut", "amountIn", "slippage", "type")}
    if order.status is S.BUILDING:
        return {"quotes": dump["quotes"], "routing": dump["routing"]}
    if order.status is S.SUBMITTED:
        tx = dump["transaction"] or {}
        return {"txSignature": tx.get("signature"), "dex": tx.get("dex"), "minAmountOut": tx.get("minAmountOut")}
    if order.status is S.CONFIRMED:
        return {**(dump["execution"] or {}), "route": _route(order)}
    if order.status is S.FAILED:
        return {"reason": order.failureReason, "attempts": order.attempts, "execution": dump["execution"], "route": _route(order)}
    return {}


def strategy_data(strategy: dict) -> dict:
    """A strategy's push: its totals and where it is (without the lists a snapshot carries whole),
    and the child or skipped slot this change is about."""
    slot = strategy.get("lastSlot")
    child = next((c for c in reversed(strategy["children"]) if c["slot"] == slot), None) if slot is not None else None
    skip = next((k for k in reversed(strategy["skipped"]) if k["slot"] == slot), None) if slot is not None and child is None else None
    return {"strategy": {k: v for k, v in strategy.items() if k not in ("children", "skipped")}, "child": child, "skip": skip}


def _route(order: Order) -> dict | None:
    """Why the route won, in the final message (its legs, as executed, are in the execution)."""
    routing = order.routing
    if routing is None:
        return None
    return {"kind": routing.kind, "dexes": routing.dex, "via": routing.via, "reason": routing.reason, "minAmountOut": plain(routing.minAmountOut)}


def status_update(order: Order) -> dict:
    last = order.history[-1]
    return StatusUpdate(
        orderId=order.orderId, status=order.status, seq=order.seq, timestamp=last.timestamp, timestampMs=last.timestampMs,
        message=last.message, data=status_data(order),
    ).frame()


@dataclass(frozen=True)
class StatusChange:
    """A status written, with the subscribers the order had at that write (from its item), and
    the API key each subscribed with (none for a subscription made before keys were recorded)."""

    order: Order
    subscribers: tuple[str, ...] = ()
    keys: Mapping[str, str] = field(default_factory=dict)  # connection id -> key id


def snapshot(order: Order) -> dict:
    dump = order.model_dump(mode="json")
    return Snapshot(orderId=order.orderId, status=order.status, seq=order.seq, history=order.history, order=dump).frame()


@dataclass
class BroadcastReport:
    sent: int = 0
    gone: int = 0
    errors: int = 0
    revoked: int = 0  # subscribers whose key was revoked: told so and closed instead


KEY_REVOKED = "this API key has been revoked: this connection receives nothing more and is closed"


class Broadcaster:
    """Posts status changes to subscribers: orders in parallel, each order's statuses in seq
    order. Each change names its subscribers and their keys, so broadcasting reads nothing but,
    with ``revocations``, whether a key was revoked (once per key per its TTL): a revoked key's
    subscriber gets no update, only why, and is closed and unsubscribed."""

    def __init__(
        self,
        subscribers: SubscriberStore,
        notifier: Notifier,
        max_parallel: int = 8,
        now_seconds: Callable[[], int] = lambda: int(time.time()),
        revocations: Revocations | None = None,
    ) -> None:
        self.subscribers = subscribers
        self.notifier = notifier
        self.now_seconds = now_seconds
        self.revocations = revocations
        self._pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="post")

    def broadcast(self, change: StatusChange) -> BroadcastReport:
        return self._broadcast_order([change])

    def broadcast_all(self, changes: list[StatusChange]) -> tuple[BroadcastReport, set[str]]:
        """Broadcast every change; returns the totals and the ids of orders whose broadcast
        failed (to be retried)."""
        by_order: dict[str, list[StatusChange]] = {}
        for change in changes:
            by_order.setdefault(change.order.orderId, []).append(change)
        ordered = {order_id: sorted(updates, key=lambda c: c.order.seq) for order_id, updates in by_order.items()}
        # The usual batch holds one order: run it here, without a thread hop.
        run = map if len(ordered) == 1 else self._pool.map
        total, failed = BroadcastReport(), set()
        for order_id, outcome in zip(ordered, run(self._try_order, ordered.values())):
            if isinstance(outcome, Exception):
                # A throttled write is routine under load: a warning, without a stack trace.
                transient = isinstance(outcome, TransientError)
                (logger.warning if transient else logger.error)(
                    "could not broadcast; the batch will retry this order",
                    extra={"order_id": order_id, "error": str(outcome)},
                    exc_info=None if transient else outcome,
                )
                failed.add(order_id)
                continue
            for outcome_name, count in vars(outcome).items():
                setattr(total, outcome_name, getattr(total, outcome_name) + count)
        return total, failed

    def _try_order(self, updates: list[StatusChange]) -> BroadcastReport | Exception:
        try:
            return self._broadcast_order(updates)
        except Exception as error:  # reported per order by broadcast_all
            return error

    def _broadcast_order(self, updates: list[StatusChange]) -> BroadcastReport:
        report, gone = BroadcastReport(), set()
        for change in updates:
            order = change.order
            message = status_update(order)
            for connection_id in change.subscribers:
                if connection_id in gone:
                    continue
                key_id = change.keys.get(connection_id)
                if key_id and self.revocations is not None and self.revocations.revoked(key_id):
                    gone.add(connection_id)
                    report.revoked += 1
                    self._end_revoked(connection_id, order.orderId, key_id)
                    continue
                outcome = self._post(connection_id, message)
                setattr(report, outcome, getattr(report, outcome) + 1)
                if outcome == "gone":
                    gone.add(connection_id)
                    subscribed_before = self.now_seconds() - CONNECT_GRACE_SECONDS
                    self.subscribers.unsubscribe(
                        connection_id, order.orderId, expiring_before=subscribed_before + CONNECTION_TTL_SECONDS, key_id=change.keys.get(connection_id)
                    )
            # Routine broadcasts are DEBUG (a line per status per order adds up); trouble is not, nor
            # an order's final status (one line per order: what `solroute ops order` shows of it).
            log = logger.warning if report.errors else logger.info if report.gone or report.revoked or order.is_final else logger.debug
            log("status broadcast", extra={"order_id": order.orderId, "status": order.status.value, "seq": order.seq, **report.__dict__})
        return report

    def _end_revoked(self, connection_id: str, order_id: str, key_id: str) -> None:
        """Tell a revoked key's connection why it gets nothing more, close it, and drop its
        subscription (so no later status of the order asks about it again)."""
        logger.info("subscriber's API key revoked: closing its connection", extra={"connection_id": connection_id, "key_id": key_id})
        self._post(connection_id, ErrorMessage.of(Unauthenticated.code, KEY_REVOKED, {"orderId": order_id}).frame())
        try:
            self.notifier.close(connection_id)
        except Exception:  # unsubscribed all the same: it gets nothing more, and idles out
            logger.exception("could not close a revoked key's connection", extra={"connection_id": connection_id})
        self.subscribers.unsubscribe(connection_id, order_id, key_id=key_id)

    def _post(self, connection_id: str, message: dict) -> str:
        try:
            self.notifier.send(connection_id, message)
            return "sent"
        except ConnectionGone:
            logger.info("connection gone; removing its subscription", extra={"connection_id": connection_id})
            return "gone"
        except Exception:  # one bad connection must never fail or stall the batch
            logger.exception("post to connection failed", extra={"connection_id": connection_id})
            return "errors"

