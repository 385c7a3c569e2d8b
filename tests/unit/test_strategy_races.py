"""Real races on a strategy's parent: two threads, interleaved at every step.

Thread A is paused before its i-th call to a store, the queue or the chain; thread B then runs
until it is paused before its j-th call (or finishes); A resumes and finishes, then B. For every
(i, j):

- two trigger runs ticking the same parent at once (as a slot starts, and as its child's landing
  is recorded) make one child per slot and record each child once;
- a cancel racing a starting slot has one winner: the slot's child exists, runs and is reported
  on the parent (which then ends cancelled), or no child of that slot ever exists and the parent
  is cancelled;
- a cancel racing a child's landing (the consumer's delivery that lands it, or the trigger's look
  that records it) records the fill exactly once.

Each race ends with the world run to rest and G1-G6 + S1-S5 checked (tests/world.py).
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from typing import Callable

import pytest
from solroute.dex.simulation import SimulationConfig
from solroute.logic.trigger import Trigger
from solroute.models.order import Order, OrderStatus as S
from solroute.models.strategy import child_order_id

from tests.fakes import InMemoryLease
from tests.support.pausable import Pausable
from tests.world import START_TIMEOUT_MS, TICK_MS, World, check_guarantees

# Quotes take no time and swaps are final at once: a child runs whole in one delivery.
QUICK = SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0, swap_delay_min_ms=0, swap_delay_max_ms=0)
TWAP = {"type": "twap", "amountIn": "2", "slices": 2, "intervalSeconds": 10}


class Step(Pausable):
    """One piece of work (a trigger tick, a cancel, a delivery) on its own thread, paused before its n-th call."""

    def __init__(self, world: World, pause_at: int | None, work: Callable[[], object]) -> None:
        super().__init__(world, "", pause_at)
        self.work = work

    def run(self) -> None:
        try:
            self.outcome = self.work()
        finally:
            self.done.set()


def _another_trigger_run(world: World) -> Trigger:
    """A second trigger run over the same stores (its own lease: the race the lease normally prevents)."""
    mine = world.trigger
    return Trigger(
        mine.orders, mine.queue, world.venues, world.clock, InMemoryLease(), margin=mine.margin, start_timeout_ms=START_TIMEOUT_MS,
        tick_ms=TICK_MS, quota=mine.quota,
    )  # fmt: skip


def _race(world: World, a: Callable[[], object], b: Callable[[], object], pause_a: int, pause_b: int | None) -> tuple[Step, Step]:
    first, second = Step(world, pause_a, a), Step(world, pause_b, b)
    current = threading.local()
    world.calls.pause = lambda operation: getattr(current, "step", None) and current.step.on_call()
    for step in (first, second):
        run = step.run

        def bound(run=run, step=step):  # type: ignore[no-untyped-def]
            current.step = step
            run()

        step.run = bound  # type: ignore[method-assign]
    first.until_paused_or_done()
    second.until_paused_or_done()
    first.resume.set()
    assert first.done.wait(10)
    second.resume.set()
    assert second.done.wait(10)
    world.calls.pause = lambda operation: None
    return first, second


def _calls(world: World, work: Callable[[], object]) -> int:
    before = len(world.calls.log)
    work()
    return len(world.calls.log) - before


def _world() -> tuple[World, str]:
    world = World(QUICK, rate_per_minute=100, key_backlog_ms=5_000)  # each child counts against its key's limits
    parent = world.submit(**TWAP)
    assert parent is not None
    return world, parent


def _deliver_one(world: World) -> None:
    message = world.queue.receive()
    assert message is not None
    world.deliver(message)


def _child_landed() -> tuple[World, str]:
    """Slot 0 started and its child confirmed; the parent has not looked at it yet."""
    world, parent = _world()
    world.trigger.tick()
    _deliver_one(world)
    assert world.orders.items[child_order_id(parent, 0)].status is S.CONFIRMED
    return world, parent


def _parent(world: World, parent: str) -> Order:
    return world.orders.items[parent]


def _fill_entries(order: Order) -> int:
    return sum(1 for h in order.history if re.match(r"(Slice|Run) \d+/\d+ filled: ", h.message))


# ---------------------------------------------------------------- two trigger runs
def _tick_calls(setup: Callable[[], tuple[World, str]]) -> int:
    world, _ = setup()
    return _calls(world, world.trigger.tick)


TICK_AT_START = _tick_calls(_world)
TICK_AT_LANDING = _tick_calls(_child_landed)


@pytest.mark.parametrize(
    "setup,pause_a,pause_b",
    [(_world, i, j) for i in range(1, TICK_AT_START + 1) for j in range(1, TICK_AT_START + 2)]
    + [(_child_landed, i, j) for i in range(1, TICK_AT_LANDING + 1) for j in range(1, TICK_AT_LANDING + 2)],
    ids=[f"slot-starts-{i}-{j}" for i in range(1, TICK_AT_START + 1) for j in range(1, TICK_AT_START + 2)]
    + [f"child-landed-{i}-{j}" for i in range(1, TICK_AT_LANDING + 1) for j in range(1, TICK_AT_LANDING + 2)],
)  # fmt: skip
def test_two_trigger_runs_ticking_one_parent_make_one_child_per_slot_and_record_each_once(setup, pause_a, pause_b):
    world, parent = setup()
    other = _another_trigger_run(world)
    _race(world, world.trigger.tick, other.tick, pause_a, pause_b)
    world.run()
    check_guarantees(world)
    order = _parent(world, parent)
    children = [o for o in world.orders.items.values() if o.parentId == parent]
    assert order.status is S.COMPLETED and len(children) == 2, [(c.slot, c.status) for c in children]
    assert _fill_entries(order) == 2, "each child's fill recorded once"


def test_the_races_cover_each_call_of_a_tick():
    assert TICK_AT_START >= 4  # the index, the parent, the slot's write, the child, its message
    assert TICK_AT_LANDING >= 3  # the index, the parent, the child, the parent's write


# ---------------------------------------------------------------- a cancel and a starting slot
def _pending_child() -> tuple[World, str]:
    world, parent = _world()
    world.trigger.tick()
    return world, parent


def _cancel_calls(setup: Callable[[], tuple[World, str]]) -> int:
    world, parent = setup()
    return _calls(world, lambda: world.cancel(parent))


CANCEL = max(_cancel_calls(setup) for setup in (_world, _pending_child, _child_landed))  # the most: with a pending child to cancel too


@pytest.mark.parametrize("cancel_first", [False, True], ids=["tick-paused-first", "cancel-paused-first"])
@pytest.mark.parametrize("pause_b", range(1, max(TICK_AT_START, CANCEL) + 2))
@pytest.mark.parametrize("pause_a", range(1, max(TICK_AT_START, CANCEL) + 1))
def test_a_cancel_racing_a_starting_slot_has_one_winner(pause_a, pause_b, cancel_first):
    world, parent = _world()
    tick, cancel = world.trigger.tick, (lambda: world.cancel(parent))
    a, b = (cancel, tick) if cancel_first else (tick, cancel)
    _race(world, a, b, pause_a, pause_b)
    (_, _, answer), = world.cancels
    assert isinstance(answer, Order), f"the DELETE was refused: {answer!r}"
    world.run()
    check_guarantees(world)
    order = _parent(world, parent)
    assert order.status is S.CANCELLED, order.status
    child = world.orders.items.get(child_order_id(parent, 0))
    listed = [c.orderId for c in order.strategy.children]
    if child is None:  # the cancel won: the slot never made a child
        assert listed == [] and answer.status is S.CANCELLED
    else:  # the slot won: its child ran (or was cancelled with the parent while pending), reported on the parent
        assert listed == [child.orderId] and child.is_final and order.strategy.children[0].status == child.status.value
        assert answer.status is S.CANCELLED or answer.strategy.cancelRequested
    assert [o.slot for o in world.orders.items.values() if o.parentId == parent] in ([], [0]), "no slot starts after the cancel"


def test_either_side_can_win_a_cancel_racing_a_starting_slot():
    """The race above is real: paused before each of its calls, the slot loses to the cancel at
    some (no child) and wins at others (its child runs, and the parent ends cancelled after it)."""
    children = set()
    for pause_at in range(1, TICK_AT_START + 1):
        world, parent = _world()
        _race(world, world.trigger.tick, lambda: world.cancel(parent), pause_at, None)
        world.run()
        check_guarantees(world)
        children.add(child_order_id(parent, 0) in world.orders.items)
    assert children == {False, True}


# ---------------------------------------------------------------- a cancel and a child's landing
def _delivery_calls() -> int:
    world, _ = _pending_child()
    return _calls(world, lambda: _deliver_one(world))


DELIVERY = _delivery_calls()
LANDINGS = {  # what races the cancel: the consumer landing the child, or the trigger recording it
    "delivery": (_pending_child, lambda world: _deliver_one(world), DELIVERY),
    "trigger": (_child_landed, lambda world: world.trigger.tick(), TICK_AT_LANDING),
}
CASES = [
    (landing, cancel_first, i, j)
    for landing, (_, _, calls) in LANDINGS.items()
    for cancel_first in (False, True)
    for i in range(1, max(calls, CANCEL) + 1)
    for j in range(1, max(calls, CANCEL) + 2)
]


CASE_IDS = [f"{landing}-{'cancel' if first else 'landing'}-first-{i}-{j}" for landing, first, i, j in CASES]


@pytest.mark.parametrize("landing,cancel_first,pause_a,pause_b", CASES, ids=CASE_IDS)
def test_a_cancel_racing_a_childs_landing_records_the_fill_exactly_once(landing, cancel_first, pause_a, pause_b):
    setup, land, _ = LANDINGS[landing]
    world, parent = setup()
    landed, cancel = (lambda: land(world)), (lambda: world.cancel(parent))
    a, b = (cancel, landed) if cancel_first else (landed, cancel)
    _race(world, a, b, pause_a, pause_b)
    world.run()
    check_guarantees(world)
    order = _parent(world, parent)
    child = world.orders.items[child_order_id(parent, 0)]
    assert order.status is S.CANCELLED, order.status
    assert [o.slot for o in world.orders.items.values() if o.parentId == parent] == [0], "no slot starts after the cancel"
    filled = 1 if child.status is S.CONFIRMED else 0
    assert (order.strategy.filled, _fill_entries(order)) == (filled, filled), "the fill is recorded exactly once"
    if filled:
        assert order.strategy.filledIn == child.amountIn and order.strategy.filledOut == child.execution.amountOut
