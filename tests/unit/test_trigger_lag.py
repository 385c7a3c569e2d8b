"""What TriggerBehindAlarm watches: when the trigger last judged every open order (the start of
its last whole pass), kept on the lease between runs and reported by every run."""

from __future__ import annotations

from tests.support.limit_orders import QUICK
from tests.world import TICK_MS, World

UNREACHABLE = {"type": "limit", "limitPrice": "1000000", "timeInForceSeconds": 3600}


def _world_with_open_orders(count: int, per_tick: int) -> World:
    world = World(QUICK)
    world.trigger.max_per_tick = per_tick
    for _ in range(count):
        assert world.submit(**UNREACHABLE)
    return world


def test_a_pass_over_several_pages_is_dated_by_its_first_page_and_kept_on_the_lease():
    world = _world_with_open_orders(5, per_tick=2)
    started = world.clock.now_ms()
    report = world.trigger.run(2 * TICK_MS + 1, min_run_ms=0)  # three ticks: pages of 2, 2 and 1
    assert report.ticks == 3
    assert report.passed_at_ms == started, "every order was judged at or after the pass's first page"
    assert report.open_orders == 5
    assert world.trigger.lease.stored_passed_at_ms == started


def test_a_run_that_ends_no_pass_reports_and_keeps_the_last_whole_one():
    world = _world_with_open_orders(5, per_tick=2)
    first = world.trigger.run(2 * TICK_MS + 1, min_run_ms=0)
    world.clock.advance(60)
    second = world.trigger.run(1, min_run_ms=0)  # one tick: the first page only
    assert second.ticks == 1 and second.open_orders is None
    assert second.passed_at_ms == first.passed_at_ms, "the lag keeps growing until a pass ends"
    assert world.trigger.lease.stored_passed_at_ms == first.passed_at_ms


def test_a_run_that_finds_the_lease_held_reports_what_the_lease_holds():
    world = _world_with_open_orders(1, per_tick=10)
    done = world.trigger.run(1, min_run_ms=0)
    assert world.trigger.lease.acquire("a-stuck-run", world.clock.now_ms() + 3_600_000, world.clock.now_ms())
    world.clock.advance(600)
    held = world.trigger.run(TICK_MS, min_run_ms=0)
    assert not held.ran and held.passed_at_ms == done.passed_at_ms
