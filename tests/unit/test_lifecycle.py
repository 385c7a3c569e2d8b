"""The order lifecycle on the whole engine in memory (tests/world.py): limit orders that trigger
when the market reaches their price or expire, cancels racing the consumer and the trigger, and
deadlines that expire orders stuck behind the rate limit. Every test ends with G1-G6."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from solroute.logic.routing import limit_minimum
from solroute.models.errors import NotCancellable
from solroute.models.order import Order, OrderStatus as S
from tests.support.limit_orders import AMOUNT, QUICK, best_out, misjudged_limit_order
from tests.support.pausable import Pausable
from tests.world import TICK_MS, Instrumented, World, check_guarantees


def _statuses(order: Order) -> list[S]:
    return [h.status for h in order.history]


def _limit_first_reached_at_tick(world: World, first: int = 5, last: int = 900) -> tuple[Decimal, int]:
    """A limit price the seeded market first reaches at a known tick (after ``first``): halfway
    between the best price of the ticks before it and its own (the path is pure: no guessing)."""
    start, margin = world.clock.now_ms(), world.trigger.margin
    best = [best_out(world, start + k * TICK_MS) * (1 - margin) / AMOUNT for k in range(last + 1)]
    for k in range(first, last + 1):
        before = max(best[:k])
        if best[k] > before * Decimal("1.0001"):  # a new high, clearly above every tick before it
            return ((before + best[k]) / 2).quantize(Decimal("0.000001")), k
    pytest.skip("the seeded market made no new high in this window")


def test_a_limit_order_waits_open_and_triggers_at_the_tick_the_market_reaches_its_price():
    world = World(QUICK)
    limit, tick = _limit_first_reached_at_tick(world)
    start = world.clock.now_ms()
    order_id = world.submit(type="limit", limitPrice=str(limit), timeInForceSeconds=3600)
    assert world.orders.get(order_id).status is S.OPEN and world.queue.next_visible_ms() is None, "open: not queued"
    world.run(horizon_ms=(tick + 30) * TICK_MS)
    order = world.orders.get(order_id)
    assert _statuses(order) == [S.OPEN, S.PENDING, S.ROUTING, S.BUILDING, S.SUBMITTED, S.CONFIRMED]
    assert order.history[1].timestampMs == start + tick * TICK_MS, "triggered at the first tick the price reached"
    assert "Limit reached" in order.history[1].message
    floor = limit_minimum(limit, AMOUNT, 6)
    assert order.transaction.minAmountOut >= floor and order.execution.amountOut >= floor, "never fills below the limit"
    check_guarantees(world)


def test_a_limit_order_the_market_never_reaches_expires_with_nothing_built():
    world = World(QUICK)
    unreachable = (best_out(world, world.clock.now_ms()) / AMOUNT * 2).quantize(Decimal("0.01"))
    order_id = world.submit(type="limit", limitPrice=str(unreachable), timeInForceSeconds=30)
    world.run(horizon_ms=120_000)
    order = world.orders.get(order_id)
    assert _statuses(order) == [S.OPEN, S.EXPIRED]
    assert order.history[1].timestampMs - order.history[0].timestampMs in range(30_000, 30_000 + TICK_MS + 1)
    assert "did not reach the limit price" in order.failureReason and order.transaction is None
    assert world.ledger.landed() == {}
    check_guarantees(world)


def test_a_triggered_limit_order_whose_route_misses_its_price_goes_back_to_open_and_starts_afresh():
    """A trigger that judged wrongly (here: told to accept routes 40% short) queues the order; its
    route then misses the limit at routing, before anything is built, and it waits open again
    with its attempts at zero, until it expires. Nothing is ever sent."""
    world = World(QUICK)
    order_id = misjudged_limit_order(world, 10)
    world.run(horizon_ms=60_000)
    order = world.orders.get(order_id)
    statuses = _statuses(order)
    assert statuses[-1] is S.EXPIRED and statuses.count(S.OPEN) >= 3, statuses
    assert S.BUILDING not in statuses and order.transaction is None and world.ledger.landed() == {}
    assert all("Price moved away before routing" in h.message for h in order.history if h.status is S.OPEN and h.seq > 1)
    assert all(h.status is S.PENDING for a, h in zip(order.history, order.history[1:]) if a.status is S.OPEN and h.status is not S.EXPIRED)
    assert world.attempt_history[order_id].count(0) >= 2, "each reopening starts the attempts afresh"
    check_guarantees(world)


def test_cancelling_an_open_or_pending_order_ends_it_and_nothing_ever_executes():
    world = World(QUICK)
    limit_id = world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=600)
    market_id = world.submit()
    for order_id, was in ((limit_id, S.OPEN), (market_id, S.PENDING)):
        cancelled = world.cancel(order_id)
        assert isinstance(cancelled, Order) and _statuses(cancelled) == [was, S.CANCELLED], cancelled
        assert "cancelled by its owner" in cancelled.failureReason
    world.run()
    assert world.ledger.landed() == {}
    assert all(world.orders.get(i).status is S.CANCELLED for i in (limit_id, market_id)), "the queued message found it final"
    refused = world.cancel(market_id)
    assert isinstance(refused, NotCancellable) and refused.details["status"] == "cancelled" and "already cancelled" in refused.message
    check_guarantees(world)


def test_an_order_that_has_started_routing_cannot_be_cancelled_and_the_client_is_told_its_status():
    world = World(QUICK)
    order_id = world.submit()
    world.run()
    refused = world.cancel(order_id)
    assert isinstance(refused, NotCancellable) and refused.details == {"orderId": order_id, "status": "confirmed"}
    assert world.orders.get(order_id).status is S.CONFIRMED
    check_guarantees(world)


def _calls_before_routing() -> int:
    world = World(QUICK)
    order_id = world.submit()
    world.calls.log.clear()
    world.executor.process(order_id, 1)
    return world.calls.log.index("orders.record_attempt") + 2  # every call up to (and one past) the write that starts routing


@pytest.mark.parametrize("pause_at", range(1, _calls_before_routing() + 1))
def test_a_cancel_racing_the_consumer_at_every_step_either_wins_or_is_told_it_lost(pause_at):
    """The consumer's delivery is paused before its n-th store call; the cancel runs whole; the
    delivery resumes. Exactly one of the two conditional writes wins, whatever n."""
    world = World(QUICK)
    order_id = world.submit()
    delivery = Pausable(world, order_id, pause_at)
    current = threading.local()
    world.calls.pause = lambda operation: getattr(current, "delivery", None) and current.delivery.on_call()
    run = delivery.run

    def bound() -> None:
        current.delivery = delivery
        run()

    delivery.run = bound
    delivery.until_paused_or_done()
    answer = world.cancel(order_id)
    delivery.resume.set()
    assert delivery.done.wait(10)
    if delivery.outcome.action == "requeue":
        delivery.outcome.apply(world.queue, order_id, "-")
    world.run()
    order = world.orders.get(order_id)
    if isinstance(answer, Order):  # the cancel won: the consumer never routed it
        assert order.status is S.CANCELLED and order.routing is None and world.ledger.landed() == {}
        assert order.attempts == 0
    else:  # the consumer won: the client is told the order is routing (or further), and it executes
        assert isinstance(answer, NotCancellable), answer
        assert answer.details["status"] in ("routing", "building", "submitted", "confirmed")
        assert order.status is S.CONFIRMED
    check_guarantees(world)


def test_a_cancel_whose_write_loses_to_the_consumers_first_step_reads_again_and_reports_routing():
    """The other order of arrival: the cancel read the order pending, the consumer's write moved it
    to routing before the cancel's write; the cancel's condition fails and it answers 409."""
    world = World(QUICK)
    order_id = world.submit()
    consumer_ran = threading.Event()

    def pause(operation: str) -> None:
        if operation == "orders.save_transition" and threading.current_thread().name == "cancel" and not consumer_ran.is_set():
            world.executor.process(order_id, 1)  # the consumer's whole delivery, between the cancel's read and its write
            consumer_ran.set()

    world.calls.pause = pause
    answers: list[object] = []
    thread = threading.Thread(target=lambda: answers.append(world.cancel(order_id)), name="cancel")
    thread.start()
    thread.join(10)
    assert consumer_ran.is_set()
    (answer,) = answers
    assert isinstance(answer, NotCancellable) and answer.details["status"] in ("submitted", "confirmed"), answer
    world.run()
    assert world.orders.get(order_id).status is S.CONFIRMED
    check_guarantees(world)


def test_a_cancel_racing_the_trigger_wins_or_finds_the_order_pending_and_cancels_it_there():
    world = World(QUICK)
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)  # triggers at the first tick
    triggered = threading.Event()

    def pause(operation: str) -> None:
        if operation == "orders.save_transition" and threading.current_thread().name == "cancel" and not triggered.is_set():
            triggered.set()
            world.trigger.tick()  # the trigger moves it open -> pending between the cancel's read and write

    world.calls.pause = pause
    answers: list[object] = []
    thread = threading.Thread(target=lambda: answers.append(world.cancel(order_id)), name="cancel")
    thread.start()
    thread.join(10)
    (answer,) = answers
    assert isinstance(answer, Order), answer
    world.run()
    order = world.orders.get(order_id)
    assert _statuses(order) == [S.OPEN, S.PENDING, S.CANCELLED] and world.ledger.landed() == {}
    check_guarantees(world)


def test_a_deadline_expires_orders_stuck_behind_the_rate_limit_and_never_executes_them_late():
    world = World(QUICK, rate_per_minute=2)  # a start every 30 s
    ids = [world.submit(deadline="20") for _ in range(5)]
    world.run()
    orders = [world.orders.get(i) for i in ids]
    confirmed = [o for o in orders if o.status is S.CONFIRMED]
    expired = [o for o in orders if o.status is S.EXPIRED]
    assert len(confirmed) + len(expired) == 5 and 1 <= len(confirmed) <= 2 and expired, [o.status for o in orders]
    for order in confirmed:
        started = next(h.timestampMs for h in order.history if h.status is S.ROUTING)
        assert started < order.expiresAtMs, "started routing before its deadline"
    for order in expired:
        assert _statuses(order) == [S.PENDING, S.EXPIRED] and order.attempts == 0 and order.transaction is None
        assert order.history[-1].timestampMs <= order.expiresAtMs + TICK_MS, "ended when its slot proved too late, not at the slot"
        assert "not started by its deadline" in order.failureReason
    check_guarantees(world)


def test_an_order_whose_deadline_passed_while_its_message_waited_expires_at_its_first_delivery():
    world = World(QUICK)
    order_id = world.submit(deadline="1")
    world.clock.advance(2)  # the consumer is slow to pick it up
    world.run()
    order = world.orders.get(order_id)
    assert _statuses(order) == [S.PENDING, S.EXPIRED] and order.attempts == 0 and world.ledger.landed() == {}
    check_guarantees(world)


def test_a_trigger_run_holds_the_lease_ticks_while_orders_are_open_and_gives_the_lease_back():
    world = World(QUICK)
    lease = world.trigger.lease
    assert lease.acquire("other", world.clock.now_ms() + 60_000, world.clock.now_ms())
    waited_from = world.clock.now_ms()
    assert world.trigger.run(60_000).ran is False, "another run holds the lease throughout: this one does nothing"
    assert world.clock.now_ms() - waited_from == world.trigger.lease_wait_ms, "but it waited for the lease first"
    lease.release("other")
    assert lease.acquire("ending", world.clock.now_ms() + 3_000, world.clock.now_ms())
    handed_over = world.trigger.run(60_000, min_run_ms=0)
    assert handed_over.ran is True, "a run that is ending (its lease lapses) hands over to the one waiting"
    empty = world.trigger.run(60_000, min_run_ms=0)
    assert (empty.ran, empty.ticks) == (True, 1), "nothing open: one look and done"
    order_id = world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=5)
    report = world.trigger.run(60_000, min_run_ms=0)
    assert (report.expired, report.triggered) == (1, 0) and report.ticks in (5, 6, 7), report
    assert world.orders.get(order_id).status is S.EXPIRED
    assert lease.acquire("next", world.clock.now_ms() + 1, world.clock.now_ms()), "the run gave the lease back"
    lease.release("next")
    world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=3600)
    started = world.clock.now_ms()
    budgeted = world.trigger.run(10_000, min_run_ms=0)
    assert budgeted.ticks == 11 and world.clock.now_ms() - started <= 10_000, "a run ends within its budget; the next run carries on"


def test_one_open_order_that_cannot_be_judged_never_stops_the_others(monkeypatch):
    world = World(QUICK)
    broken = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)
    fine = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)
    judge = world.trigger.reaches_limit

    def fails_for_one(w, prices):
        if w.order_id == broken:
            raise ArithmeticError("cannot judge this one")
        return judge(w, prices)

    monkeypatch.setattr(world.trigger, "reaches_limit", fails_for_one)
    report = world.trigger.tick()
    assert report.triggered == [fine] and world.orders.get(broken).status is S.OPEN


def test_a_stale_delivery_of_an_order_that_went_back_to_open_counts_no_attempt_and_is_dropped():
    world = World(QUICK)
    order_id = misjudged_limit_order(world, 600)
    world.trigger.tick()
    message = world.queue.receive()
    world.deliver(message)
    reopened = world.orders.get(order_id)
    assert reopened.status is S.OPEN and reopened.attempts == 0
    for receive_count in (2, 3, 4):  # the same message, delivered again (a duplicate, or a redelivery)
        outcome = world.executor.process(order_id, receive_count)
        assert outcome.action == "done"
    stored = world.orders.get(order_id)
    assert (stored.status, stored.attempts, stored.seq) == (S.OPEN, 0, reopened.seq), "no attempt counted on an open order"


def test_a_run_whose_time_is_up_while_orders_are_open_wakes_the_next_run_before_it_lets_go():
    from tests.fakes import InMemoryQueue

    world = World(QUICK)
    world.trigger.wake = wake = InMemoryQueue()
    world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=3600)
    world.trigger.run(5_000, min_run_ms=0)
    assert len(wake.sent) == 1, "the successor is woken"
    world.trigger.run(5_000, min_run_ms=0)
    assert len(wake.sent) == 2
    for order in list(world.orders.items.values()):
        world.cancel(order.orderId)
    world.trigger.run(5_000, min_run_ms=0)
    assert len(wake.sent) == 2, "nothing open: the run ends without waking another"


def test_a_tick_whose_store_does_not_answer_does_not_end_the_run():
    """A run that died on one slow read would leave every open order unwatched until the next
    minute's run (seen: a 107 s wait when the local cloud's DynamoDB was slow to answer)."""
    from tests.world import Fault

    world = World(QUICK)
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)
    world.calls.faults.append(Fault("orders.open_orders", "throttle", first=1, times=2))
    world.trigger.orders = Instrumented("orders", world.orders, world.calls)
    report = world.trigger.run(10_000, min_run_ms=0)
    assert report.ticks == 3 and report.triggered == 1, report
    assert world.orders.get(order_id).status is S.PENDING
