"""An order's statuses, which of them are final and which can be cancelled.

Plain Python, no pydantic: the web console's function serves these to the browser (its final and
cancellable statuses come from here, not from a copy in its JavaScript) and imports no more of the
engine than its cold start needs. ``solroute.models.order`` re-exports them."""

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
    CANCELLED = "cancelled"  # cancelled by its owner before it started routing


FINAL_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.FAILED, OrderStatus.EXPIRED, OrderStatus.CANCELLED})
# Before routing starts: from routing on, a swap may be built and sent, and only the chain decides
# its outcome (solroute.logic.state_machine's transitions).
CANCELLABLE = frozenset({OrderStatus.OPEN, OrderStatus.PENDING})
