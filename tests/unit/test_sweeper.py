"""The sweeper fails pending orders past their start deadline, and nothing else."""

from solroute.logic.sweeper import Sweeper
from solroute.models.order import OrderStatus as S


def test_only_pending_orders_past_their_deadline_are_failed(engine):
    stale, fresh, started = engine.submit(), engine.submit(), engine.submit()
    engine.run(started.orderId)
    engine.orders.items[stale.orderId] = stale.model_copy(update={"startDeadlineMs": engine.clock.now_ms() - 1})
    report = Sweeper(engine.orders, engine.clock).sweep()
    assert (report.examined, report.failed) == (1, 1)
    swept = engine.orders.get(stale.orderId)
    assert swept.status is S.FAILED and "never reached the execution queue" in swept.failureReason
    assert swept.startDeadlineMs is None, "a final order leaves the sweeper's index"
    assert engine.orders.get(fresh.orderId).status is S.PENDING
    assert engine.orders.get(started.orderId).status is S.CONFIRMED


def test_more_than_a_batch_of_due_orders_is_swept_in_one_run(engine):
    due = [engine.submit() for _ in range(25)]
    engine.clock.advance(301)
    report = Sweeper(engine.orders, engine.clock, batch_size=10).sweep()
    assert report.failed == 25
    assert {engine.orders.get(o.orderId).status for o in due} == {S.FAILED}


def test_an_order_waiting_long_for_its_rate_limit_slot_is_not_swept(make_engine):
    engine = make_engine(rate_per_minute=1)
    waiting = engine.submit()
    for _ in range(10):  # other consumers reserved the next ten slots: a ten-minute backlog
        engine.executor.limiter.reserve()
    outcome = engine.executor.process(waiting.orderId)
    assert outcome.action == "requeue" and outcome.not_before_ms - engine.clock.now_ms() >= 9 * 60_000
    engine.clock.ms = outcome.not_before_ms - 1_000  # long past the deadline it was accepted with
    assert Sweeper(engine.orders, engine.clock).sweep().failed == 0
    assert engine.orders.get(waiting.orderId).startDeadlineMs == outcome.not_before_ms + 300_000


def test_an_attempt_whose_first_write_fails_leaves_the_order_pending_with_no_attempt_and_its_deadline(engine):
    """The attempt and the pending order's first step are one write: if it fails, nothing
    changed, so the sweeper's deadline still holds and the retry starts attempt 1."""
    from solroute.models.errors import StoreBusy

    order = engine.submit()
    real = engine.orders.record_attempt

    def fails_once(*args, **kwargs):
        engine.orders.record_attempt = real
        raise StoreBusy("throttled")

    engine.orders.record_attempt = fails_once
    assert engine.executor.process(order.orderId).action == "retry"
    stored = engine.orders.get(order.orderId)
    assert (stored.status.value, stored.attempts, stored.startDeadlineMs) == ("pending", 0, order.startDeadlineMs)
    engine.run(order.orderId)
    assert engine.orders.get(order.orderId).attempts == 1




def test_an_order_whose_slot_delivery_could_crash_and_come_back_after_its_deadline_gets_a_later_deadline(make_engine):
    """The delivery at the slot may crash before the order leaves pending: its message comes
    back a visibility timeout (180 s) later, so the deadline must lie beyond that."""
    engine = make_engine(rate_per_minute=1)
    waiting = engine.submit()  # its deadline: 300 s from now
    for _ in range(2):  # the next two slots are taken: ours is 120 s away, 180 s before the deadline
        engine.executor.limiter.reserve()
    outcome = engine.executor.process(waiting.orderId)
    assert outcome.not_before_ms - engine.clock.now_ms() == 120_000
    deadline = engine.orders.get(waiting.orderId).startDeadlineMs
    assert deadline >= outcome.not_before_ms + 180_000 + 30_000, "a crash at the slot comes back before the deadline"
    engine.clock.ms = outcome.not_before_ms + 180_000  # the crashed delivery's message is back
    assert Sweeper(engine.orders, engine.clock).sweep().failed == 0


def test_an_order_whose_slot_is_near_keeps_its_deadline_and_costs_no_index_write(make_engine):
    engine = make_engine(rate_per_minute=1)
    order = engine.submit()
    engine.executor.limiter.reserve()  # our slot: 60 s away; 60 + 180 + 30 < 300
    engine.executor.process(order.orderId)
    assert engine.orders.get(order.orderId).startDeadlineMs == order.startDeadlineMs
