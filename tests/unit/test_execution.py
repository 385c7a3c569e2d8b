"""The consumer's domain: steps, retries, duplicates, crashes and the rate limit."""

from decimal import Decimal

import pytest
from solroute.models.errors import RpcError
from solroute.models.order import OrderStatus as S


def statuses(engine, order_id):
    return [h.status for h in engine.orders.get(order_id).history]


def test_an_order_walks_every_status_to_confirmed(engine):
    order = engine.submit()
    outcomes = engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    assert [o.action for o in outcomes] == ["requeue", "done"] and outcomes[-1].finished
    assert statuses(engine, order.orderId) == [S.PENDING, S.ROUTING, S.BUILDING, S.SUBMITTED, S.CONFIRMED]
    assert [h.seq for h in final.history] == [1, 2, 3, 4, 5] and final.seq == 5
    assert {q.dex for q in final.quotes} == {"raydium", "meteora"}
    assert final.routing.dex == max(final.quotes, key=lambda q: q.amountOut).dex
    assert final.execution.txHash == final.transaction.signature
    assert final.execution.amountOut >= final.routing.minAmountOut
    assert final.attempts == 1
    assert len(engine.ledger.records) == 1


def test_quotes_are_waited_for_and_the_confirmation_through_the_queue(make_engine):
    engine = make_engine(sim={"quote_delay_ms": 200, "swap_delay_min_ms": 2000, "swap_delay_max_ms": 3000})
    order = engine.submit()
    first = engine.executor.process(order.orderId)
    assert all(0.15 <= s <= 0.25 for s in engine.clock.sleeps) and len(engine.clock.sleeps) == 2  # both quotes
    assert first.action == "requeue" and 2000 <= first.not_before_ms - engine.clock.now_ms() <= 3000
    assert first.delay_seconds == (first.not_before_ms - engine.clock.now_ms()) // 1000
    assert first.settle, "a landed swap waits on the settle queue, not behind orders waiting to start"
    first.apply(engine.queue, order.orderId, "handle")
    assert engine.queue.settling == [order.orderId]
    assert engine.orders.get(order.orderId).status is S.SUBMITTED
    engine.clock.ms += first.delay_seconds * 1000  # SQS gives it back after whole seconds
    second = engine.executor.process(order.orderId, 1, first.not_before_ms)
    assert second.finished and 0 <= engine.clock.sleeps[-1] < 1  # the sub-second rest, waited in place
    assert engine.orders.get(order.orderId).attempts == 1, "settling is not an attempt"


def test_a_duplicate_delivery_of_a_final_order_changes_nothing(engine):
    order = engine.submit()
    engine.run(order.orderId)
    writes = len(engine.orders.writes)
    outcome = engine.executor.process(order.orderId)
    assert outcome.action == "done" and not outcome.finished
    assert len(engine.orders.writes) == writes and engine.ledger.puts == 1


def test_a_crash_after_the_swap_was_sent_settles_by_lookup_without_a_second_swap(engine):
    order = engine.submit()
    ledger, real_put = engine.ledger, engine.ledger.put_if_absent

    def land_then_crash(signature, record):  # the container dies right after the swap landed
        real_put(signature, record)
        raise SystemExit("container killed")

    ledger.put_if_absent = land_then_crash
    with pytest.raises(SystemExit):
        engine.executor.process(order.orderId)
    assert engine.orders.get(order.orderId).status is S.SUBMITTED
    assert len(ledger.records) == 1 and ledger.puts == 1

    ledger.put_if_absent = real_put
    outcomes = engine.run(order.orderId, receive_count=2)
    final = engine.orders.get(order.orderId)
    assert outcomes[-1].finished and final.status is S.CONFIRMED
    assert ledger.puts == 1, "redelivery must look the swap up, not send it again"
    assert final.execution.txHash in ledger.records and final.attempts == 1


def test_a_send_that_never_landed_is_resent_with_the_same_signature(make_engine):
    engine = make_engine()
    order = engine.submit()
    chain = engine.executor.chain
    real_send, calls = chain.send, []

    def flaky_send(swap, fee_rate, attempt):
        calls.append(swap.signature)
        if len(calls) == 1:
            raise RpcError("blockhash not found")
        return real_send(swap, fee_rate, attempt)

    chain.send = flaky_send
    first = engine.executor.process(order.orderId, receive_count=1)
    assert first.action == "retry" and 1 <= first.delay_seconds <= 3
    second = engine.run(order.orderId, receive_count=2)
    assert second[-1].finished and engine.orders.get(order.orderId).status is S.CONFIRMED
    assert calls[0] == calls[1] and len(engine.ledger.records) == 1


def test_a_stale_message_cannot_move_an_order_backwards(engine):
    order = engine.submit()
    engine.run(order.orderId)
    before = engine.orders.get(order.orderId)
    engine.executor.process(order.orderId, receive_count=5, not_before_ms=0)
    assert engine.orders.get(order.orderId) == before


def test_transient_failures_back_off_then_fail_after_three_attempts(make_engine):
    engine = make_engine(sim={"failure_rate": Decimal(1)})
    order = engine.submit()
    delays = []
    for receive_count in (1, 2):
        outcome = engine.executor.process(order.orderId, receive_count=receive_count)
        assert outcome.action == "retry"
        delays.append(outcome.delay_seconds)
        assert engine.orders.get(order.orderId).status is S.ROUTING
    assert 1 <= delays[0] <= 3, "about 2 s, jittered"
    assert 2 <= delays[1] <= 6, "about 4 s, jittered"
    last = engine.executor.process(order.orderId, receive_count=3)
    final = engine.orders.get(order.orderId)
    assert last.action == "done" and last.finished
    assert final.status is S.FAILED and final.attempts == 3
    assert "after 3 attempts" in final.failureReason and "quote" in final.failureReason


def test_a_fourth_delivery_fails_the_order_without_a_fourth_attempt(make_engine):
    engine = make_engine(sim={"failure_rate": Decimal(1)}, max_attempts=2)
    order = engine.submit()
    engine.executor.process(order.orderId, 1)
    engine.orders.items[order.orderId] = engine.orders.get(order.orderId).model_copy(update={"attempts": 2})
    engine.clock.advance(60)  # the last attempt is long over
    outcome = engine.executor.process(order.orderId, 3)
    assert outcome.finished and engine.orders.get(order.orderId).failureReason == "gave up after 2 attempts"


def test_no_pool_fails_at_once_without_retry(engine):
    # Submit refuses such a pair (400); an order stored before it did must still end at once.
    order = engine.submit()
    order = order.model_copy(update={"tokenIn": "7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"})
    engine.orders.items[order.orderId] = order
    outcome = engine.executor.process(order.orderId)
    final = engine.orders.get(order.orderId)
    assert outcome.action == "done" and final.status is S.FAILED and final.attempts == 1
    assert "no venue can trade" in final.failureReason


def test_slippage_protection_fails_the_swap_when_the_price_moves_too_far(make_engine):
    engine = make_engine(sim={"price_drift": Decimal("0.2")})
    results = []
    for i in range(30):
        order = engine.submit(slippage="0.001")
        engine.run(order.orderId)
        results.append(engine.orders.get(order.orderId))
    failed = [o for o in results if o.status is S.FAILED]
    confirmed = [o for o in results if o.status is S.CONFIRMED]
    assert failed and confirmed, "a 20% drift against 0.1% slippage must trip some swaps, not all"
    for o in failed:
        assert o.failureReason.startswith("slippage exceeded")
        assert o.execution.amountOut < o.routing.minAmountOut
    for o in confirmed:
        assert o.execution.amountOut >= o.routing.minAmountOut


@pytest.mark.parametrize("pair, amount", [(("JUP", "USDC"), "200000"), (("WIF", "USDC"), "1000")])
def test_a_route_below_its_minimum_fails_whole_and_one_above_confirms_whole(make_engine, pair, amount):
    """A split or two-hop transaction lands whole or not at all: the order's output is its last
    hop's legs, compared with the minimum once, for the whole route."""
    engine = make_engine(sim={"price_drift": Decimal("0.2")})
    results = []
    for _ in range(20):
        order = engine.submit(tokenIn=pair[0], tokenOut=pair[1], amountIn=amount, slippage="0.001")
        engine.run(order.orderId)
        results.append(engine.orders.get(order.orderId))
    assert {o.status for o in results} == {S.FAILED, S.CONFIRMED}, "a 20% drift against 0.1% slippage trips some routes, not all"
    for o in results:
        # two legs or more: a two-hop route's second hop may itself be split
        assert len(o.routing.legs) >= 2 and len(o.execution.legs) == len(o.routing.legs) and o.routing.kind in ("split", "two-hop")
        last = sum(leg.amountOut for leg in o.execution.legs if leg.tokenOut == pair[1])
        assert o.execution.amountOut == last
        landed = engine.ledger.get(o.transaction.signature)
        assert landed["status"] == ("failed" if o.status is S.FAILED else "success"), "the order says what the chain says"
        if o.status is S.FAILED:
            assert o.failureReason.startswith("slippage exceeded") and last < o.routing.minAmountOut
        else:
            assert last >= o.routing.minAmountOut


def test_an_order_without_a_slot_is_requeued_for_it_and_that_is_not_an_attempt(engine):
    order = engine.submit()
    for _ in range(100):  # other consumers started 100 orders this minute
        assert engine.executor.limiter.reserve().started
    outcome = engine.executor.process(order.orderId)
    assert outcome.action == "requeue" and not outcome.settle, "it waits on the orders queue"
    assert outcome.not_before_ms == engine.clock.now_ms() + 60_000 and outcome.delay_seconds == 60
    assert engine.orders.get(order.orderId).attempts == 0
    engine.clock.ms = outcome.not_before_ms  # the requeued message comes back at its slot
    assert engine.executor.process(order.orderId, 1, outcome.not_before_ms).action == "requeue"  # started: now settling
    assert engine.orders.get(order.orderId).attempts == 1


def test_an_order_arriving_after_a_quiet_minute_starts_at_once_in_the_same_write(engine):
    writes = []
    real = engine.executor.limiter.store.write_if_unchanged
    engine.executor.limiter.store.write_if_unchanged = lambda *a: writes.append(a) or real(*a)
    order = engine.submit()
    engine.run(order.orderId)
    assert engine.orders.get(order.orderId).status.value == "confirmed"
    assert len(writes) == 1 and engine.clock.sleeps[:1] != [0.6], "one limiter write and no waiting"


def test_a_slot_less_than_a_second_away_is_waited_for_in_place(engine):
    order = engine.submit()
    for _ in range(100):
        engine.executor.limiter.reserve()
    engine.clock.advance(59.4)  # the oldest of the last 100 starts leaves the minute in 600 ms
    assert engine.run(order.orderId)[-1].finished
    assert engine.clock.sleeps[0] == 0.6


def test_orders_delivered_late_and_together_never_start_more_than_the_rule_allows(make_engine):
    engine = make_engine(rate_per_minute=1, sim={"quote_delay_ms": 0, "swap_delay_min_ms": 0, "swap_delay_max_ms": 0})
    late = engine.clock.now_ms() - 30_000  # their reserved slots passed long ago
    first, second = engine.submit(), engine.submit()
    assert engine.executor.process(first.orderId, 1, late).finished
    started = engine.orders.get(first.orderId).history[1].timestampMs
    again = engine.executor.process(second.orderId, 1, late)
    assert again.action == "requeue", "a due order the rule holds back gives the consumer back"
    assert again.not_before_ms - started >= 60_000 and engine.orders.get(second.orderId).attempts == 0
    engine.clock.ms = again.not_before_ms
    assert engine.executor.process(second.orderId, 1, again.not_before_ms).finished
    assert engine.orders.get(second.orderId).history[1].timestampMs - started >= 60_000


def test_give_up_fails_a_stuck_order_and_leaves_a_final_one_alone(engine):
    stuck, done = engine.submit(), engine.submit()
    engine.clock.advance(60)
    engine.run(done.orderId)
    assert engine.executor.give_up(stuck.orderId, "processing crashed").finished
    assert engine.orders.get(stuck.orderId).failureReason == "processing crashed"
    before = engine.orders.get(done.orderId)
    assert not engine.executor.give_up(done.orderId, "processing crashed").finished
    assert engine.orders.get(done.orderId) == before


def test_a_missing_order_is_dropped(engine):
    assert engine.executor.process("00000000-0000-4000-8000-000000000000").action == "done"
