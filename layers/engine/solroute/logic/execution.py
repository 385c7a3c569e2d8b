"""Execute one queued order, one conditional step at a time.

pending -> routing -> building -> submitted -> confirmed | failed

Every step is a conditional write on the status and seq just read, so a duplicate or replayed
delivery can neither move the order backwards nor run a step twice. The swap's signature is
stored (building -> submitted) before the swap is sent; an order found in ``submitted`` is
settled by looking the signature up on the chain, and resending the same signed swap, which
the chain deduplicates, never by building a second one.

Waiting for a landed swap to become final costs Lambda time and does no work, so when
finality is a second or more away the message is put back with that delay and a later,
short delivery settles the order (settling is not an attempt).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aws_lambda_powertools import Logger

from solroute.dal.ports import OrderRepository
from solroute.dex.chain import ChainReceipt, SimulatedChain
from solroute.logic.backoff import backoff_seconds
from solroute.logic.clock import Clock
from solroute.logic.rate_limit import RateLimiter, RateLimiterBusy
from solroute.logic.routing import Router
from solroute.logic.state_machine import transition
from solroute.models.errors import AttemptsExhausted, PermanentOrderError, StaleOrder
from solroute.models.order import ExecutionResult, Order, OrderStatus

logger = Logger(child=True)
S = OrderStatus


@dataclass(frozen=True)
class Outcome:
    """What the consumer must do with the message.

    done: delete it. retry: leave it on the queue, visible again in ``delay_seconds``.
    requeue: the order waits for a rate-limit slot; queue it anew (not an attempt).
    """

    action: str
    order: Order | None = None
    delay_seconds: int = 0
    not_before_ms: int | None = None
    finished: bool = False  # this delivery moved the order to a final status


# An order that must wait longer than this for its start token goes back on the queue
# rather than hold a consumer: when many orders are due at once, sleeping consumers would
# starve the deliveries that settle swaps.
MAX_IN_PLACE_WAIT_MS = 250


class _SettleLater(Exception):
    def __init__(self, final_at_ms: int) -> None:
        self.final_at_ms = final_at_ms


class OrderExecutor:
    def __init__(
        self,
        orders: OrderRepository,
        router: Router,
        chain: SimulatedChain,
        limiter: RateLimiter,
        clock: Clock,
        max_attempts: int = 3,
        backoff_base_seconds: float = 2.0,
    ) -> None:
        self.orders = orders
        self.router = router
        self.chain = chain
        self.limiter = limiter
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff_base_seconds = backoff_base_seconds

    def process(self, order_id: str, receive_count: int = 1, not_before_ms: int | None = None) -> Outcome:
        order = self.orders.get(order_id)
        if order is None:
            logger.warning("queued order does not exist; dropping message", extra={"order_id": order_id})
            return Outcome("done")
        if order.is_final:
            logger.info("order already final; duplicate delivery ignored", extra={"order_id": order_id, "status": order.status.value})
            return Outcome("done", order)

        if order.status is S.PENDING and order.attempts == 0:
            try:
                waiting = self._wait_for_start_slot(not_before_ms)
            except RateLimiterBusy:
                return Outcome("requeue", delay_seconds=1, not_before_ms=not_before_ms)
            if waiting:
                return waiting
        elif order.status is S.SUBMITTED:
            settled = self._settle_landed(order)
            if settled:
                return settled

        try:
            order = self.orders.record_attempt(order_id, self.max_attempts, self.clock.now_ms())
        except AttemptsExhausted:
            return self._finished(self._fail(order_id, f"gave up after {self.max_attempts} attempts"))
        except StaleOrder:
            return Outcome("done", self.orders.get(order_id))
        logger.debug("attempt started", extra={"order_id": order_id, "attempt": order.attempts, "status": order.status.value})

        try:
            return self._finished(self._advance(order))
        except _SettleLater as later:
            return self._requeue_until(later.final_at_ms)
        except StaleOrder:
            logger.info("another delivery moved the order; leaving it to that one", extra={"order_id": order_id})
            return Outcome("done", self.orders.get(order_id))
        except PermanentOrderError as error:
            return self._finished(self._fail(order_id, error.message))
        except Exception as error:  # transient venue/RPC errors and anything unexpected alike
            return self._retry_or_fail(order_id, order.attempts, receive_count, error)

    def give_up(self, order_id: str, reason: str) -> Outcome:
        """Fail an order that processing abandoned (used for dead-lettered messages)."""
        order = self.orders.get(order_id)
        if order is None or order.is_final:
            return Outcome("done", order)
        return self._finished(self._fail(order_id, reason))

    def _settle_landed(self, order: Order) -> Outcome | None:
        """An order whose swap already landed is settled by lookup, without an attempt."""
        assert order.transaction is not None
        receipt = self.chain.lookup(order.transaction.signature)
        if receipt is None:
            return None  # never landed (a crash before sending, or an RPC error): resend it
        logger.debug("swap found on chain; settling without sending", extra={"order_id": order.orderId, "tx": receipt.signature})
        try:
            return self._finished(self._finalize(order, receipt))
        except _SettleLater as later:
            return self._requeue_until(later.final_at_ms)
        except StaleOrder:
            return Outcome("done", self.orders.get(order.orderId))

    def _requeue_until(self, final_at_ms: int) -> Outcome:
        remaining_ms = final_at_ms - self.clock.now_ms()
        return Outcome("requeue", delay_seconds=max(1, remaining_ms // 1000), not_before_ms=final_at_ms)

    @staticmethod
    def _finished(order: Order | None) -> Outcome:
        finished = order is not None and order.is_final
        if finished:
            _log_final(order)
        return Outcome("done", order, finished=finished)

    def _wait_for_start_slot(self, not_before_ms: int | None) -> Outcome | None:
        """None once the order may start now; else how to put it back (not an attempt)."""
        if not_before_ms is None:  # first delivery: reserve a slot, spreading a backlog
            not_before_ms = self.clock.now_ms() + self.limiter.reserve()
        remaining_ms = not_before_ms - self.clock.now_ms()
        if remaining_ms >= 1000:  # SQS delays are whole seconds: wait the rest here
            return Outcome("requeue", delay_seconds=remaining_ms // 1000, not_before_ms=not_before_ms)
        if remaining_ms > 0:
            self.clock.sleep(remaining_ms / 1000)
        for _ in range(3):
            wait_ms = self.limiter.try_start()
            if wait_ms == 0:
                return None
            if wait_ms > MAX_IN_PLACE_WAIT_MS:
                break
            self.clock.sleep(wait_ms / 1000)
        # Other due orders are ahead: give the consumer back (settlements need it) and retry.
        return Outcome("requeue", delay_seconds=max(1, wait_ms // 1000), not_before_ms=self.clock.now_ms() + wait_ms)

    def _retry_or_fail(self, order_id: str, attempt: int, receive_count: int, error: Exception) -> Outcome:
        reason = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        if attempt >= self.max_attempts:
            logger.error("attempt failed; no attempts left", extra={"order_id": order_id, "attempt": attempt, "error": reason})
            return self._finished(self._fail(order_id, f"{reason} (after {attempt} attempts)"))
        delay = backoff_seconds(receive_count, self.backoff_base_seconds)
        logger.warning(
            "attempt failed; retrying with backoff",
            extra={"order_id": order_id, "attempt": attempt, "retry_in_seconds": delay, "error": reason},
            exc_info=not isinstance(getattr(error, "code", None), str),
        )
        return Outcome("retry", delay_seconds=delay)

    def _advance(self, order: Order) -> Order:
        while not order.is_final:
            order = self._step(order)
        return order

    def _step(self, order: Order) -> Order:
        if order.status is S.PENDING:
            return self._move(order, S.ROUTING, "Comparing Raydium and Meteora quotes")
        if order.status is S.ROUTING:
            quotes, decision = self.router.route(order)
            message = f"Routing to {decision.dex.capitalize()}: {decision.reason}"
            return self._move(order, S.BUILDING, message, quotes=quotes, routing=decision)
        if order.status is S.BUILDING:
            assert order.routing is not None
            quote = next(q for q in order.quotes if q.dex == order.routing.dex)
            swap = self.router.venue(order.routing.dex).build_swap(order, order.routing, quote)
            return self._move(order, S.SUBMITTED, f"Swap sent to {swap.dex.capitalize()}", transaction=swap)
        if order.status is S.SUBMITTED:
            return self._settle(order)
        raise AssertionError(f"no step from {order.status}")

    def _settle(self, order: Order) -> Order:
        swap = order.transaction
        assert swap is not None
        receipt = self.chain.lookup(swap.signature) or self.chain.send(swap, self._fee_rate(order), order.attempts)
        return self._finalize(order, receipt)

    def _finalize(self, order: Order, receipt: ChainReceipt) -> Order:
        """Record the swap's outcome once it is final; raises _SettleLater when that is a
        second or more away (SQS delays are whole seconds: a shorter wait happens here)."""
        remaining_ms = receipt.final_at_ms - self.clock.now_ms()
        if remaining_ms >= 1000:
            raise _SettleLater(receipt.final_at_ms)
        self.clock.sleep(max(0, remaining_ms) / 1000)
        if receipt.status == "failed":
            reason = receipt.error or "swap failed on chain"
            return self._move(order, S.FAILED, f"Swap failed: {reason}", failureReason=reason, execution=self._result(receipt))
        result = self._result(receipt)
        return self._move(order, S.CONFIRMED, f"Confirmed: {result.amountOut} {order.tokenOut} on {result.dex.capitalize()}", execution=result)

    @staticmethod
    def _fee_rate(order: Order) -> Decimal:
        assert order.routing is not None
        return next(q.feeRate for q in order.quotes if q.dex == order.routing.dex)

    @staticmethod
    def _result(receipt: ChainReceipt) -> ExecutionResult:
        return ExecutionResult(
            txHash=receipt.signature,
            dex=receipt.dex,
            amountOut=receipt.amountOut,
            executedPrice=receipt.executedPrice,
            fee=receipt.fee,
            slippage=receipt.slippage,
        )

    def _move(self, order: Order, target: OrderStatus, message: str, **fields: object) -> Order:
        after = transition(order, target, message, self.clock, **fields)
        self.orders.save_transition(order, after)
        logger.debug(message, extra={"order_id": order.orderId, "status": target.value, "seq": after.seq})
        return after

    def _fail(self, order_id: str, reason: str) -> Order | None:
        """Mark the order failed from whatever status it is in now (re-read on a lost race)."""
        for _ in range(3):
            order = self.orders.get(order_id)
            if order is None or order.is_final:
                return order
            try:
                return self._move(order, S.FAILED, f"Order failed: {reason}", failureReason=reason)
            except StaleOrder:
                continue
        return self.orders.get(order_id)


def _log_final(order: Order) -> None:
    """One line per order that says what happened to it: each step with its offset."""
    start = order.history[0].timestampMs
    timeline = " ".join(f"{h.status.value}+{h.timestampMs - start}ms" for h in order.history)
    extra: dict = {"order_id": order.orderId, "status": order.status.value, "attempts": order.attempts, "timeline": timeline}
    if order.routing:
        extra.update(dex=order.routing.dex, route=order.routing.reason)
    if order.execution:
        extra.update(amount_out=str(order.execution.amountOut), tx=order.execution.txHash)
    if order.status is S.FAILED:
        logger.warning(f"order failed: {order.failureReason}", extra=extra)
    else:
        logger.info(f"order {order.status.value}: {order.history[-1].message}", extra=extra)
