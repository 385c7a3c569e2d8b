"""WebSocket subscriptions: who follows which order, and the snapshot a subscriber gets."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from solroute.dal.ports import ConnectionGone, ConnectionRepository, Notifier
from solroute.logic.broadcast import CONNECTION_TTL_SECONDS, snapshot
from solroute.logic.clock import Clock
from solroute.logic.orders import OrderQueries
from solroute.models.errors import DomainError

logger = Logger(child=True)



class Subscriptions:
    def __init__(self, queries: OrderQueries, connections: ConnectionRepository, notifier: Notifier, clock: Clock) -> None:
        self.queries = queries
        self.connections = connections
        self.notifier = notifier
        self.clock = clock

    def _expires_at(self) -> int:
        return self.clock.now_ms() // 1000 + CONNECTION_TTL_SECONDS

    def connect(self, connection_id: str, order_id: str | None) -> None:
        """Accept a connection; with an order id it must name a real order (else raises)."""
        if order_id is not None:
            self.queries.get(order_id)
            self.connections.add(connection_id, order_id, self._expires_at())
        logger.debug("connected", extra={"connection_id": connection_id, "order_id": order_id})

    def subscribe(self, connection_id: str, order_ids: list[str]) -> None:
        """Follow these orders (or, with none named, those given at connect) and send each
        one's snapshot now, so a late subscriber misses nothing. Subscribing comes first:
        a change written in between arrives twice at worst, and the client drops it by seq."""
        targets = order_ids or self.connections.orders_for(connection_id)
        if not targets:
            self._send(connection_id, _error("NO_ORDER", "name an orderId to subscribe to"))
            return
        for order_id in targets:
            try:
                self.queries.get(order_id)  # refuse unknown orders before subscribing to them
                self.connections.add(connection_id, order_id, self._expires_at())
                # Read again after subscribing: a change written in between is then either in
                # this snapshot or in a broadcast, never in neither.
                self._send(connection_id, snapshot(self.queries.get(order_id)))
            except DomainError as error:
                self._send(connection_id, _error(error.code, error.message, {"orderId": order_id}))

    def disconnect(self, connection_id: str) -> None:
        removed = self.connections.remove_connection(connection_id)
        logger.debug("disconnected", extra={"connection_id": connection_id, "subscriptions_removed": removed})

    def _send(self, connection_id: str, message: dict) -> None:
        try:
            self.notifier.send(connection_id, message)
        except ConnectionGone:
            self.connections.remove_connection(connection_id)


def _error(code: str, message: str, details: dict | None = None) -> dict:
    return {"type": "error", "error": {"code": code, "message": message, "details": details or {}}}
