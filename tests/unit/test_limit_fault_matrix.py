"""The fault matrix for limit orders: every step of each limit-order story x every fault point.

The stories are the lifecycle's paths: a limit order that triggers and fills; one whose route
misses its price at routing, goes back to open and fills in its next cycle; one cancelled while
open and one cancelled once triggered (pending); one that expires. Each story's steps are the calls
a clean run makes to the order store, the per-key quota store, the queue, the chain's ledger and the
rate limiter's store (the trigger's, the API's, the consumer's, the sweeper's and the dead-letter
function's alike). At each step the matrix injects a throttle (a refused send, for the queue), a
crash before the call and a crash after it, once and six times in a row (so a message is
dead-lettered, or a triggered order's message is lost and the sweeper finds it). Then G1-G6 must
hold (docs/guarantees.md), and what limit orders add:

- L1: a limit order never fills below its limit (its minimum out is limitPrice x amountIn);
- L2: it ends confirmed, expired or cancelled, or failed only when its swap landed and failed on
  chain (the chain decides); nothing else ends it: what cannot execute now, a swap that never
  landed included, rests again (open);
- L3: it ends by its expiry, or within G3's bound after its last cycle started;
- L4: expired and cancelled orders never had a route or a transaction (G1 checks it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

import pytest
from solroute.dex.simulation import SimulationConfig
from solroute.logic.routing import limit_minimum
from solroute.models.errors import LimitNotMet
from solroute.models.order import OrderStatus as S
from solroute.models.tokens import resolve_token

from tests.world import Fault, World, check_guarantees

QUICK = SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0)
SEED_DELAYS = SimulationConfig(seed=7, failure_rate=Decimal(0))  # quotes 200 ms; swaps final after 2-3 s (the settle queue)
REACHED = "0.000001"  # a limit the market pays at once: it triggers at the first tick
UNREACHABLE = "1000000"
BOUND_MS = 20 * 60_000  # docs/guarantees.md, G3
EXPIRY_S = 600


def _world(config: SimulationConfig = SEED_DELAYS, faults: list[Fault] | None = None, fault_plan: str = "", chain: str = "ledger") -> World:
    # The template's per-key limits: the trigger queues each triggered order under its key's backlog bound.
    return World(config, faults=faults, fault_plan=fault_plan, rate_per_minute=100, key_backlog_ms=5_000, chain=chain)


def _limit(world: World, price: str = REACHED, expiry_s: int = EXPIRY_S) -> str | None:
    return world.submit(type="limit", limitPrice=price, timeInForceSeconds=expiry_s)


def fills(world: World) -> None:
    _limit(world)
    world.run()


def reopens_then_fills(world: World) -> None:
    """Its first routing finds the price gone (before anything is built): open again, then it fills."""
    route, misses = world.executor.router.route, {"left": 1}

    def moved_away_once(order, now_ms=0):  # type: ignore[no-untyped-def]
        if misses["left"]:
            misses["left"] -= 1
            raise LimitNotMet("the best route now returns less than the limit")
        return route(order, now_ms)

    world.executor.router.route = moved_away_once  # type: ignore[method-assign]
    _limit(world)
    world.run()


def cancelled_open(world: World) -> None:
    order_id = _limit(world, UNREACHABLE, expiry_s=60)  # a cancel that fails leaves it to expire
    if order_id:
        world.cancel(order_id)
    world.run()


def cancelled_pending(world: World) -> None:
    order_id = _limit(world)
    world._tick()  # triggered: pending, its message queued
    if order_id:
        world.cancel(order_id)
    world.run()


def expires(world: World) -> None:
    _limit(world, UNREACHABLE, expiry_s=30)
    world.run()


STORIES: dict[str, Callable[[World], None]] = {
    "fills": fills, "reopens-then-fills": reopens_then_fills, "cancelled-open": cancelled_open,
    "cancelled-pending": cancelled_pending, "expires": expires,
}  # fmt: skip
EXPECTED = {"fills": S.CONFIRMED, "reopens-then-fills": S.CONFIRMED, "cancelled-open": S.CANCELLED, "cancelled-pending": S.CANCELLED, "expires": S.EXPIRED}


def _clean_steps(story: str) -> list[tuple[str, int]]:
    world = _world()
    STORIES[story](world)
    (order,) = world.orders.items.values()
    assert order.status is EXPECTED[story], f"the clean {story} story ended {order.status.value}"
    return world.calls.steps()


CASES = [(story, step) for story in STORIES for step in _clean_steps(story)]


def check_limit_orders(world: World) -> None:
    """G1-G6, then L1-L3 (the module's docstring)."""
    check_guarantees(world)
    landed = world.rpc.landed() if world.rpc else world.ledger.landed()
    for order in world.orders.items.values():
        statuses = [h.status for h in order.history]
        assert statuses[0] is S.OPEN, statuses
        floor = limit_minimum(order.limitPrice, order.amountIn, resolve_token(order.tokenOut).decimals)
        if order.transaction is not None:
            assert order.transaction.minAmountOut == floor, "L1: its minimum out is its limit"
        if order.status is S.CONFIRMED:
            assert order.execution.amountOut >= floor, "L1: filled below its limit"
        if order.status is S.FAILED:
            assert order.transaction is not None, f"L2: failed before anything was sent: {order.failureReason}"
            record = landed.get(order.transaction.signature)
            assert record is not None and record["status"] == "failed", f"L2: failed, but its swap did not land and fail: {order.failureReason}"
        last_cycle = max(h.timestampMs for h in order.history if h.status is S.OPEN)
        assert order.statusAtMs <= max(order.expiresAtMs, last_cycle) + BOUND_MS, f"L3: final too late: {statuses}"


def test_every_story_is_in_the_matrix_and_touches_each_store():
    operations = {operation for _, (operation, _) in CASES}
    assert {"orders.create", "orders.open_orders", "orders.save_transition", "orders.record_attempt", "queue.send",
            "quota.increment", "quota.write_if_unchanged", "ledger.put_if_absent"} <= operations, operations  # fmt: skip
    assert len(CASES) > 100


@pytest.mark.parametrize("times", [1, 6], ids=["once", "six-times"])
@pytest.mark.parametrize("kind", ["throttle", "crash-before", "crash-after"])
@pytest.mark.parametrize("story,step", CASES, ids=[f"{story}:{op}#{n}" for story, (op, n) in CASES])
def test_a_fault_at_any_step_of_a_limit_order_keeps_every_guarantee(story, step, kind, times):
    operation, nth = step
    world = _world(faults=[Fault(operation, kind, nth, times)])
    STORIES[story](world)
    check_limit_orders(world)


@pytest.mark.parametrize(
    "plan",
    [
        "quote-timeout=1", "send-rpc-error=1", "crash-before-send=1", "crash-after-send=1",
        "quote-timeout=0.5", "send-rpc-error=0.5", "crash-before-send=0.5", "crash-after-send=0.5",
        "quote-timeout=0.3,send-rpc-error=0.3,crash-before-send=0.3,crash-after-send=0.3",
    ],
)  # fmt: skip
def test_the_simulations_fault_points_keep_every_guarantee_for_limit_orders(plan):
    world = _world(fault_plan=plan)
    for i in range(8):
        world.submit(type="limit", limitPrice=REACHED, amountIn=str(1 + i), timeInForceSeconds=EXPIRY_S)
    world.run()
    check_limit_orders(world)
    assert all(o.status in (S.CONFIRMED, S.EXPIRED) for o in world.orders.items.values()), "the chain never fails a limit order's swap here"


@pytest.mark.parametrize(
    "plan",
    [
        "rpc-drop=1", "rpc-timeout=1", "blockhash-expired=1", "crash-before-send=1", "crash-after-send=1",
        "rpc-drop=0.5,rpc-timeout=0.5,blockhash-expired=0.3,crash-before-send=0.3,crash-after-send=0.3,send-rpc-error=0.3",
    ],
)  # fmt: skip
def test_on_the_rpc_chain_a_limit_order_whose_transaction_never_lands_rests_and_signs_anew(plan):
    """The RPC chain (docs/chain.md): a limit order whose signed transaction never landed (dropped,
    its blockhash expired) rests again once the chain says it never will, and its next cycle signs a
    new transaction; every guarantee and L1-L3 hold, judged by the validator."""
    world = _world(fault_plan=plan, chain="rpc")
    for i in range(4):
        world.submit(type="limit", limitPrice=REACHED, amountIn=str(1 + i), timeInForceSeconds=EXPIRY_S)
    world.run()
    check_limit_orders(world)
    orders = list(world.orders.items.values())
    assert all(o.status in (S.CONFIRMED, S.EXPIRED) for o in orders), [(o.status, o.failureReason) for o in orders]
    if plan == "blockhash-expired=1":  # nothing can ever land: each order rested after each expiry, then expired
        assert all(o.status is S.EXPIRED and o.cycle > 1 for o in orders), [(o.status, o.cycle) for o in orders]
