"""TWAP against one market order of the same total, on the engine's own simulated market.

No cloud: the venues' quotes are pure functions of time (``SimulatedDex.pools_at``: the pools at
the price path's prices of that millisecond, times each venue's noise) and the route search is
pure arithmetic (``solroute.logic.route_search.search``, as the consumer routes). For many
seeded start times and a few sizes it computes what one market order at t0 receives and what a
TWAP of ``slices`` children, each routed at its own slot, receives in total; each against the
arrival price (the best route's zero-size rate at t0, fees included: ``route_search.best_rate``,
what the engine records as a parent's arrivalPrice), in basis points.

What it leaves out, on purpose:
- A trade does not move the pools. Every quote rebuilds them from the price path, so a slice's
  price impact is gone by the next slice (and one order's impact never touches another's): in
  this simulation, impact is fully temporary and TWAP's children never compete with each other.
- The chain's execution drift (``PriceDrift``, a seeded +-0.5% per swap, zero mean) and the
  venues' failures: each fill is the route's quoted output, what the engine expects to receive.
- The engine's price impact cap (``MaxPriceImpact``, 5%): both sides are computed as if it
  were raised; the results count how often the engine would refuse them instead (it fails such
  a market order, and skips such a TWAP slot).

  python -m bench twap                 (with the other profiles' machinery)
  python -m bench.twap --out DIR       (standalone: no cloud is started either way)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from bench import charts
from bench.stats import percentile
from solroute.dex.market import Market
from solroute.dex.price_path import PricePath, parse_volatility
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DEX_SEEDS
from solroute.dex.simulation import SimulationConfig
from solroute.dex.venue import SimulatedDex
from solroute.logic.route_search import best_rate, search
from solroute.logic.routing import route_pairs
from solroute.models.amounts import quantize_down
from solroute.models.route import Curve
from solroute.models.tokens import resolve_token
from solroute.models.venues import INTERMEDIATES
from solroute.ports import Clock

SEED = 27  # the market's and the venues' noise seed (issue 27)
VOLATILITY = "0.02"  # the template's PriceVolatility default
PAIRS = (("SOL", "USDC"), ("PYTH", "USDC"))  # $8M of depth per side; $1.5M (the shallowest two-venue pair)
SIZES_USD = (1_000, 10_000, 100_000, 1_000_000)  # small, two that move the pools, a large one (at reference prices)
SLICES = 10
INTERVAL_S = 30
STARTS = 200
QUICK_STARTS = 40
FIRST_START_MS = 1_798_761_600_000  # 2027-01-01T00:00Z; the starts spread over the next week
SPREAD_MS = 7 * 24 * 3_600_000
IMPACT_CAP = Decimal("0.05")  # the template's MaxPriceImpact default


# ------------------------------------------------------------------ the computation (pure)
def venues(seed: int = SEED, volatility: str = VOLATILITY, noise: bool = True) -> list[SimulatedDex]:
    """The engine's two venues on a market seeded ``seed``; ``noise=False`` quotes every pool at
    the price path's price exactly (each venue's band narrowed to 1)."""
    market = Market(path=PricePath(str(seed), parse_volatility(volatility)))
    seeds = DEX_SEEDS if noise else [replace(s, price_band=(Decimal(1), Decimal(1))) for s in DEX_SEEDS]
    return [SimulatedDex(s, SimulationConfig(seed=seed), Randomness(seed), Clock(), market=market) for s in seeds]


def prices_at(dexes: Sequence[SimulatedDex], token_in: str, token_out: str, at_ms: int) -> dict[tuple[str, str], list[Curve]]:
    """Every pool a route for the pair may use, as each venue quotes it at ``at_ms``."""
    by_pair: dict[tuple[str, str], list[Curve]] = {}
    for dex in dexes:
        for curve in dex.pools_at(route_pairs(token_in, token_out), at_ms):
            by_pair.setdefault((curve.token_in, curve.token_out), []).append(curve)
    return by_pair


@dataclass(frozen=True)
class Fill:
    at_ms: int
    amount_in: Decimal
    amount_out: Decimal
    price_impact: Decimal  # of the chosen route


def arrival_price(dexes: Sequence[SimulatedDex], token_in: str, token_out: str, at_ms: int) -> Decimal:
    """The best route's rate at zero size at ``at_ms`` (tokenOut per tokenIn, fees included)."""
    prices = prices_at(dexes, token_in, token_out, at_ms)
    return best_rate(token_in, token_out, lambda a, b: prices.get((a, b), []), INTERMEDIATES)


def market_order(dexes: Sequence[SimulatedDex], token_in: str, token_out: str, amount_in: Decimal, at_ms: int) -> Fill:
    """What one market order of ``amount_in`` receives on the best route at ``at_ms``'s quotes."""
    prices = prices_at(dexes, token_in, token_out, at_ms)
    found = search(token_in, token_out, amount_in, lambda a, b: prices.get((a, b), []), INTERMEDIATES)
    if found is None:
        return Fill(at_ms, amount_in, Decimal(0), Decimal(1))
    return Fill(at_ms, amount_in, found.chosen.amount_out, found.chosen.price_impact)


def slice_amounts(total: Decimal, slices: int, decimals: int) -> list[Decimal]:
    """Each child's amount: total / slices rounded down to the token's unit; the last takes what
    is left, so the children add up to the total exactly and none is more than what is left."""
    each = quantize_down(total / slices, decimals)
    return [each] * (slices - 1) + [total - each * (slices - 1)]


def twap(dexes: Sequence[SimulatedDex], token_in: str, token_out: str, total: Decimal, slices: int, interval_ms: int, start_ms: int) -> list[Fill]:
    """Each child routed at its own slot (slot j at start + j x interval, no jitter)."""
    amounts = slice_amounts(total, slices, resolve_token(token_in).decimals)
    return [market_order(dexes, token_in, token_out, amount, start_ms + j * interval_ms) for j, amount in enumerate(amounts)]


def shortfall_bps(arrival: Decimal, fills: Sequence[Fill]) -> float:
    """(arrival - average price) / arrival x 10,000: positive is worse than at arrival."""
    filled_in = sum((f.amount_in for f in fills), Decimal(0))
    filled_out = sum((f.amount_out for f in fills), Decimal(0))
    return float((arrival - filled_out / filled_in) / arrival * 10_000)


@dataclass(frozen=True)
class Trial:
    one_order_bps: float
    twap_bps: float
    one_order_refused: bool  # its route's impact is above the cap: the engine would fail it
    twap_slices_refused: int  # children the engine would fail for the same reason


def trial(dexes: Sequence[SimulatedDex], token_in: str, token_out: str, total: Decimal, start_ms: int, slices: int = SLICES, interval_ms: int = INTERVAL_S * 1000) -> Trial:
    arrival = arrival_price(dexes, token_in, token_out, start_ms)
    one = market_order(dexes, token_in, token_out, total, start_ms)
    children = twap(dexes, token_in, token_out, total, slices, interval_ms, start_ms)
    return Trial(
        shortfall_bps(arrival, [one]), shortfall_bps(arrival, children),
        one.price_impact > IMPACT_CAP, sum(1 for f in children if f.price_impact > IMPACT_CAP),
    )  # fmt: skip


def start_times(count: int, seed: int = SEED) -> list[int]:
    rng = random.Random(seed)
    return sorted(FIRST_START_MS + rng.randrange(SPREAD_MS) for _ in range(count))


def size_in_tokens(token: str, usd: int) -> Decimal:
    info = resolve_token(token)
    return quantize_down(Decimal(usd) / (info.reference_price_usd or Decimal(1)), info.decimals)


# ------------------------------------------------------------------ the report
def _spread(values: list[float]) -> dict:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return {"mean": r(sum(values) / len(values)), "p10": r(percentile(values, 10)), "p50": r(percentile(values, 50)), "p90": r(percentile(values, 90))}


def compare(token_in: str, token_out: str, usd: int, starts: Sequence[int], seed: int, volatility: str) -> dict:
    total = size_in_tokens(token_in, usd)
    moving = venues(seed, volatility)
    trials = [trial(moving, token_in, token_out, total, t) for t in starts]
    quiet = [trial(venues(seed, volatility, noise=False), token_in, token_out, total, t) for t in starts]
    still = trial(venues(seed, "0", noise=False), token_in, token_out, total, starts[0])
    return {
        "pair": f"{token_in}->{token_out}",
        "sizeUsd": usd,
        "amountIn": str(total),
        "oneOrderBps": _spread([t.one_order_bps for t in trials]),
        "twapBps": _spread([t.twap_bps for t in trials]),
        # the timing risk the price path alone makes (the venues' quote noise off): the rest of
        # twapBps's spread is the venues' noise, a fresh draw every 30 s knot
        "twapPriceMoveOnlyBps": _spread([t.twap_bps for t in quiet]),
        "twapBetterShare": round(sum(t.twap_bps < t.one_order_bps for t in trials) / len(trials), 3),
        # price impact alone: no price move, no venue noise (one number: every start is the same)
        "stillMarketBps": {"oneOrder": round(still.one_order_bps, 1), "twap": round(still.twap_bps, 1)},
        "oneOrderRefusedAtCapShare": round(sum(t.one_order_refused for t in trials) / len(trials), 3),
        "twapSlicesRefusedAtCapShare": round(sum(t.twap_slices_refused for t in trials) / (len(trials) * SLICES), 3),
    }


def run(out_dir: Path, starts: int = STARTS, seed: int = SEED, volatility: str = VOLATILITY, chart: Path | None = None) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    times = start_times(starts, seed)
    rows = [compare(a, b, usd, times, seed, volatility) for a, b in PAIRS for usd in SIZES_USD]
    chart = chart or out_dir / "twap-shortfall.svg"
    charts.shortfall_vs_size(chart, f"{SLICES} slices every {INTERVAL_S} s vs one market order ({starts} starts)", rows)
    return {
        "seed": seed, "volatility": volatility, "starts": starts, "slices": SLICES, "intervalSeconds": INTERVAL_S,
        "impactCap": str(IMPACT_CAP), "rows": rows, "chart": chart.name, "problems": [],
    }  # fmt: skip


def table(result: dict) -> list[str]:
    """The rows as the run prints them: shortfall in bps, median [p10, p90] and mean."""

    def cell(s: dict) -> str:
        return f"{s['p50']:>7} [{s['p10']:>7}, {s['p90']:>7}] mean {s['mean']:>7}"

    lines = [f"  {'pair':<11} {'size $':>9}  {'one market order (bps)':<38} {'TWAP (bps)':<38} TWAP better  refused at cap (one / TWAP slices)"]
    for r in result["rows"]:
        refused = f"{r['oneOrderRefusedAtCapShare']:.0%} / {r['twapSlicesRefusedAtCapShare']:.0%}"
        lines.append(f"  {r['pair']:<11} {r['sizeUsd']:>9,}  {cell(r['oneOrderBps']):<38} {cell(r['twapBps']):<38} {r['twapBetterShare']:>10.0%}  {refused}")
    return lines


async def run_profile(ctx) -> dict:  # type: ignore[no-untyped-def]
    """The ``twap`` profile of ``python -m bench``: no cloud (Profile.needs_cloud is False)."""
    return run(ctx.out_dir, QUICK_STARTS if ctx.quick else STARTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.twap", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"), help="where twap.json and twap-shortfall.svg go")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STARTS} starts instead of {STARTS}: a smoke run, not a result")
    args = parser.parse_args(argv)
    from bench.__main__ import run_profile as run_named  # the same JSON as every profile (imported here: it imports us)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(run_named("twap", out, args.quick))
    return 1 if result.get("problems") else 0


if __name__ == "__main__":
    sys.exit(main())
