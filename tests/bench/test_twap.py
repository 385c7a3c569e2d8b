"""The TWAP benchmark's arithmetic (bench/twap.py): checked against closed forms on a market that
does not move, and against itself where the two sides must agree."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import twap

ROOT = Path(__file__).resolve().parents[2]
START = twap.FIRST_START_MS + 123_456


def _meteora_only(**kwargs):
    return [d for d in twap.venues(**kwargs) if d.name == "meteora"]


def _impact_bps(amount: Decimal, reserve_in: Decimal, keep: Decimal) -> float:
    """A constant-product pool's shortfall against its own zero-size rate: g*a / (x + g*a)."""
    return float(keep * amount / (reserve_in + keep * amount) * 10_000)


@pytest.mark.parametrize("pair", twap.PAIRS)
@pytest.mark.parametrize("usd", twap.SIZES_USD)
def test_a_twap_of_one_slice_is_the_market_order(pair, usd):
    dexes = twap.venues()  # the moving market with the venues' noise
    total = twap.size_in_tokens(pair[0], usd)
    for start in twap.start_times(5):
        (child,) = twap.twap(dexes, *pair, total, 1, 30_000, start)
        assert child == twap.market_order(dexes, *pair, total, start)


def test_on_a_still_market_each_side_pays_the_pools_impact_exactly():
    """Meteora's SOL/USDC alone, no move, no noise: $3M a side at $150 is 20,000 SOL; fee 0.2%.
    One order of 20,000 SOL pays g*a/(x+g*a) ~= 50%; ten slices of 2,000 each pay ~= 9.1%."""
    dexes = _meteora_only(volatility="0", noise=False)
    keep, reserve = Decimal("0.998"), Decimal(20_000)
    assert twap.arrival_price(dexes, "SOL", "USDC", START) == Decimal(150) * keep
    result = twap.trial(dexes, "SOL", "USDC", Decimal(20_000), START, slices=10, interval_ms=30_000)
    assert result.one_order_bps == pytest.approx(_impact_bps(Decimal(20_000), reserve, keep), rel=1e-6)
    assert result.twap_bps == pytest.approx(_impact_bps(Decimal(2_000), reserve, keep), rel=1e-6)
    assert result.one_order_refused and result.twap_slices_refused == 10  # 9% is above the 5% cap too


@pytest.mark.parametrize("pair", twap.PAIRS)
def test_far_beyond_the_depth_twap_pays_less_than_one_order_when_the_price_does_not_move(pair):
    dexes = twap.venues(volatility="0", noise=False)  # both venues: the search may split
    total = twap.size_in_tokens(pair[0], 10_000_000)  # more than both pools hold together
    for slices in (2, 10, 100):
        result = twap.trial(dexes, *pair, total, START, slices=slices)
        assert 0 < result.twap_bps < result.one_order_bps
    finer = [twap.trial(dexes, *pair, total, START, slices=n).twap_bps for n in (2, 10, 100)]
    assert finer == sorted(finer, reverse=True)  # smaller slices, less impact each


def test_slices_run_at_their_own_slots():
    fills = twap.twap(twap.venues(), "SOL", "USDC", Decimal(10), 4, 30_000, START)
    assert [f.at_ms for f in fills] == [START, START + 30_000, START + 60_000, START + 90_000]
    moving = {f.amount_out for f in fills}
    assert len(moving) > 1  # the same amount, routed at four moments of a moving market


@given(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**9), places=6), st.integers(min_value=1, max_value=100))
def test_slice_amounts_add_up_to_the_total_and_none_is_more_than_what_is_left(total, slices):
    amounts = twap.slice_amounts(total, slices, 6)
    assert len(amounts) == slices and sum(amounts) == total
    left = total
    for amount in amounts:
        assert 0 <= amount <= left and amount == amount.quantize(Decimal("0.000001"))
        left -= amount


def test_shortfall_is_positive_when_worse_than_arrival():
    fill = twap.Fill(0, Decimal(2), Decimal(297), Decimal(0))  # 148.5 per unit against 150
    assert twap.shortfall_bps(Decimal(150), [fill]) == pytest.approx(100.0)
    better = twap.Fill(0, Decimal(2), Decimal(303), Decimal(0))
    assert twap.shortfall_bps(Decimal(150), [fill, better]) == pytest.approx(0.0)


def test_the_run_writes_the_same_results_and_chart_every_time(tmp_path):
    """Run as a user does, in a process of its own: a process that has built a World on the RPC
    chain (tests/unit/test_fault_matrix.py does at collection, in the suite's pytest process)
    gets numpy scalar floor division wrong (6.0 // 14.0 is nan), and matplotlib's locators use it."""
    runs = []
    for name in ("a", "b"):
        done = subprocess.run([sys.executable, "-m", "bench.twap", "--quick", "--out", str(tmp_path / name)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "SOL->USDC" in done.stdout  # the table
        runs.append(json.loads((tmp_path / name / "twap.json").read_text()))
    first, second = (r["result"] for r in runs)
    assert first == second and first["starts"] == twap.QUICK_STARTS
    assert (tmp_path / "a" / first["chart"]).read_bytes() == (tmp_path / "b" / first["chart"]).read_bytes()
    assert [(r["pair"], r["sizeUsd"]) for r in first["rows"]] == [(f"{a}->{b}", usd) for a, b in twap.PAIRS for usd in twap.SIZES_USD]


def test_the_benchmark_prices_arrival_and_cuts_slices_as_the_engine_does():
    """A TWAP run by the engine (in memory, tests/world.py): its arrivalPrice is the benchmark's
    arrival price at the moment the first slot was judged, and its children's amounts are the
    benchmark's slices."""
    from solroute.models.requests import ExecuteOrderRequest

    from tests.fakes import TEST_CALLER
    from tests.world import World

    world = World()
    request = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", type="twap", amountIn="10", slices=3, intervalSeconds=10)
    parent_id = world.submission.submit(request, TEST_CALLER).orderId
    world.run()
    parent = world.orders.items[parent_id]
    children = sorted((o for o in world.orders.items.values() if o.parentId == parent_id), key=lambda o: o.slot)
    first_judged_ms = parent.strategy.children[0].atMs
    expected = twap.arrival_price(world.venues, "SOL", "USDC", first_judged_ms).quantize(Decimal("1e-12")).normalize()
    assert parent.strategy.arrivalPrice == expected
    assert [c.amountIn for c in children] == twap.slice_amounts(Decimal(10), 3, 9)
