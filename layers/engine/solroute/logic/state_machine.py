"""The one order state machine: allowed transitions, written once.

Adapters enforce it with conditional writes on (status, seq), so a replayed or duplicate
message can neither move an order backwards nor run a step twice.
"""

from __future__ import annotations

from typing import Any

from solroute.logic.clock import Clock
from solroute.models.errors import InvalidTransition
from solroute.models.order import HistoryEntry, Order, OrderStatus

S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.ROUTING, S.FAILED}),
    S.ROUTING: frozenset({S.BUILDING, S.FAILED}),
    S.BUILDING: frozenset({S.SUBMITTED, S.FAILED}),
    S.SUBMITTED: frozenset({S.CONFIRMED, S.FAILED}),
    S.CONFIRMED: frozenset(),
    S.FAILED: frozenset(),
}


def can_transition_to(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(order: Order, target: OrderStatus, message: str, clock: Clock, **fields: Any) -> Order:
    """The order after moving to ``target``: seq + 1, one history entry, extra fields set."""
    if not can_transition_to(order.status, target):
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
            "lastChange": "status",
            "startDeadlineMs": None,  # only a pending order has one, and no transition leads to pending
            **fields,
        }
    )
