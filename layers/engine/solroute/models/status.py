"""An order's statuses, and which are final: the one definition every part uses (the engine, the
store's conditions, the CLI, and the web console, which the console function serves them to).
Standard library only, so a client imports it for nothing."""

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
# The same, as the strings the API, the WebSocket and the store write.
FINAL_STATUS_NAMES: tuple[str, ...] = tuple(sorted(status.value for status in FINAL_STATUSES))
