"""WebSocket subscriptions: who follows which order, and the snapshot a subscriber gets; how
many connections an API key may keep open, and what a revoked key's connection may still do
(nothing)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from solroute.logic.broadcast import CONNECTION_TTL_SECONDS, snapshot
from solroute.logic.keys import Revocations
from solroute.logic.orders import check_order_id
from solroute.models.errors import DomainError, OrderNotFound, TooManyConnections, Unauthenticated
from solroute.models.keys import Connector
from solroute.models.order import Order
from solroute.models.websocket_messages import ErrorMessage
from solroute.ports import Clock, ConnectionGone, ConnectionRepository, KeyConnectionStore, Notifier, SubscriberStore

logger = Logger(child=True)

# Orders one subscribe frame may name. Each costs a write (the subscription on the order's item)
# and a message (its snapshot); a larger frame is refused whole, before any call.
MAX_ORDERS_PER_SUBSCRIBE = 10
KEY_REVOKED = "this API key has been revoked: the connection is closed; connect again with a valid key"


class Subscriptions:
    def __init__(
        self,
        subscribers: SubscriberStore,
        connections: ConnectionRepository,
        notifier: Notifier,
        clock: Clock,
        key_connections: KeyConnectionStore,
        revocations: Revocations,
        max_connections_per_key: int,
    ) -> None:
        self.subscribers = subscribers
        self.connections = connections
        self.notifier = notifier
        self.clock = clock
        self.key_connections = key_connections
        self.revocations = revocations
        self.max_connections_per_key = max_connections_per_key

    def _expires_at(self) -> int:
        return self.clock.now_ms() // 1000 + CONNECTION_TTL_SECONDS

    def _subscribe(self, connection_id: str, order_id: str, caller: Connector) -> Order:
        order = self.subscribers.subscribe(connection_id, check_order_id(order_id), self._expires_at(), caller.owner, caller.key_id)
        if order is None:  # none, or another owner's: the same answer for both
            raise OrderNotFound(f"no order with id {order_id}", {"orderId": order_id})
        return order

    def connect(self, connection_id: str, order_id: str | None, caller: Connector) -> None:
        """Accept ``caller``'s connection (raises TooManyConnections when its key has as many
        open as it may); with an order id it must name a real order of the caller's (else
        raises), and the connection follows it from now on, before it sends anything."""
        if not self.key_connections.open(caller.key_id, connection_id, self._expires_at(), self.max_connections_per_key):
            max_open = self.max_connections_per_key
            raise TooManyConnections(
                f"this API key has {max_open} WebSocket connections open, the most it may have: close one, or follow "
                "several orders on one connection (a subscribe frame names up to "
                f"{MAX_ORDERS_PER_SUBSCRIBE}), then connect again",
                {"max": max_open},
            )
        try:
            if order_id is not None:
                self._subscribe(connection_id, order_id, caller)
                self.connections.add(connection_id, order_id, self._expires_at())  # for a later subscribe naming none
        except BaseException:
            self._release(connection_id, caller)  # a refused handshake never opens: no $disconnect will come
            raise
        logger.debug("connected", extra={"connection_id": connection_id, "order_id": order_id})

    def disconnect(self, connection_id: str, caller: Connector) -> None:
        """The connection closed ($disconnect): its slot is free again."""
        self.key_connections.close(caller.key_id, connection_id)

    def _release(self, connection_id: str, caller: Connector) -> None:
        try:
            self.key_connections.close(caller.key_id, connection_id)
        except DomainError as error:  # it expires with the connection's lifetime anyway
            logger.warning("could not free a refused connection's slot", extra={"connection_id": connection_id, "error": error.message})

    def subscribe(self, connection_id: str, order_ids: list[str], caller: Connector) -> None:
        """Follow these orders (or, with none named, the one given at connect) and send each
        one's snapshot now, so a late subscriber misses nothing. The snapshot is the order as
        the subscribing write left it: every later status write carries this subscriber, so a
        change is either in the snapshot or broadcast to it, never in neither (at worst in
        both, and the client drops the repeat by seq). A revoked key's connection is told so
        and closed, and subscribes to nothing."""
        if len(order_ids) > MAX_ORDERS_PER_SUBSCRIBE:
            self._send(connection_id, _error(
                "TOO_MANY_ORDER_IDS",
                f"a subscribe frame may name at most {MAX_ORDERS_PER_SUBSCRIBE} orders and this one names {len(order_ids)}: "
                f"nothing was subscribed; send them in frames of {MAX_ORDERS_PER_SUBSCRIBE} or fewer",
                {"max": MAX_ORDERS_PER_SUBSCRIBE, "named": len(order_ids)},
            ))  # fmt: skip
            return
        try:
            revoked = self.revocations.revoked(caller.key_id)
        except DomainError as error:  # the key could not be checked (a throttled read): try again
            self._send(connection_id, _error(error.code, error.message))
            return
        if revoked:
            self._send(connection_id, _error(Unauthenticated.code, KEY_REVOKED))
            self.notifier.close(connection_id)
            return
        targets = list(dict.fromkeys(order_ids)) or self.connections.orders_for(connection_id)
        if not targets:
            self._send(connection_id, _error("NO_ORDER", "name an orderId to subscribe to"))
            return
        for order_id in targets:
            try:
                self._send(connection_id, snapshot(self._subscribe(connection_id, order_id, caller)))
            except DomainError as error:
                self._send(connection_id, _error(error.code, error.message, {"orderId": order_id}))

    def _send(self, connection_id: str, message: dict) -> None:
        try:
            self.notifier.send(connection_id, message)
        except ConnectionGone:
            logger.info("connection gone before its answer", extra={"connection_id": connection_id})


def _error(code: str, message: str, details: dict | None = None) -> dict:
    return ErrorMessage.of(code, message, details).frame()
