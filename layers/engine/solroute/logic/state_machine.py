"""The one order state machine: allowed transitions, written once.

    open -> pending -> routing -> building -> submitted -> confirmed | failed
    (limit)    |          |          |            |
               |          +----------+------------+-> open   a limit order that cannot execute now and
               |          |                                  has swapped nothing: its route misses its
               +----------+                                  price, a venue is down, no liquidity, its
                                                             message was lost, its swap never landed
                                                             and never will (the chain says so): it rests
               +-> expired | cancelled (open or pending only: before routing starts)

    active -> active (a slot started, a child landed, a slot skipped) -> completed | partially_filled | expired | cancelled
    (a strategy's parent: docs/strategies.md; its children are ordinary market orders)

Only ``open`` and ``pending`` orders can be cancelled or expire: from ``routing`` on, a swap
may be built and sent, and only the chain decides its outcome.

Adapters enforce it with conditional writes on (status, seq), so a replayed or duplicate
message can neither move an order backwards nor run a step twice.
"""

from __future__ import annotations

from typing import Any

from solroute.models.errors import InvalidTransition
from solroute.models.order import HistoryEntry, Order, OrderStatus
from solroute.ports import Clock

S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.OPEN: frozenset({S.PENDING, S.EXPIRED, S.CANCELLED}),
    S.PENDING: frozenset({S.ROUTING, S.FAILED, S.EXPIRED, S.CANCELLED, S.OPEN}),
    S.ROUTING: frozenset({S.BUILDING, S.FAILED, S.OPEN}),
    S.BUILDING: frozenset({S.SUBMITTED, S.FAILED, S.OPEN}),
    S.SUBMITTED: frozenset({S.CONFIRMED, S.FAILED, S.OPEN}),
    S.CONFIRMED: frozenset(),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    # A strategy's parent: each slot started, child landed or slot skipped is a change that keeps it active.
    S.ACTIVE: frozenset({S.ACTIVE, S.COMPLETED, S.PARTIALLY_FILLED, S.EXPIRED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.PARTIALLY_FILLED: frozenset(),
}


def can_transition_to(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(order: Order, target: OrderStatus, message: str, clock: Clock, **fields: Any) -> Order:
    """The order after moving to ``target``: seq + 1, one history entry, extra fields set."""
    # Only a limit order rests open; only a strategy's parent is ever active.
    misplaced = (target is S.OPEN and not order.is_limit) or (order.strategy is not None) != (order.status is S.ACTIVE)
    if not can_transition_to(order.status, target) or misplaced:
        raise InvalidTransition(f"order {order.orderId} cannot move from {order.status.value} to {target.value}")
    now_ms = clock.now_ms()
    seq = order.seq + 1
    entry = HistoryEntry(status=target, seq=seq, timestamp=clock.iso(now_ms), timestampMs=now_ms, message=message)
    return order.model_copy(
        update={
            "status": target,
            "seq": seq,
            "updatedAt": entry.timestamp,
            "statusAtMs": now_ms,
            "history": [*order.history, entry],
            "startDeadlineMs": None,  # only a pending order has one: a trigger (open -> pending) sets it anew
            **fields,
        }
    )


def reopened(order: Order, why: str, clock: Clock) -> Order:
    """A limit order back to ``open`` (nothing was swapped: from pending, routing or building,
    or from submitted once the chain has shown its swap never lands) to wait for its price again,
    its attempts starting afresh: a new cycle begins when it is next queued, with a new route and
    a new transaction. Its expiry still ends it (the trigger expires it at its next look)."""
    assert order.is_limit and order.expiresAtMs is not None
    if order.expiresAtMs > clock.now_ms():
        message = f"{why}; open again until {clock.iso(order.expiresAtMs)}"
    else:
        message = f"{why}; its expiry {clock.iso(order.expiresAtMs)} has passed: it ends expired"
    cleared = {"attempts": 0, "attemptStartedAtMs": [], "quotes": [], "routing": None, "transaction": None, "execution": None}
    return transition(order, S.OPEN, message, clock, **cleared)
