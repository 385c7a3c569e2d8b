"""Real races: two deliveries of the same order, interleaved at every step.

Delivery A is paused before its i-th call to a store or the chain; delivery B then runs until
it is paused before its j-th call (or finishes); A resumes and finishes, then B. Whatever the
pair (i, j), the conditional writes must keep G1-G6: one swap at most, a truthful status,
attempts that never go down, one path through the state machine."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from solroute.dex.simulation import SimulationConfig
from tests.support.pausable import Pausable
from tests.world import World, check_guarantees

# Quotes take no time and swaps are final at once: a whole order runs in one delivery.
QUICK = SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0, swap_delay_min_ms=0, swap_delay_max_ms=0)


def _calls_of_one_delivery() -> int:
    world = World(QUICK)
    order_id = world.submit()
    world.calls.log.clear()
    world.executor.process(order_id, 1)
    return len(world.calls.log)


CALLS = _calls_of_one_delivery()


def _race(pause_a: int, pause_b: int, max_attempts: int = 3) -> World:
    world = World(QUICK, max_attempts=max_attempts)
    order_id = world.submit()
    a, b = Pausable(world, order_id, pause_a), Pausable(world, order_id, pause_b)
    current = threading.local()
    world.calls.pause = lambda operation: getattr(current, "delivery", None) and current.delivery.on_call()
    for delivery in (a, b):
        run = delivery.run

        def bound(run=run, delivery=delivery):
            current.delivery = delivery
            run()

        delivery.run = bound
    a.until_paused_or_done()
    b.until_paused_or_done()
    a.resume.set()
    assert a.done.wait(10)
    b.resume.set()
    assert b.done.wait(10)
    for delivery in (a, b):
        if delivery.outcome.action == "requeue":
            delivery.outcome.apply(world.queue, order_id, "-")
        elif delivery.outcome.action == "retry":
            world.queue.send(order_id, delivery.outcome.delay_seconds)
    world.run()
    return world


def test_one_delivery_makes_enough_calls_to_race_at_every_step():
    assert CALLS >= 6  # get, attempt + routing, building, submitted, send, confirmed


@pytest.mark.parametrize("max_attempts", [3, 1], ids=["attempts-left", "last-attempt"])
@pytest.mark.parametrize("pause_b", range(1, CALLS + 2))
@pytest.mark.parametrize("pause_a", range(1, CALLS + 1))
def test_two_deliveries_interleaved_at_any_step_keep_every_guarantee(pause_a, pause_b, max_attempts):
    """With one attempt allowed, the duplicate finds the attempts used up while the first
    delivery is sending: it must let that attempt finish, not expire a swap about to land."""
    world = _race(pause_a, pause_b, max_attempts)
    check_guarantees(world, max_attempts=max_attempts)
    (order,) = world.orders.items.values()
    assert order.status.value == "confirmed", "a race is not a failure: one of the two must finish the order"
    assert len(world.ledger.landed()) == 1
