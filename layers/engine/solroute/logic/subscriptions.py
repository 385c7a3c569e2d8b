"""WebSocket subscriptions: who follows which order, and the snapshot a subscriber gets."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from solroute.dal.ports import ConnectionGone, ConnectionRepository, Notifier, SubscriberStore
from solroute.logic.broadcast import CONNECTION_TTL_SECONDS, snapshot
from solroute.logic.clock import Clock
from solroute.logic.orders import check_order_id
from solroute.models.errors import DomainError, OrderNotFound
from solroute.models.order import Order

logger = Logger(child=True)


class Subscriptions:
    def __init__(self, subscribers: SubscriberStore, connections: ConnectionRepository, notifier: Notifier, clock: Clock) -> None:
        self.subscribers = subscribers
        self.connections = connections
        self.notifier = notifier
        self.clock = clock

    def _expires_at(self) -> int:
        return self.clock.now_ms() // 1000 + CONNECTION_TTL_SECONDS

    def _subscribe(self, connection_id: str, order_id: str, owner: str) -> Order:
        order = self.subscribers.subscribe(connection_id, check_order_id(order_id), self._expires_at(), owner)
        if order is None:
            raise OrderNotFound(f"no order with id {order_id}", {"orderId": order_id})
        return order

    def connect(self, connection_id: str, order_id: str | None, owner: str) -> None:
        """Accept ``owner``'s connection; with an order id it must name a real order of the
        owner's (else raises), and the connection follows it from now on, before it sends anything."""
        if order_id is not None:
            self._subscribe(connection_id, order_id, owner)
            self.connections.add(connection_id, order_id, self._expires_at())  # for a later subscribe naming none
        logger.debug("connected", extra={"connection_id": connection_id, "order_id": order_id})

    def subscribe(self, connection_id: str, order_ids: list[str], owner: str) -> None:
        """Follow these orders (or, with none named, the one given at connect) and send each
        one's snapshot now, so a late subscriber misses nothing. The snapshot is the order as
        the subscribing write left it: every later status write carries this subscriber, so a
        change is either in the snapshot or broadcast to it, never in neither (at worst in
        both, and the client drops the repeat by seq)."""
        targets = order_ids or self.connections.orders_for(connection_id)
        if not targets:
            self._send(connection_id, _error("NO_ORDER", "name an orderId to subscribe to"))
            return
        for order_id in targets:
            try:
                self._send(connection_id, snapshot(self._subscribe(connection_id, order_id, owner)))
            except DomainError as error:
                self._send(connection_id, _error(error.code, error.message, {"orderId": order_id}))

    def _send(self, connection_id: str, message: dict) -> None:
        try:
            self.notifier.send(connection_id, message)
        except ConnectionGone:
            logger.info("connection gone before its answer", extra={"connection_id": connection_id})


def _error(code: str, message: str, details: dict | None = None) -> dict:
    return {"type": "error", "error": {"code": code, "message": message, "details": details or {}}}
