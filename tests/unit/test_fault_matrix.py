"""The fault matrix: every fault at every step of an order's life, then redelivery, backoff,
the dead-letter function and the sweeper run, and G1-G6 must hold (docs/guarantees.md).

The steps are the calls a clean order makes to the order store, the chain's ledger and the
rate limiter's store, recorded from a run without faults. At each of them the matrix injects
a throttle, a crash before the call and a crash after it (once, and six times in a row so the
message is dead-lettered), with the order on its first and on its last attempt. The
simulation's own fault points (quote-timeout, send-rpc-error, crash-before-send,
crash-after-send) are injected through FaultInjection's plan.

Every case runs on both chains (docs/chain.md): the simulated chain over its ledger, and the RPC
chain over the local validator, where the steps include each JSON-RPC call (``rpc.<method>``: a
throttle is the client's RpcError) and the chain's own fault points (rpc-timeout, rpc-drop,
blockhash-expired) are injected too; there the guarantees are judged by what the validator says
landed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solroute.dex.faults import FaultPlan
from solroute.dex.simulation import SimulationConfig

from tests.world import Fault, World, check_guarantees

# Seed delays: quotes 200 ms, swaps final after 2-3 s (so settling goes through the queue).
SEED_DELAYS = SimulationConfig(seed=7, failure_rate=Decimal(0))
BOUND_MS = 20 * 60_000  # docs/guarantees.md, G3


CHAINS = ["ledger", "rpc"]
# What each chain's clean order calls besides the stores: the ledger's write, or the RPC methods
# an execution engine uses (sign: blockhash; send; then status until confirmed, and the outcome).
CHAIN_STEPS = {
    "ledger": {"ledger.put_if_absent"},
    "rpc": {"rpc.getTokenAccountsByOwner", "rpc.getLatestBlockhash", "rpc.sendTransaction", "rpc.getSignatureStatuses", "rpc.getTransaction"},
}


def _clean_calls(chain: str, rate_per_minute: int) -> list[tuple[str, int]]:
    world = World(SEED_DELAYS, rate_per_minute=rate_per_minute, chain=chain)
    world.submit()
    world.run()
    return world.calls.steps()


STEPS = {chain: _clean_calls(chain, rate_per_minute=100) for chain in CHAINS}
CASES = [pytest.param(chain, step, id=f"{chain}-{step[0]}#{step[1]}") for chain in CHAINS for step in STEPS[chain]]


@pytest.mark.parametrize("chain", CHAINS)
def test_the_matrix_covers_every_kind_of_step(chain):
    operations = {operation for operation, _ in STEPS[chain]}
    assert {"orders.create", "orders.record_attempt", "orders.save_transition", "limiter.write_if_unchanged"} | CHAIN_STEPS[chain] <= operations
    # pending>routing is the attempt's own write; routing>building>submitted>confirmed follow
    assert sum(1 for op, _ in STEPS[chain] if op == "orders.record_attempt") == 1
    assert sum(1 for op, _ in STEPS[chain] if op == "orders.save_transition") == 3, "routing>building>submitted>confirmed"


@pytest.mark.parametrize("times", [1, 6], ids=["once", "six-times"])
@pytest.mark.parametrize("kind", ["throttle", "crash-before", "crash-after"])
@pytest.mark.parametrize(("chain", "step"), CASES)
def test_a_fault_at_any_step_keeps_every_guarantee(chain, step, kind, times):
    operation, nth = step
    world = World(SEED_DELAYS, faults=[Fault(operation, kind, nth, times)], rate_per_minute=100, chain=chain)
    world.submit()
    world.run()
    check_guarantees(world, bound_ms=BOUND_MS)


def _last_attempt_world(chain: str) -> World:
    """Attempts 1 and 2 fail on their quotes, so the third is the last."""
    world = World(SEED_DELAYS, chain=chain)
    order_id = world.submit()
    plan = _quotes_fail_for(order_id, attempts=2)
    for venue in world.executor.router.venues.values():
        venue.faults = plan
    return world


def _calls_before_last_attempt(chain: str, operation: str) -> int:
    probe = _last_attempt_world(chain)
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


LAST_ATTEMPT_STEPS = {
    "ledger": ["orders.save_transition", "orders.get", "ledger.put_if_absent", "ledger.get"],
    "rpc": ["orders.save_transition", "orders.get", "rpc.sendTransaction", "rpc.getSignatureStatuses", "rpc.getTransaction"],
}


@pytest.mark.parametrize("kind", ["throttle", "crash-before", "crash-after"])
@pytest.mark.parametrize(("chain", "operation"), [pytest.param(c, op, id=f"{c}-{op}") for c in CHAINS for op in LAST_ATTEMPT_STEPS[c]])
def test_a_fault_on_the_last_attempt_keeps_every_guarantee(chain, operation, kind):
    """Defect 3: a transient error (or a crash) after the swap landed, on the last attempt,
    must not fail an order that was paid."""
    first = _calls_before_last_attempt(chain, operation) + 1
    world = _last_attempt_world(chain)
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
@pytest.mark.parametrize("chain", CHAINS)
def test_the_simulations_fault_points_keep_every_guarantee(chain, plan):
    world = World(SEED_DELAYS, fault_plan=plan, rate_per_minute=100, chain=chain)
    for i in range(8):
        world.submit(amountIn=str(1 + i))
    world.run()
    check_guarantees(world, bound_ms=BOUND_MS)


@pytest.mark.parametrize(
    "plan",
    [
        "rpc-timeout=1",
        "rpc-drop=1",
        "blockhash-expired=1",
        "rpc-timeout=0.5",
        "rpc-drop=0.5",
        "blockhash-expired=0.5",
        "rpc-timeout=0.3,rpc-drop=0.3,blockhash-expired=0.3,crash-before-send=0.3,crash-after-send=0.3,send-rpc-error=0.3",
    ],
)
def test_the_rpc_chains_fault_points_keep_every_guarantee(plan):
    world = World(SEED_DELAYS, fault_plan=plan, rate_per_minute=100, chain="rpc")
    for i in range(8):
        world.submit(amountIn=str(1 + i))
    world.run()
    check_guarantees(world, bound_ms=BOUND_MS)


@pytest.mark.parametrize("chain", CHAINS)
def test_the_api_queue_refusing_and_the_database_refusing_too_still_ends_the_order(chain):
    """Defect 6: SendMessage fails and the write that fails the order fails too."""
    world = World(SEED_DELAYS, chain=chain)
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


@pytest.mark.parametrize("chain", CHAINS)
def test_a_process_that_dies_between_storing_and_queueing_an_order_leaves_nothing_stuck(chain):
    world = World(SEED_DELAYS, faults=[Fault("orders.create", "crash-after")], chain=chain)
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
