"""An order's statuses, which of them are final and which can be cancelled: the one definition
every part uses (the engine, the store's conditions, the CLI, and the web console, whose function
serves them to the browser instead of a copy in its JavaScript).

Standard library only, no pydantic: a client and the console function import it for nothing.
``solroute.models.order`` re-exports them."""

from __future__ import annotations

from enum import Enum


class OrderStatus(str, Enum):
    OPEN = "open"  # a limit order waiting for the market to reach its price
    PENDING = "pending"
    ROUTING = "routing"
    BUILDING = "building"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    EXPIRED = "expired"  # its deadline (or a limit order's expiry) passed before it started routing
    CANCELLED = "cancelled"  # cancelled by its owner before it started routing (a strategy: no slot starts after)
    # A strategy order (TWAP, recurring: a parent of market orders, docs/strategies.md).
    ACTIVE = "active"  # running its slots
    COMPLETED = "completed"  # every slice or run filled
    PARTIALLY_FILLED = "partially_filled"  # ended with some filled and some not (an ended strategy with none filled is expired)


FINAL_STATUSES = frozenset({
    OrderStatus.CONFIRMED, OrderStatus.FAILED, OrderStatus.EXPIRED, OrderStatus.CANCELLED, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_FILLED,
})  # fmt: skip
# Before routing starts: from routing on, a swap may be built and sent, and only the chain decides
# its outcome (solroute.logic.state_machine's transitions).
# A strategy while active: no slot starts after the cancel, and a child already routing finishes.
CANCELLABLE = frozenset({OrderStatus.OPEN, OrderStatus.PENDING, OrderStatus.ACTIVE})
# The final statuses as the strings the API, the WebSocket and the store write.
FINAL_STATUS_NAMES: tuple[str, ...] = tuple(sorted(status.value for status in FINAL_STATUSES))
