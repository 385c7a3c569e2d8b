"""The fault matrix: every fault at every step of an order's life, then redelivery, backoff,
the dead-letter function and the sweeper run, and G1-G6 must hold (docs/guarantees.md).

The steps are the calls a clean order makes to the order store, the chain's ledger and the
rate limiter's store, recorded from a run without faults. At each of them the matrix injects
a throttle, a crash before the call and a crash after it (once, and six times in a row so the
message is dead-lettered), with the order on its first and on its last attempt. The
simulation's own fault points (quote-timeout, send-rpc-error, crash-before-send,
crash-after-send) are injected through FaultInjection's plan."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solroute.dex.faults import FaultPlan
from solroute.dex.simulation import SimulationConfig

from tests.world import Fault, World, check_guarantees

# Seed delays: quotes 200 ms, swaps final after 2-3 s (so settling goes through the queue).
SEED_DELAYS = SimulationConfig(seed=7, failure_rate=Decimal(0))
BOUND_MS = 20 * 60_000  # docs/guarantees.md, G3


def _clean_calls(rate_per_minute: int) -> list[tuple[str, int]]:
    world = World(SEED_DELAYS, rate_per_minute=rate_per_minute)
    world.submit()
    world.run()
    return world.calls.steps()


STEPS = _clean_calls(rate_per_minute=100)


def test_the_matrix_covers_every_kind_of_step():
    operations = {operation for operation, _ in STEPS}
    assert {"orders.create", "orders.record_attempt", "orders.save_transition", "ledger.put_if_absent", "limiter.write_if_unchanged"} <= operations
    # pending>routing is the attempt's own write; routing>building>submitted>confirmed follow
    assert sum(1 for op, _ in STEPS if op == "orders.record_attempt") == 1
    assert sum(1 for op, _ in STEPS if op == "orders.save_transition") == 3, "routing>building>submitted>confirmed"


@pytest.mark.parametrize("times", [1, 6], ids=["once", "six-times"])
@pytest.mark.parametrize("kind", ["throttle", "crash-before", "crash-after"])
@pytest.mark.parametrize("step", STEPS, ids=[f"{op}#{n}" for op, n in STEPS])
def test_a_fault_at_any_step_keeps_every_guarantee(step, kind, times):
    operation, nth = step
    world = World(SEED_DELAYS, faults=[Fault(operation, kind, nth, times)], rate_per_minute=100)
    world.submit()
    world.run()
    check_guarantees(world, bound_ms=BOUND_MS)


def _last_attempt_world() -> World:
    """Attempts 1 and 2 fail on their quotes, so the third is the last."""
    world = World(SEED_DELAYS)
    order_id = world.submit()
    plan = _quotes_fail_for(order_id, attempts=2)
    for venue in world.executor.router.venues.values():
        venue.faults = plan
    return world


def _calls_before_last_attempt(operation: str) -> int:
    probe = _last_attempt_world()
    started = {"n": 0, "calls": None}

    def watch(op: str) -> None:
        if op == "orders.record_attempt":
            started["n"] += 1
            if started["n"] == 3:
                started["calls"] = probe.calls.counts.get(operation, 0)

    probe.calls.pause = watch
    probe.run()
    assert started["calls"] is not None, "the probe never reached its third attempt"
    return started["calls"]


@pytest.mark.parametrize("kind", ["throttle", "crash-before", "crash-after"])
@pytest.mark.parametrize("operation", ["orders.save_transition", "orders.get", "ledger.put_if_absent", "ledger.get"])
def test_a_fault_on_the_last_attempt_keeps_every_guarantee(operation, kind):
    """Defect 3: a transient error (or a crash) after the swap landed, on the last attempt,
    must not fail an order that was paid."""
    first = _calls_before_last_attempt(operation) + 1
    world = _last_attempt_world()
    world.calls.faults = [Fault(operation, kind, first=first, times=6)]
    world.run()
    check_guarantees(world, bound_ms=BOUND_MS)
    (order,) = world.orders.items.values()
    assert order.attempts == 3


@pytest.mark.parametrize(
    "plan",
    [
        "quote-timeout=1",
        "send-rpc-error=1",
        "crash-before-send=1",
        "crash-after-send=1",
        "quote-timeout=0.5",
        "send-rpc-error=0.5",
        "crash-before-send=0.5",
        "crash-after-send=0.5",
        "quote-timeout=0.3,send-rpc-error=0.3,crash-before-send=0.3,crash-after-send=0.3",
    ],
)
def test_the_simulations_fault_points_keep_every_guarantee(plan):
    world = World(SEED_DELAYS, fault_plan=plan, rate_per_minute=100)
    for i in range(8):
        world.submit(amountIn=str(1 + i))
    world.run()
    check_guarantees(world, bound_ms=BOUND_MS)


def test_the_api_queue_refusing_and_the_database_refusing_too_still_ends_the_order():
    """Defect 6: SendMessage fails and the write that fails the order fails too."""
    world = World(SEED_DELAYS)
    world.queue.fail_sends = 1
    world.calls.faults = [Fault("orders.save_transition", "throttle")]
    assert world.submit() is None, "the client is told 503"
    (stored,) = world.orders.items.values()
    assert stored.status.value == "pending", "left pending, unqueued"
    world.run()
    final = world.orders.get(stored.orderId)
    assert final.status.value == "failed" and "never reached the execution queue" in final.failureReason
    assert final.statusAtMs - stored.history[0].timestampMs <= 300_000 + 60_000
    check_guarantees(world)


def test_a_process_that_dies_between_storing_and_queueing_an_order_leaves_nothing_stuck():
    world = World(SEED_DELAYS, faults=[Fault("orders.create", "crash-after")])
    assert world.submit() is None
    world.submit()  # a second order in the same world goes through as usual
    world.run()
    check_guarantees(world)
    assert sorted(o.status.value for o in world.orders.items.values()) == ["confirmed", "failed"]


def _quotes_fail_for(order_id: str, attempts: int) -> FaultPlan:
    class FirstAttemptsTimeOut(FaultPlan):
        def fires(self, point: str, *labels: object) -> bool:
            return point == "quote-timeout" and labels[0] == order_id and labels[1] <= attempts

    return FirstAttemptsTimeOut()
