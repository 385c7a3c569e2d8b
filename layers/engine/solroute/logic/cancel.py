"""Cancel an order before it starts routing.

Cancelling is one conditional write, on the status and seq just read, exactly like the
consumer's first step (pending -> routing, in the write that counts its attempt) and the
trigger's (open -> pending). Whichever of them writes first wins and the other's condition
fails: so an order is either cancelled and never routed, or routing and not cancelled, and the
client is told which (the cancelled order, or NotCancellable with the status it is in).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from solroute.logic.orders import OrderQueries
from solroute.logic.state_machine import transition
from solroute.logic.strategies import cancel_requested, cancelled, settled
from solroute.models.status import CANCELLABLE
from solroute.models.errors import NotCancellable, StaleOrder, StoreBusy
from solroute.models.order import Order, OrderStatus
from solroute.ports import Clock, OrderRepository

logger = Logger(child=True)
REASON = "cancelled by its owner before it started routing; nothing was swapped"


class OrderCancellation:
    def __init__(self, orders: OrderRepository, clock: Clock, max_tries: int = 5) -> None:
        self.orders = orders
        self.queries = OrderQueries(orders)
        self.clock = clock
        self.max_tries = max_tries

    def cancel(self, order_id: str, owner: str) -> Order:
        """The order, cancelled; raises OrderNotFound (unknown, or another owner's) or
        NotCancellable (it has started routing, or is final)."""
        for _ in range(self.max_tries):  # a write that lost to a move that keeps it cancellable (open -> pending) tries again
            order = self.queries.get(order_id, owner)
            if order.status not in CANCELLABLE:
                raise NotCancellable(_too_late(order), {"orderId": order_id, "status": order.status.value})
            if order.strategy is not None:
                try:
                    return self._cancel_strategy(order)
                except StaleOrder:  # the trigger moved it (a slot started, a child landed): read it again
                    logger.info("cancel lost a race with the trigger; reading the strategy again", extra={"order_id": order_id})
                    continue
            cancelled = transition(order, OrderStatus.CANCELLED, f"Cancelled: {REASON}", self.clock, failureReason=REASON)
            try:
                self.orders.save_transition(order, cancelled)
            except StaleOrder:
                logger.info("cancel lost a race; reading the order again", extra={"order_id": order_id, "was": order.status.value})
                continue
            logger.info("order cancelled", extra={"order_id": order_id, "was": order.status.value, "status": "cancelled"})
            return cancelled
        order = self.queries.get(order_id, owner)
        if order.status in CANCELLABLE:  # it kept moving between open and pending: no answer yet
            raise StoreBusy(f"order {order_id} kept changing while it was being cancelled; send the cancel again", {"orderId": order_id})
        raise NotCancellable(_too_late(order), {"orderId": order_id, "status": order.status.value})


    def _cancel_strategy(self, parent: Order) -> Order:
        """No slot starts after this. With a child in flight: one still pending is cancelled too
        (the parent then ends at once, the child's outcome recorded); one already routing
        finishes truthfully, and the parent ends cancelled when it lands (the trigger records it).
        Raises StaleOrder when the parent moved since it was read."""
        strategy = parent.strategy
        assert strategy is not None
        if strategy.cancelRequested:
            return parent  # asked before: it ends when its child lands
        child = self.orders.get(strategy.inflight) if strategy.inflight else None
        if child is not None and child.status in CANCELLABLE:
            try:
                self.orders.save_transition(child, transition(child, OrderStatus.CANCELLED, f"Cancelled: {REASON} (its strategy was cancelled)",
                                                              self.clock, failureReason=REASON))  # fmt: skip
            except StaleOrder:
                pass  # the consumer took it first: it finishes
            child = self.orders.get(child.orderId)
        if strategy.inflight is None:
            after = cancelled(parent, self.clock)
        elif child is not None and child.is_final:
            after = settled(parent, child, self.clock)
            after = cancelled(after, self.clock) if after.status is OrderStatus.ACTIVE else after
        else:  # running (or not yet made: its slot started first, so it runs)
            after = cancel_requested(parent, self.clock)
        self.orders.save_transition(parent, after)  # one write, conditional on the parent as read
        logger.info("strategy cancel", extra={"order_id": parent.orderId, "status": after.status.value, "child_id": strategy.inflight})
        return after


def _too_late(order: Order) -> str:
    if order.is_final:
        return f"order {order.orderId} is already {order.status.value}; there is nothing to cancel"
    return f"order {order.orderId} is {order.status.value}: it has started routing, so it can no longer be cancelled"
