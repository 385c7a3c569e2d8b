"""The sweeper: fail pending orders that missed their start deadline (a limit order goes back to
open instead: it rests until the trigger queues it again, or its expiry).

Every order is stored ``pending`` with a start deadline before it is queued. The queue and its
dead-letter function look after every order whose message exists; the sweeper looks after
those whose message does not: the API died between storing and queueing an order, or the queue
refused it and the write that should have failed the order failed too. Such an order never
started, so nothing was swapped, and failing it is the truth; re-queueing it instead could
execute an order whose client was told it failed (and may have sent it again).

Consumers move the deadline when an order must wait for a rate-limit slot so long that a
delivery crashing at its slot would come back (a visibility timeout later) after the deadline;
an attempt takes the order out of pending in the write that counts it. So an order that is
merely queued is never swept.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from solroute.logic.state_machine import reopened, transition
from solroute.models.errors import StaleOrder
from solroute.models.order import OrderStatus
from solroute.ports import Clock, OrderRepository

logger = Logger(child=True)


@dataclass
class SweepReport:
    examined: int = 0
    failed: int = 0


class Sweeper:
    def __init__(self, orders: OrderRepository, clock: Clock, batch_size: int = 100) -> None:
        self.orders = orders
        self.clock = clock
        self.batch_size = batch_size

    def sweep(self, max_batches: int = 10) -> SweepReport:
        report = SweepReport()
        now_ms = self.clock.now_ms()
        for _ in range(max_batches):  # a full batch may mean more are due
            due = self.orders.pending_past_deadline(now_ms, self.batch_size)
            failed_before = report.failed
            for order_id in due:
                report.examined += 1
                report.failed += self._fail_if_still_due(order_id, now_ms)
            if len(due) < self.batch_size or report.failed == failed_before:
                break
        if report.examined:
            logger.info("sweep done", extra={"examined": report.examined, "failed": report.failed})
        return report

    def _fail_if_still_due(self, order_id: str, now_ms: int) -> int:
        order = self.orders.get(order_id)
        if order is None or order.status is not OrderStatus.PENDING or order.startDeadlineMs is None or order.startDeadlineMs > now_ms:
            return 0  # started, or its deadline moved, since the index was read (the index lags)
        queued_at = next((h.timestampMs for h in reversed(order.history) if h.status is OrderStatus.PENDING), order.history[0].timestampMs)
        seconds = (now_ms - queued_at) // 1000
        # What is known: no consumer took this message in time (a delivery moves the deadline past
        # its own redelivery); so it was never queued, or its message was lost. Nothing was swapped.
        lost = f"not started {seconds} s after it was queued: no consumer received its message in time (it never reached the execution queue, or the message was lost)"
        if order.is_limit:  # nobody told this client anything: its order rests again, to be triggered anew
            after = reopened(order, f"Its execution never started ({lost}); nothing was sent", self.clock)
        else:
            reason = f"{lost}; nothing was swapped"
            after = transition(order, OrderStatus.FAILED, f"Order failed: {reason}", self.clock, failureReason=reason)
        try:
            self.orders.save_transition(order, after, deadline_passed_at_ms=now_ms)
        except StaleOrder:
            return 0  # a consumer started it just now, or a delivery moved its deadline past its own redelivery
        logger.warning(f"order {after.status.value}: {lost}", extra={"order_id": order_id, "status": after.status.value, "start_deadline_ms": order.startDeadlineMs})
        return 1
