"""Limit orders on the in-memory World: what the trigger sees the best route pay at a moment, and
an order whose every trigger misses its price at routing."""

from __future__ import annotations

from decimal import Decimal

from solroute.ports import WatchedOrder
from solroute.dex.simulation import SimulationConfig
from tests.world import World

# Quotes take no time and swaps are final at once: a whole order runs in one delivery.
QUICK = SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0, swap_delay_min_ms=0, swap_delay_max_ms=0)
AMOUNT = Decimal("1.5")


def best_out(world: World, at_ms: int, amount: Decimal = AMOUNT) -> Decimal:
    """What the trigger sees the best route pay at ``at_ms`` (a limit so low it always triggers)."""
    probe = WatchedOrder("probe", at_ms + 1, "SOL", "USDC", amount, Decimal("0.000001"))
    route = world.trigger.judge(probe, at_ms)
    assert route is not None
    return route.amount_out


def misjudged_limit_order(world: World, expiry_s: int) -> str:
    """A limit order 20% above the market, with a trigger told to accept routes 40% short: it is
    queued at every tick it may be, and its route misses the limit at routing every time (it goes
    back to open, nothing built)."""
    world.trigger.margin = Decimal("-0.4")
    near = (best_out(world, world.clock.now_ms()) / AMOUNT * Decimal("1.2")).quantize(Decimal("0.01"))
    order_id = world.submit(type="limit", limitPrice=str(near), timeInForceSeconds=expiry_s)
    assert order_id is not None
    return order_id
