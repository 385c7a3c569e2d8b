"""Execute one queued order, one conditional step at a time.

pending -> routing -> building -> submitted -> confirmed | failed

A pending order whose deadline (``expiresAtMs``) comes before it could start routing ends
``expired`` instead, without an attempt; a triggered limit order whose route no longer meets its
price goes back to ``open`` from routing, before anything is built.

Every step is a conditional write on the status and seq just read, so a duplicate or replayed
delivery can neither move the order backwards nor run a step twice. The swap's signature is
stored (building -> submitted) before the swap is sent; an order found in ``submitted`` is
settled by looking the signature up on the chain, and resending the same signed swap, which
the chain deduplicates, never by building a second one. An order in ``submitted`` is failed
only after the chain has shown that its swap never landed and now never will (see give_up):
a swap that landed is the truth, whatever went wrong around it.

Waiting for a landed swap to become final costs Lambda time and does no work, so when
finality is a second or more away the order goes on the settle queue with that delay and a
later, short delivery (the settler's) settles it (settling is not an attempt).

The guarantees this keeps are written down in docs/guarantees.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aws_lambda_powertools import Logger

from solroute.logic.backoff import backoff_seconds
from solroute.logic.rate_limit import RateLimiter, RateLimiterBusy
from solroute.logic.routing import Router, build_transaction, display
from solroute.logic.state_machine import reopened, transition
from solroute.logic.trigger import wake_trigger
from solroute.models import timeouts
from solroute.models.amounts import plain
from solroute.models.chain import ChainReceipt
from solroute.models.errors import AttemptsExhausted, LimitNotMet, NotFinalYet, PermanentOrderError, StaleOrder
from solroute.models.order import ExecutionResult, Order, OrderStatus
from solroute.ports import Chain, Clock, OrderQueue, OrderRepository

logger = Logger(child=True)
S = OrderStatus
# Where a limit order has sent nothing yet: what cannot execute now rests again (back to open).
# (One in submitted rests too, once the chain has shown its swap never lands: see give_up.)
RESTING_AGAIN = frozenset({S.PENDING, S.ROUTING, S.BUILDING})
ROUTING_MESSAGE = "Comparing Raydium and Meteora quotes"


@dataclass(frozen=True)
class Outcome:
    """What the consumer must do with the message.

    done: delete it. retry: leave it on the queue, visible again in ``delay_seconds``.
    requeue: the order waits (for a rate-limit slot, or for its swap to be final); queue it
    anew with that delay (not an attempt).
    """

    action: str
    order: Order | None = None
    delay_seconds: int = 0
    not_before_ms: int | None = None
    finished: bool = False  # this delivery moved the order to a final status
    settle: bool = False  # requeue: the order's swap landed and waits to be final
    cycle: int | None = None  # requeue: the order's cycle the new message belongs to

    def apply(self, queue: OrderQueue, order_id: str, receipt_handle: str) -> bool:
        """Carry the outcome out on the queue; True when the received message is done with
        (delete it), False when it must stay to come back after its new visibility timeout."""
        if self.action == "retry":
            queue.retry_later(receipt_handle, self.delay_seconds)
            return False
        if self.action == "requeue":
            queue.send(order_id, self.delay_seconds, self.not_before_ms, settle=self.settle, cycle=self.cycle)
        return True


# An order that must wait longer than this for the rule to let it start goes back on the queue
# rather than hold a consumer: when many orders are due at once, sleeping consumers would
# starve the deliveries that settle swaps. (SQS delays are whole seconds: a wait under one
# is cheaper here than a round trip through the queue.)
MAX_IN_PLACE_WAIT_MS = 1000


class OrderExecutor:
    def __init__(
        self,
        orders: OrderRepository,
        router: Router,
        chain: Chain,
        limiter: RateLimiter,
        clock: Clock,
        max_attempts: int = 3,
        backoff_base_seconds: float = 2.0,
        attempt_timeout_ms: int = timeouts.ATTEMPT_TIMEOUT_SECONDS * 1000,
        start_timeout_ms: int = timeouts.START_TIMEOUT_SECONDS * 1000,
        redelivery_ms: int = timeouts.QUEUE_VISIBILITY_TIMEOUT_SECONDS * 1000,
        trigger_wake: OrderQueue | None = None,
    ) -> None:
        self.orders = orders
        self.router = router
        self.chain = chain
        self.limiter = limiter
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff_base_seconds = backoff_base_seconds
        self.attempt_timeout_ms = attempt_timeout_ms  # how long another delivery's attempt may still be running
        self.start_timeout_ms = start_timeout_ms  # a pending order not started by then is failed by the sweeper
        self.redelivery_ms = redelivery_ms  # the queue's visibility timeout: a crashed delivery's message comes back after it
        self.trigger_wake = trigger_wake  # told when a limit order goes back to open (None: the trigger's schedule finds it)

    def process(self, order_id: str, receive_count: int = 1, not_before_ms: int | None = None, cycle: int | None = None) -> Outcome:
        """Carry out one delivery of the order's message (``cycle``: the cycle it was queued in)."""
        try:
            return self._process(order_id, receive_count, not_before_ms, cycle)
        except Exception as error:  # a throttled read or write between attempts: nothing started
            return self._retry(order_id, receive_count, error)

    def _process(self, order_id: str, receive_count: int, not_before_ms: int | None, cycle: int | None) -> Outcome:
        order = self.orders.get(order_id)
        if order is None:
            logger.warning("queued order does not exist; dropping message", extra={"order_id": order_id})
            return Outcome("done")
        if order.is_final:
            logger.info("order already final; duplicate delivery ignored", extra={"order_id": order_id, "status": order.status.value})
            return Outcome("done", order)
        if order.status is S.OPEN:  # a limit order waiting for its price: the trigger queues it anew when it is reached
            logger.info("order is open (waiting for its limit price); stale delivery ignored", extra={"order_id": order_id})
            return Outcome("done", order)
        if _stale(order, cycle):
            return Outcome("done", order)
        # Everything this delivery does from here belongs to the cycle it read: a give-up that
        # comes after another delivery reopened the order (and the trigger queued it again) must
        # leave that later cycle alone.
        cycle = order.cycle

        if order.status is S.PENDING and order.attempts == 0:
            if self._past_deadline(order, self.clock.now_ms()):
                return self._expire(order, "its deadline passed while it waited to start")
            order = self._hold_start_deadline(order)
            try:
                waiting = self._wait_for_start_slot(order, not_before_ms)
            except RateLimiterBusy:
                waiting = self._requeue_pending(order, 1000)
            if waiting:
                return waiting
        elif order.status is S.SUBMITTED:
            settled = self._settle_landed(order)
            if settled:
                return settled

        now_ms = self.clock.now_ms()
        # A pending order's attempt and its first step are one write: an attempt can never
        # die between the two and leave a pending order with an attempt counted.
        moving_to = transition(order, S.ROUTING, ROUTING_MESSAGE, self.clock) if order.status is S.PENDING else None
        if moving_to is not None and self._past_deadline(order, moving_to.statusAtMs):
            return self._expire(order, "its deadline passed while it waited to start")
        try:
            order = self.orders.record_attempt(order, self.max_attempts, now_ms, moving_to)
        except AttemptsExhausted:
            return self._attempts_used_up(order, cycle)
        except StaleOrder:
            return self._left_to_another_delivery(order_id)
        logger.debug("attempt started", extra={"order_id": order_id, "attempt": order.attempts, "status": order.status.value})

        try:
            return self._finished(self._advance(order))
        except NotFinalYet as later:
            return self._requeue_until(later.at_ms, order)
        except StaleOrder:
            return self._left_to_another_delivery(order_id)
        except PermanentOrderError as error:
            return self.give_up(order_id, error.message, cycle)
        except Exception as error:  # transient venue/RPC/store errors and anything unexpected alike
            return self._retry_or_give_up(order_id, order.attempts, receive_count, error, cycle)

    @staticmethod
    def _past_deadline(order: Order, at_ms: int) -> bool:
        return order.expiresAtMs is not None and at_ms >= order.expiresAtMs

    def _expire(self, order: Order, why: str) -> Outcome:
        """End a pending order that would start routing after its deadline: nothing was built
        or sent, and it never will be (a limit order's expiry is its deadline too)."""
        assert order.expiresAtMs is not None
        late_s = (self.clock.now_ms() - order.expiresAtMs) / 1000
        reason = f"not started by its deadline {self.clock.iso(order.expiresAtMs)}: {why}; nothing was swapped"
        message = f"Expired: {reason}" + (f" ({late_s:.1f} s past it)" if late_s > 0 else "")
        try:
            return self._finished(self._move(order, S.EXPIRED, message, failureReason=reason))
        except StaleOrder:
            return self._left_to_another_delivery(order.orderId)

    def _left_to_another_delivery(self, order_id: str) -> Outcome:
        """Another delivery (a duplicate of this message) moved the order while this one ran:
        leave the work to it, but keep the message, hidden for as long as that delivery's
        attempt may run. If it dies, this message is the order's only way back (its own
        delete may not even remove a message received again since); if it finishes, the
        message comes back to a final order and is dropped."""
        current = self.orders.get(order_id)
        if current is None or current.is_final:
            return Outcome("done", current)
        logger.info("another delivery moved the order; leaving it to that one, this message kept", extra={"order_id": order_id})
        return Outcome("retry", current, delay_seconds=self.attempt_timeout_ms // 1000 + 1)

    def give_up(self, order_id: str, reason: str, cycle: int | None = None) -> Outcome:
        """End what processing abandoned (the last attempt failed, the attempts are used up, an
        error retrying cannot help, or the message of ``cycle`` was dead-lettered), from whatever
        status the order is in now. A market order is failed. A limit order that has sent
        nothing (pending, routing, building) rests again instead: it goes back to ``open`` and
        only its expiry, a cancel or its swap's outcome ends it.

        An order in ``submitted`` is failed only once the chain has shown that its swap never
        landed and now never will; if the swap did land, its outcome is recorded instead, so
        a client whose swap was paid is never told ``failed``. Nothing of an earlier cycle
        touches a later one: a limit order already open again, or queued again since, is left."""
        for _ in range(3):  # re-read after losing a race with another delivery
            order = self.orders.get(order_id)
            if order is None or order.is_final or order.status is S.OPEN or _stale(order, cycle):
                return Outcome("done", order)
            try:
                if order.is_limit and order.status in RESTING_AGAIN:
                    return self._rest(order, f"Could not execute now ({reason}); nothing was sent")
                if order.status is S.SUBMITTED:
                    assert order.transaction is not None
                    receipt = self.chain.expire(order.transaction, self.clock.now_ms())
                    if receipt is not None:
                        logger.warning("the abandoned order's swap had landed; recording what the chain says", extra={"order_id": order_id})
                        return self._finished(self._finalize(order, receipt))
                    if order.is_limit:  # the chain promises its swap never lands: it rests, to be signed anew
                        return self._rest(order, f"Its swap {order.transaction.signature[:12]}... never landed and now never will ({reason}); nothing was swapped")
                return self._finished(self._move(order, S.FAILED, f"Order failed: {reason}", failureReason=reason))
            except NotFinalYet as later:
                return self._requeue_until(later.at_ms, order)
            except StaleOrder:
                continue
        return Outcome("done", self.orders.get(order_id))

    def _rest(self, order: Order, why: str) -> Outcome:
        return Outcome("done", self._reopen(order, why))

    def _reopen(self, order: Order, why: str) -> Order:
        """A limit order back to open (nothing was swapped): the trigger queues it again when its
        price is there, in a new cycle."""
        after = reopened(order, why, self.clock)
        self.orders.save_transition(order, after)
        logger.info("limit order open again", extra={"order_id": order.orderId, "status": "open", "reason": why})
        wake_trigger(self.trigger_wake, order.orderId)
        return after

    def _redelivered_by_ms(self, received_at_ms: int) -> int:
        """The latest a delivery received then can start the order, had its process died: its
        message comes back a visibility timeout later, and that delivery may take an attempt's
        time. The sweeper must not fail the order as never queued before this."""
        return received_at_ms + self.redelivery_ms + self.attempt_timeout_ms

    def _hold_start_deadline(self, order: Order) -> Order:
        """This delivery proves the order's message is on the queue: if this process dies now, the
        message comes back a visibility timeout later, and the order must not be swept as never
        queued before that redelivery has had its turn. Moves the start deadline only when it is
        that close (a backlogged queue): an order picked up promptly costs no write."""
        hold_until_ms = self._redelivered_by_ms(self.clock.now_ms())
        if order.startDeadlineMs is None or order.startDeadlineMs >= hold_until_ms:
            return order
        if self.orders.extend_start_deadline(order, hold_until_ms):
            return order.model_copy(update={"startDeadlineMs": hold_until_ms})
        return order  # it moved since it was read: the steps below find out how

    def _attempts_used_up(self, order: Order, cycle: int) -> Outcome:
        """Another delivery may still be running the last attempt (a duplicate message):
        let it finish rather than expire a swap it is about to land."""
        order = self.orders.get(order.orderId) or order  # the attempt that used the last one is not in our copy
        last_start = order.attemptStartedAtMs[-1] if order.attemptStartedAtMs else 0
        running_for_ms = self.clock.now_ms() - last_start
        if running_for_ms < self.attempt_timeout_ms:
            delay = (self.attempt_timeout_ms - running_for_ms) // 1000 + 1
            logger.info("attempts used up but the last may still run; checking again later", extra={"order_id": order.orderId})
            return Outcome("retry", order, delay_seconds=delay)
        return self.give_up(order.orderId, f"gave up after {self.max_attempts} attempts", cycle)

    def _settle_landed(self, order: Order) -> Outcome | None:
        """An order whose swap already landed is settled by lookup, without an attempt."""
        assert order.transaction is not None
        try:
            receipt = self._look_up(order)
        except NotFinalYet as later:
            return self._requeue_until(later.at_ms, order)
        if receipt is None:
            return None  # never landed (a crash before sending, or an RPC error): resend it
        logger.debug("swap found on chain; settling without sending", extra={"order_id": order.orderId, "tx": receipt.signature})
        try:
            return self._finished(self._finalize(order, receipt))
        except NotFinalYet as later:
            return self._requeue_until(later.at_ms, order)
        except StaleOrder:
            return Outcome("done", self.orders.get(order.orderId))

    def _look_up(self, order: Order) -> ChainReceipt | None:
        """The chain's answer for the order's swap. When the chain says to ask again in under a
        second (SQS delays are whole seconds), this delivery waits and asks again, for at most
        MAX_IN_PLACE_WAIT_MS in all; a longer wait raises NotFinalYet for the queue to carry."""
        assert order.transaction is not None
        give_up_at = self.clock.now_ms() + MAX_IN_PLACE_WAIT_MS
        while True:
            try:
                return self.chain.lookup(order.transaction)
            except NotFinalYet as later:
                if later.at_ms > give_up_at:
                    raise
                self.clock.sleep(max(0, later.at_ms - self.clock.now_ms()) / 1000)

    def _requeue_until(self, final_at_ms: int, order: Order) -> Outcome:
        remaining_ms = final_at_ms - self.clock.now_ms()
        return Outcome("requeue", delay_seconds=max(1, remaining_ms // 1000), not_before_ms=final_at_ms, settle=True, cycle=order.cycle)

    def _finished(self, order: Order | None) -> Outcome:
        finished = order is not None and order.is_final
        if finished:
            _log_final(order)
        return Outcome("done", order, finished=finished)

    def _wait_for_start_slot(self, order: Order, not_before_ms: int | None) -> Outcome | None:
        """None once the order may start now; else how to put it back (not an attempt)."""
        if not_before_ms is None:  # first delivery: take a slot (and the start, when it is now)
            reservation = self.limiter.reserve()
            if reservation.started:
                return None
            not_before_ms = reservation.slot_ms
        if self._past_deadline(order, not_before_ms):  # the slot is too late: end it now, not then
            return self._expire(order, f"the rate limit's next start slot is at {self.clock.iso(not_before_ms)}")
        remaining_ms = not_before_ms - self.clock.now_ms()
        if remaining_ms >= 1000:  # SQS delays are whole seconds: wait the rest here
            return self._requeue_pending(order, remaining_ms, not_before_ms)
        if remaining_ms > 0:
            self.clock.sleep(remaining_ms / 1000)
        for _ in range(3):
            wait_ms = self.limiter.try_start()
            if wait_ms == 0:
                return None
            if wait_ms > MAX_IN_PLACE_WAIT_MS:
                break
            self.clock.sleep(wait_ms / 1000)
        # Real starts ran late and the rule holds this one back for longer: give the consumer
        # back (settlements need it) and retry.
        return self._requeue_pending(order, wait_ms)

    def _requeue_pending(self, order: Order, wait_ms: int, not_before_ms: int | None = None) -> Outcome:
        """Put a pending order back to wait for its slot, moving its start deadline when the
        wait reaches towards it (so the sweeper never fails an order that is only queued)."""
        not_before_ms = not_before_ms if not_before_ms is not None else self.clock.now_ms() + wait_ms
        # The delivery at the slot may crash before the order leaves pending; its message then
        # comes back a visibility timeout later, and the order must not be swept before that
        # delivery has had its attempt. (Most orders start well before: no index write for them.)
        latest_start_ms = self._redelivered_by_ms(not_before_ms)
        if order.startDeadlineMs is not None and latest_start_ms > order.startDeadlineMs:
            self.orders.extend_start_deadline(order, max(latest_start_ms, not_before_ms + self.start_timeout_ms))
        return Outcome("requeue", delay_seconds=max(1, wait_ms // 1000), not_before_ms=not_before_ms, cycle=order.cycle)

    def _retry(self, order_id: str, receive_count: int, error: Exception) -> Outcome:
        delay = backoff_seconds(receive_count, self.backoff_base_seconds)
        logger.warning(
            "delivery failed before an attempt started; retrying with backoff",
            extra={"order_id": order_id, "retry_in_seconds": delay, "error": _reason(error)},
            exc_info=not isinstance(getattr(error, "code", None), str),
        )
        return Outcome("retry", delay_seconds=delay)

    def _retry_or_give_up(self, order_id: str, attempt: int, receive_count: int, error: Exception, cycle: int) -> Outcome:
        reason = _reason(error)
        if attempt >= self.max_attempts:
            logger.error("attempt failed; no attempts left", extra={"order_id": order_id, "attempt": attempt, "error": reason})
            return self.give_up(order_id, f"{reason} (after {attempt} attempts)", cycle)
        delay = backoff_seconds(receive_count, self.backoff_base_seconds)
        logger.warning(
            "attempt failed; retrying with backoff",
            extra={"order_id": order_id, "attempt": attempt, "retry_in_seconds": delay, "error": reason},
            exc_info=not isinstance(getattr(error, "code", None), str),
        )
        return Outcome("retry", delay_seconds=delay)

    def _advance(self, order: Order) -> Order:
        while not order.is_final and order.status is not S.OPEN:
            order = self._step(order)
        return order

    def _step(self, order: Order) -> Order:
        if order.status is S.PENDING:  # a pending order with an attempt counted: written before 2026-11-24
            return self._move(order, S.ROUTING, ROUTING_MESSAGE)
        if order.status is S.ROUTING:
            try:
                quotes, decision = self.router.route(order, self.clock.now_ms())
            except LimitNotMet as miss:  # nothing built: the limit order waits for its price again
                return self._reopen(order, f"Price moved away before routing ({miss.message})")
            message = f"Routing to {display(decision.dex)}: {decision.reason}"
            return self._move(order, S.BUILDING, message, quotes=quotes, routing=decision)
        if order.status is S.BUILDING:
            assert order.routing is not None
            swap = self.chain.sign(order, build_transaction(order, order.routing, order.quotes))
            legs = f" ({len(swap.legs)} legs, one transaction)" if len(swap.legs) > 1 else ""
            return self._move(order, S.SUBMITTED, f"Swap sent to {display(swap.dex)}{legs}", transaction=swap)
        if order.status is S.SUBMITTED:
            return self._settle(order)
        raise AssertionError(f"no step from {order.status}")

    def _settle(self, order: Order) -> Order:
        # No lookup first: either this attempt just stored the signature, or _settle_landed
        # has just looked it up. Sending is idempotent (the chain deduplicates by signature and
        # answers with the first landing), so a duplicate delivery sending too is harmless.
        swap = order.transaction
        assert swap is not None
        return self._finalize(order, self.chain.send(swap, self._fee_rate(order), order.attempts))

    def _finalize(self, order: Order, receipt: ChainReceipt) -> Order:
        """Record the swap's outcome once it is final; raises NotFinalYet when that is a
        second or more away (SQS delays are whole seconds: a shorter wait happens here)."""
        remaining_ms = receipt.final_at_ms - self.clock.now_ms()
        if remaining_ms >= 1000:
            raise NotFinalYet("landed; waiting for it to be final", receipt.final_at_ms)
        self.clock.sleep(max(0, remaining_ms) / 1000)
        if receipt.status == "failed":
            reason = receipt.error or "swap failed on chain"
            return self._move(order, S.FAILED, f"Swap failed: {reason}", failureReason=reason, execution=self._result(order, receipt))
        result = self._result(order, receipt)
        return self._move(order, S.CONFIRMED, f"Confirmed: {plain(result.amountOut)} {order.tokenOut} on {display(result.dex)}", execution=result)

    @staticmethod
    def _fee_rate(order: Order) -> Decimal:
        """The venue's fee rate, for a swap built before routes had legs (a route's legs carry their fees)."""
        assert order.routing is not None
        return next((q.feeRate for q in order.quotes if q.dex == order.routing.dex), Decimal(0))

    @staticmethod
    def _result(order: Order, receipt: ChainReceipt) -> ExecutionResult:
        return ExecutionResult(
            txHash=receipt.signature,
            dex=receipt.dex,
            amountOut=receipt.amountOut,
            executedPrice=receipt.executedPrice,
            fee=receipt.fee,
            slippage=receipt.slippage,
            quotedAmountOut=order.transaction.quotedAmountOut if order.transaction else None,
            priceImpact=order.routing.priceImpact if order.routing else None,
            legs=receipt.legs,
            networkFee=receipt.networkFee,
            slot=receipt.slot,
            balanceChanges=receipt.balanceChanges,
        )

    def _move(self, order: Order, target: OrderStatus, message: str, **fields: object) -> Order:
        after = transition(order, target, message, self.clock, **fields)
        self.orders.save_transition(order, after)
        # A swap sent is the consumer's one line per order at INFO (the rest of its steps are the
        # final line's timeline): what `solroute ops order` shows of the consumer.
        log = logger.info if target is S.SUBMITTED else logger.debug
        log(message, extra={"order_id": order.orderId, "status": target.value, "seq": after.seq})
        return after


def _stale(order: Order, cycle: int | None) -> bool:
    """A message of an earlier cycle of the order (a limit order queued again since): drop it."""
    if cycle is None or cycle == order.cycle:
        return False
    logger.info("message of an earlier cycle of the order; dropped", extra={"order_id": order.orderId, "cycle": cycle, "order_cycle": order.cycle})
    return True


def _log_final(order: Order) -> None:
    """One line per order that says what happened to it: each step with its offset."""
    start = order.history[0].timestampMs
    timeline = " ".join(f"{h.status.value}+{h.timestampMs - start}ms" for h in order.history)
    extra: dict = {"order_id": order.orderId, "status": order.status.value, "attempts": order.attempts, "timeline": timeline}
    if order.routing:
        extra.update(dex=order.routing.dex, route=order.routing.reason)
    if order.execution:
        extra.update(amount_out=plain(order.execution.amountOut), tx=order.execution.txHash)
    if order.status is S.FAILED:
        logger.warning(f"order failed: {order.failureReason}", extra=extra)
    else:
        logger.info(f"order {order.status.value}: {order.history[-1].message}", extra=extra)


def _reason(error: Exception) -> str:
    return getattr(error, "message", None) or f"{type(error).__name__}: {error}"
