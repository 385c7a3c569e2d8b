"""The fault matrix for strategies (TWAP, recurring): every step of each story x every fault.

The stories are a parent's paths: a TWAP that completes; a TWAP with a limit the market misses
at its first slots, then fills; a recurring order whose price band skips some runs; a TWAP
cancelled while its child is pending, and one cancelled while its child is routing (the child
finishes and its fill counts); a TWAP whose children fail on chain (slippage) and whose slices
are retried. Each story's steps are the calls a clean run makes to the order store, the per-key
quota store, the queue, the chain's ledger and the rate limiter's store (the API's, the
trigger's, the consumer's, the sweeper's and the dead-letter function's alike). At each step the
matrix injects a throttle (a refused send, for the queue), a crash before the call and a crash
after it, once and six times in a row. Then G1-G6 hold for every order, children included, and
S1-S5 for every parent (tests/support/strategy_checks.py, docs/guarantees.md):

- S1: a parent never fills more than its total; its totals are its confirmed children's;
- S2: at most one child per slot (its id derived from the parent and the slot), and the children
  in the store are exactly the ones the parent lists;
- S3: one child in flight at a time;
- S4: its final status matches its children's fills; cancelled only after a DELETE;
- S5: no parent stuck: each ends by its last slot (or last child's start) plus G3's bound.

A trigger tick reads the index every second; most ticks of a strategy find nothing due and make
the same read. Every write of a clean run is a step of the matrix; a read is one when the calls
either side of it differ from every earlier read's (an idle tick's read is the idle tick before
it again), which keeps the matrix to the size of the limit orders' one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

import pytest
from solroute.dex.simulation import SimulationConfig
from solroute.models.order import OrderStatus as S

from tests.world import Fault, World, check_guarantees

# Swaps final after 2-3 s (the settle queue: a child routing is a story). Quotes take no time: the
# router asks the venues in parallel, and their delays on the shared fake clock would make the
# moment each venue is priced, so a child's route and the steps of a run, vary from run to run.
CONFIG = SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0)
READS = (
    "orders.get", "orders.open_orders", "orders.pending_past_deadline", "orders.count_open", "orders.count_strategies", "ledger.get",
    "limiter.read", "quota.read",
)  # fmt: skip
TWAP = {"type": "twap", "amountIn": "2", "slices": 2, "intervalSeconds": 10}
# The seeded market pays 149.7 and 149.9 (with the trigger's margin) at the first two slots, then 150.4 and 150.6.
LIMIT = "150"
# ... and 150.4, 148.2, 149.9 at the three runs of a one-a-minute recurring order: the first is above the band, the second below it.
BAND = {"minPrice": "149", "maxPrice": "150"}
SLIPPAGE_THE_DRIFT_BEATS = "0.000001"  # some children's swaps land and fail on chain (the seeded drift is against them)


def _world(faults: list[Fault] | None = None) -> World:
    # The template's per-key limits: each child counts against its key's rate and backlog.
    return World(CONFIG, faults=faults, rate_per_minute=100, key_backlog_ms=5_000)


def twap_completes(world: World) -> None:
    world.submit(**TWAP)
    world.run()


def twap_limit_skips_then_fills(world: World) -> None:
    world.submit(**TWAP, limitPrice=LIMIT)
    world.run()


def recurring_band_skips(world: World) -> None:
    world.submit(type="recurring", amountPerRun="1", intervalSeconds=60, runs=3, **BAND)
    world.run()


def cancelled_child_pending(world: World) -> None:
    parent = world.submit(**TWAP)
    world._tick()  # slot 0 starts: its child is pending, its message queued
    if parent:
        world.cancel(parent)
    world.run()


def cancelled_child_routing(world: World) -> None:
    parent = world.submit(**TWAP)
    world._tick()
    if message := world.queue.receive():
        world.deliver(message)  # the child routes; its swap lands and is final 2-3 s later
    if parent:
        world.cancel(parent)
    world.run()


def child_fails_on_chain_then_retried(world: World) -> None:
    world.submit(**TWAP, slippage=SLIPPAGE_THE_DRIFT_BEATS, maxRetries=4)
    world.run()


STORIES: dict[str, Callable[[World], None]] = {
    "twap-completes": twap_completes, "twap-limit-skips": twap_limit_skips_then_fills, "recurring-band-skips": recurring_band_skips,
    "cancel-child-pending": cancelled_child_pending, "cancel-child-routing": cancelled_child_routing,
    "child-fails-on-chain": child_fails_on_chain_then_retried,
}  # fmt: skip
# What each clean story ends as: the parent's status, filled, skipped slots, children that did not confirm.
EXPECTED = {
    "twap-completes": (S.COMPLETED, 2, 0, 0), "twap-limit-skips": (S.COMPLETED, 2, 2, 0),
    "recurring-band-skips": (S.PARTIALLY_FILLED, 1, 2, 0), "cancel-child-pending": (S.CANCELLED, 0, 0, 1),
    "cancel-child-routing": (S.CANCELLED, 1, 0, 0), "child-fails-on-chain": (S.COMPLETED, 2, 0, 1),
}  # fmt: skip


def _clean(story: str) -> World:
    world = _world()
    STORIES[story](world)
    check_guarantees(world)
    return world


def _steps(world: World) -> list[tuple[str, int]]:
    """Every write of the run, and each read whose neighbours no earlier read had."""
    steps = world.calls.steps()
    seen: set[tuple[str, ...]] = set()
    kept = []
    for i, (operation, nth) in enumerate(steps):
        around = tuple(op for op, _ in steps[max(0, i - 1) : i + 2])
        if operation in READS and around in seen:
            continue
        seen.add(around)
        kept.append((operation, nth))
    return kept


CLEAN = {story: _clean(story) for story in STORIES}
CASES = [(story, step) for story, world in CLEAN.items() for step in _steps(world)]


@pytest.mark.parametrize("story", STORIES)
def test_each_clean_story_takes_its_path(story):
    world = CLEAN[story]
    (parent,) = [o for o in world.orders.items.values() if o.strategy is not None]
    s = parent.strategy
    unfilled = sum(1 for c in s.children if c.status != "confirmed")
    assert (parent.status, s.filled, len(s.skipped), unfilled) == EXPECTED[story], (parent.status, s.filled, s.skipped, s.children)
    if story == "child-fails-on-chain":
        assert all("slippage exceeded" in (c.reason or "") for c in s.children if c.status == "failed")
    if story == "cancel-child-pending":
        assert s.children[0].status == "cancelled"


def test_every_story_is_in_the_matrix_and_touches_each_store():
    operations = {operation for _, (operation, _) in CASES}
    assert {"orders.create", "orders.open_orders", "orders.get", "orders.save_transition", "orders.record_attempt", "queue.send",
            "quota.write_if_unchanged", "ledger.put_if_absent", "limiter.write_if_unchanged"} <= operations, operations  # fmt: skip
    for story, world in CLEAN.items():  # every write of every story is a step
        writes = [step for step in world.calls.steps() if step[0] not in READS]
        assert set(writes) <= {step for s, step in CASES if s == story}, story


@pytest.mark.parametrize("times", [1, 6], ids=["once", "six-times"])
@pytest.mark.parametrize("kind", ["throttle", "crash-before", "crash-after"])
@pytest.mark.parametrize("story,step", CASES, ids=[f"{story}:{op}#{n}" for story, (op, n) in CASES])
def test_a_fault_at_any_step_of_a_strategy_keeps_every_guarantee(story, step, kind, times):
    operation, nth = step
    world = _world(faults=[Fault(operation, kind, nth, times)])
    STORIES[story](world)
    check_guarantees(world)


@pytest.mark.parametrize(
    "chain,plan",
    [
        ("ledger", "quote-timeout=1"), ("ledger", "send-rpc-error=1"), ("ledger", "crash-before-send=1"), ("ledger", "crash-after-send=1"),
        ("ledger", "quote-timeout=0.3,send-rpc-error=0.3,crash-before-send=0.3,crash-after-send=0.3"),
        ("rpc", "rpc-drop=1"), ("rpc", "blockhash-expired=1"),
        ("rpc", "rpc-drop=0.5,rpc-timeout=0.5,blockhash-expired=0.3,crash-before-send=0.3,crash-after-send=0.3,send-rpc-error=0.3"),
    ],
)  # fmt: skip
def test_the_simulations_fault_points_keep_every_guarantee_for_strategies(chain, plan):
    """Several strategies at once, beside a limit and a market order, with the chain's and the
    venues' fault points firing: every child is judged by the chain, every parent by S1-S5."""
    world = World(CONFIG, fault_plan=plan, rate_per_minute=100, key_backlog_ms=5_000, chain=chain)
    world.submit(type="twap", amountIn="2.5", sliceAmount="1", intervalSeconds=10, jitterSeconds=2)
    world.submit(type="twap", amountIn="3", slices=3, durationSeconds=30, limitPrice=LIMIT, maxRetries=3)
    world.submit(type="recurring", amountPerRun="1", intervalSeconds=60, runs=2, **BAND)
    world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)
    world.submit()
    world.run()
    check_guarantees(world)
    assert sum(1 for o in world.orders.items.values() if o.strategy is not None) == 3


def _lie(parent, **changes):  # type: ignore[no-untyped-def]
    return parent.model_copy(update={"strategy": parent.strategy.model_copy(update=changes)})


LIES = {
    "S1: fills more than its children": ("S1", lambda p, kids: _lie(p, filledIn=p.strategy.filledIn + 1)),
    "S1: filledOut not its children's": ("S1", lambda p, kids: _lie(p, filledOut=p.strategy.filledOut + 1)),
    "S2: a stored child it does not list": ("S2", lambda p, kids: _lie(p, children=p.strategy.children[:1])),
    "S3: a child in flight at the end": ("S3", lambda p, kids: _lie(p, inflight=kids[-1].orderId)),
    "S4: completed with a slice unfilled": ("S4", lambda p, kids: _lie(p, slices=3)),
    "S4: cancelled without a DELETE": ("S4", lambda p, kids: p.model_copy(update={"status": S.CANCELLED})),
    "S5: ended long after its last slot": ("S5", lambda p, kids: p.model_copy(update={"statusAtMs": p.expiresAtMs + 21 * 60_000})),
}


@pytest.mark.parametrize("lie", LIES)
def test_the_strategy_checks_catch_a_parent_that_lies(lie):
    """Each of S1-S5 fails on a parent made to contradict its children (the checks have teeth)."""
    world = _world()
    twap_completes(world)
    (parent,) = [o for o in world.orders.items.values() if o.strategy is not None]
    children = sorted((o for o in world.orders.items.values() if o.parentId), key=lambda o: o.slot)
    invariant, tell = LIES[lie]
    world.orders.items[parent.orderId] = tell(parent, children)
    with pytest.raises(AssertionError, match=invariant):
        check_guarantees(world)
