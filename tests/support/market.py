"""The simulated market as a running cloud prices it, computed in the test process: the venues'
prices are a pure function of (seed, time), so a test can know when a limit will be reached."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solroute.ports import WatchedOrder
from solroute.dex.market import Market
from solroute.dex.price_path import PricePath, parse_volatility
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DEX_SEEDS, PRICE_DRIFT
from solroute.dex.simulation import SimulationConfig
from solroute.dex.venue import SimulatedDex
from solroute.ports import Clock
from solroute.logic.routing import limit_minimum
from solroute.logic.trigger import Trigger
from solroute.models.tokens import resolve_token


@dataclass(frozen=True)
class Target:
    token_in: str
    token_out: str
    amount_in: Decimal
    limit_price: Decimal
    first_reached_ms: int  # the first millisecond the trigger would queue an order with this limit


def mirror_trigger(seed: int, volatility: str = "0.02", margin: Decimal = PRICE_DRIFT) -> Trigger:
    """A trigger that judges as the cloud's does (same seed, volatility and margin); it never
    reads or writes anything (judge only)."""
    market = Market(path=PricePath(str(seed), parse_volatility(volatility)))
    venues = [SimulatedDex(s, SimulationConfig(seed=seed), Randomness(seed), Clock(), market=market) for s in DEX_SEEDS]
    return Trigger(None, None, venues, Clock(), None, margin=margin)  # type: ignore[arg-type]


def best_limit(trigger: Trigger, token_in: str, token_out: str, amount_in: Decimal, at_ms: int) -> Decimal:
    """The highest limit price the trigger would queue at ``at_ms`` (tokenOut per tokenIn)."""
    route = trigger.judge(WatchedOrder("probe", at_ms + 1, token_in, token_out, amount_in, Decimal("1e-12")), at_ms)
    assert route is not None
    return route.amount_out * (1 - trigger.margin) / amount_in


def limit_reached_between(
    trigger: Trigger, start_ms: int, earliest_ms: int, latest_ms: int, step_ms: int = 100,
    pairs: tuple[tuple[str, str, Decimal], ...] = (("SOL", "USDC", Decimal("1.5")), ("USDC", "SOL", Decimal("200"))),
    hold_ms: int = 0,
) -> Target | None:
    """A limit (on whichever of ``pairs`` makes a new high first) that the market has not reached
    since ``start_ms`` and first reaches between ``earliest_ms`` and ``latest_ms``, and then keeps
    paying for ``hold_ms`` (so a trigger ticking more often cannot miss it); None if none does.
    Prices are sampled every ``step_ms`` (the venues' prices are linear over a second, so nothing
    crosses between samples), then the crossing is found to 5 ms."""
    found: list[Target] = []
    for token_in, token_out, amount in pairs:
        high = Decimal(0)
        for t in range(start_ms, latest_ms + 1, step_ms):
            value = best_limit(trigger, token_in, token_out, amount, t)
            if t >= earliest_ms and value > high * Decimal("1.00002"):
                limit = ((high + value) / 2).quantize(Decimal("1e-9"))
                floor = limit_minimum(limit, amount, resolve_token(token_out).decimals)
                first = next(u for u in range(t - step_ms, t + 1, 5) if best_limit(trigger, token_in, token_out, amount, u) * amount >= floor)
                if all(best_limit(trigger, token_in, token_out, amount, u) * amount >= floor for u in range(first, first + hold_ms + 1, step_ms)):
                    found.append(Target(token_in, token_out, amount, limit, first))
                    break
            high = max(high, value)
    return min(found, key=lambda target: target.first_reached_ms) if found else None
