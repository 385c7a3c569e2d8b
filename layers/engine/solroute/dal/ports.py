"""The ports the domain owns. Adapters (DynamoDB, SQS, API Gateway) implement them; unit
tests use the in-memory ones in solroute.dal.memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from solroute.models.order import Order


@dataclass(frozen=True)
class Page:
    orders: list[Order]
    cursor: str | None


class OrderRepository(Protocol):
    def create(self, order: Order) -> None:
        """Insert a new order; fails if the id exists."""

    def get(self, order_id: str) -> Order | None: ...

    def save_transition(self, before: Order, after: Order) -> None:
        """Write ``after`` only if the stored order still has ``before``'s status and seq;
        raises StaleOrder otherwise."""

    def record_attempt(self, order_id: str, max_attempts: int, now_ms: int) -> Order:
        """Atomically add one attempt to a non-final order; raises AttemptsExhausted when
        ``max_attempts`` were already used and StaleOrder when the order is final."""

    def list_by_wallet(self, wallet: str, limit: int, cursor: str | None) -> Page:
        """Newest first; raises InvalidRequest for a cursor it did not issue."""


class OrderQueue(Protocol):
    def send(self, order_id: str, delay_seconds: int = 0, not_before_ms: int | None = None) -> None:
        """Queue an order for execution; raises QueueUnavailable."""

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        """Make a received message visible again after ``delay_seconds``."""


class RateLimitStore(Protocol):
    def read(self, bucket: str) -> tuple[Any, int, int] | None:
        """(tokens, updatedAtMs, version) or None when the bucket was never used."""

    def write_if_unchanged(self, bucket: str, tokens: Any, updated_at_ms: int, version: int) -> bool:
        """Store the new state as ``version + 1`` only if the stored version is still ``version``
        (0: the bucket must not exist yet); False if somebody wrote in between."""


class ChainLedger(Protocol):
    def put_if_absent(self, signature: str, record: dict) -> bool: ...

    def get(self, signature: str) -> dict | None: ...


@dataclass(frozen=True)
class Subscription:
    connection_id: str
    order_id: str


class ConnectionRepository(Protocol):
    def add(self, connection_id: str, order_id: str, expires_at: int) -> None: ...

    def remove_connection(self, connection_id: str) -> int:
        """Delete every subscription of the connection; returns how many."""

    def remove(self, connection_id: str, order_id: str) -> None: ...

    def connections_for(self, order_id: str) -> list[str]: ...

    def orders_for(self, connection_id: str) -> list[str]: ...


class ConnectionGone(Exception):
    """The client went away (API Gateway answered 410)."""


class Notifier(Protocol):
    def send(self, connection_id: str, message: dict) -> None:
        """Post to one connection; raises ConnectionGone for a closed one."""
