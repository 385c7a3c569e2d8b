"""Failure paths that used to report the wrong outcome, one test per defect (issue 7).

Each of these failed before its fix: the final status must match what happened on chain."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest
from solroute.logic.backoff import backoff_seconds
from solroute.logic.rate_limit import RateLimiter, RateLimiterBusy, SlidingLog
from solroute.models.errors import QueueUnavailable, StoreBusy
from solroute.models.order import OrderStatus as S

from tests.fakes import FakeClock, InMemoryRateLimitStore

SCIENTIFIC = re.compile(r"(?<![\w-])-?\d+(\.\d+)?[eE][-+]?\d+(?![\w-])")  # a number in scientific notation


class AlwaysContended(InMemoryRateLimitStore):
    def write_if_unchanged(self, key, state, version):
        return False  # another consumer always wrote first


def _land_then_crash(engine):
    """Run the order until its swap has landed, then kill the process (as a crash would)."""
    order = engine.submit()
    real_put = engine.ledger.put_if_absent

    def land_then_die(signature, record):
        real_put(signature, record)
        raise SystemExit("container killed right after the swap landed")

    engine.ledger.put_if_absent = land_then_die
    with pytest.raises(SystemExit):
        engine.run(order.orderId)
    engine.ledger.put_if_absent = real_put
    assert engine.orders.get(order.orderId).status is S.SUBMITTED
    return order


# 1. -----------------------------------------------------------------------------------
def test_a_rate_limiter_that_stays_contended_raises_its_own_error_not_a_type_error():
    limiter = RateLimiter(AlwaysContended(), SlidingLog(100), FakeClock())
    with pytest.raises(RateLimiterBusy, match="stayed contended for 25 tries"):
        limiter.try_start()


def test_an_order_whose_rate_limiter_stays_contended_waits_on_the_queue_for_a_second(engine):
    engine.executor.limiter.store = AlwaysContended()
    order = engine.submit()
    outcome = engine.executor.process(order.orderId)
    assert outcome.action == "requeue" and outcome.delay_seconds == 1, "not hidden for the whole visibility timeout"
    assert engine.orders.get(order.orderId).attempts == 0


# 2. -----------------------------------------------------------------------------------
def test_the_dead_letter_path_records_a_swap_that_landed_instead_of_failing_the_order(make_engine):
    engine = make_engine(sim={"swap_delay_min_ms": 0, "swap_delay_max_ms": 0})
    order = _land_then_crash(engine)
    engine.executor.give_up(order.orderId, "processing crashed")
    final = engine.orders.get(order.orderId)
    assert final.status is S.CONFIRMED, "the client was paid: never tell it 'failed'"
    assert final.execution.txHash == final.transaction.signature


def test_the_dead_letter_path_fails_an_unsent_swap_and_it_can_never_land_afterwards(make_engine):
    engine = make_engine(sim={"swap_delay_min_ms": 0, "swap_delay_max_ms": 0})
    order = engine.submit()
    chain_send = engine.executor.chain.send
    engine.executor.chain.send = lambda *a: (_ for _ in ()).throw(SystemExit("killed before sending"))
    with pytest.raises(SystemExit):
        engine.run(order.orderId)
    stuck = engine.orders.get(order.orderId)
    assert stuck.status is S.SUBMITTED and engine.ledger.landed() == {}

    engine.executor.give_up(order.orderId, "processing crashed")
    assert engine.orders.get(order.orderId).status is S.FAILED
    engine.executor.chain.send = chain_send
    with pytest.raises(Exception, match="expired before it landed"):  # a late resend cannot land now
        engine.executor.chain.send(stuck.transaction, Decimal("0.003"), 9)
    assert engine.ledger.landed() == {}


# 3. -----------------------------------------------------------------------------------
def test_a_transient_error_after_the_swap_landed_on_the_last_attempt_does_not_fail_a_paid_order(make_engine):
    engine = make_engine(max_attempts=1, sim={"swap_delay_min_ms": 0, "swap_delay_max_ms": 0})
    order = engine.submit()
    real_save = engine.orders.save_transition
    throttled = []

    def throttle_the_confirmation_once(before, after):
        if after.status is S.CONFIRMED and not throttled:
            throttled.append(after)
            raise StoreBusy("DynamoDB is throttling UpdateItem")
        real_save(before, after)

    engine.orders.save_transition = throttle_the_confirmation_once
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    assert throttled and len(engine.ledger.landed()) == 1
    assert final.status is S.CONFIRMED, final.failureReason


# 5. -----------------------------------------------------------------------------------
def test_a_quote_of_zero_is_no_liquidity_and_fails_before_anything_is_sent(engine):
    order = engine.submit(tokenIn="BONK", tokenOut="SOL", amountIn="0.00001")  # worth 2e-10 USD: 0 lamports
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    assert final.status is S.FAILED and final.failureReason.startswith("no liquidity"), final.failureReason
    assert final.transaction is None and engine.ledger.records == {}, "nothing may be sent"


@pytest.mark.parametrize("seed", range(12))
def test_dust_never_confirms_with_less_than_one_unit(make_engine, seed):
    engine = make_engine(sim={"seed": seed, "swap_delay_min_ms": 0, "swap_delay_max_ms": 0})
    order = engine.submit(tokenIn="USDT", tokenOut="USDC", amountIn="0.000001")
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    if final.status is S.CONFIRMED:
        assert final.execution.amountOut >= Decimal("0.000001")
    else:
        assert final.failureReason.startswith(("no liquidity", "slippage exceeded")), final.failureReason


# 6. -----------------------------------------------------------------------------------
def test_when_the_queue_and_the_database_both_refuse_the_client_gets_503_and_the_order_has_a_deadline(engine):
    engine.queue.fail = True
    engine.orders.save_transition = lambda before, after: (_ for _ in ()).throw(StoreBusy("throttled"))
    with pytest.raises(QueueUnavailable):
        engine.submit()
    (stored,) = engine.orders.items.values()
    assert stored.status is S.PENDING and stored.startDeadlineMs == stored.history[0].timestampMs + 300_000


# 7. -----------------------------------------------------------------------------------
def test_the_first_retry_is_jittered_too():
    delays = {backoff_seconds(1, 2.0, random.Random(seed)) for seed in range(50)}
    assert len(delays) > 1, "orders that failed together must not retry together"


# 8. -----------------------------------------------------------------------------------
def test_amounts_are_plain_decimal_strings_everywhere(make_engine):
    engine = make_engine(sim={"swap_delay_min_ms": 0, "swap_delay_max_ms": 0})
    order = engine.submit(tokenIn="SOL", tokenOut="USDC", amountIn="1E-7")
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    dumped = final.model_dump_json()
    assert '"amountIn":"0.0000001"' in dumped
    assert not SCIENTIFIC.search(dumped), dumped
    assert not any(SCIENTIFIC.search(h.message) for h in final.history)


def test_a_duplicate_delivery_that_loses_the_race_keeps_its_message_in_case_the_winner_dies(engine):
    """G3: two deliveries of one message read the order at once. The winner starts the attempt
    and dies; the loser must not delete the message (it would be the order's only way back)."""
    from solroute.logic.state_machine import transition

    order = engine.submit()
    stale = engine.orders.get(order.orderId)
    routing = transition(stale, S.ROUTING, "Comparing Raydium and Meteora quotes", engine.clock)
    engine.orders.record_attempt(stale, 3, engine.clock.now_ms(), moving_to=routing)  # the winner, then its crash
    real_get = engine.orders.get
    engine.orders.get = lambda order_id: stale  # the loser read the order before the winner's write
    try:
        outcome = engine.executor.process(order.orderId)
    finally:
        engine.orders.get = real_get
    assert outcome.action == "retry" and outcome.delay_seconds > 30, "kept, hidden while the winner's attempt may run"
    engine.clock.advance(outcome.delay_seconds)
    assert engine.run(order.orderId)[-1].finished
    assert engine.orders.get(order.orderId).status is S.CONFIRMED
