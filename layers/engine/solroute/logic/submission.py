"""Accept a validated order: store it as pending, then queue it."""

from __future__ import annotations

import uuid
from typing import Callable

from aws_lambda_powertools import Logger

from solroute.dal.ports import OrderQueue, OrderRepository
from solroute.logic.clock import Clock
from solroute.logic.state_machine import transition
from solroute.models.errors import QueueUnavailable, StaleOrder
from solroute.models.order import HistoryEntry, Order, OrderStatus
from solroute.models.requests import ExecuteOrderRequest

logger = Logger(child=True)


def new_order_id() -> str:
    return str(uuid.uuid4())


class OrderSubmission:
    def __init__(
        self, orders: OrderRepository, queue: OrderQueue, clock: Clock, new_id: Callable[[], str] = new_order_id
    ) -> None:
        self.orders = orders
        self.queue = queue
        self.clock = clock
        self.new_id = new_id

    def submit(self, request: ExecuteOrderRequest) -> Order:
        now_ms = self.clock.now_ms()
        stamp = self.clock.iso(now_ms)
        order = Order(
            orderId=self.new_id(),
            type=request.type,
            tokenIn=request.tokenIn,
            tokenOut=request.tokenOut,
            amountIn=request.amountIn,
            slippage=request.slippage,
            wallet=request.wallet,
            createdAt=stamp,
            updatedAt=stamp,
            statusAtMs=now_ms,
            history=[HistoryEntry(status=OrderStatus.PENDING, seq=1, timestamp=stamp, timestampMs=now_ms, message="Order received")],
        )
        self.orders.create(order)
        try:
            self.queue.send(order.orderId)
        except QueueUnavailable as error:
            self._fail_unqueued(order, error)
            raise
        return order

    def _fail_unqueued(self, order: Order, error: QueueUnavailable) -> None:
        # Never leave an order pending that no consumer will ever see.
        reason = f"could not be queued for execution: {error.message}"
        failed = transition(order, OrderStatus.FAILED, "Order could not be queued", self.clock, failureReason=reason)
        try:
            self.orders.save_transition(order, failed)
        except StaleOrder:
            logger.warning("order moved while failing it after a queue error", extra={"order_id": order.orderId})
        logger.error("order failed: queue unavailable", extra={"order_id": order.orderId, "reason": reason})
