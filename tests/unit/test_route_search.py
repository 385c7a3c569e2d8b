"""Route search (solroute.logic.route_search) on the simulated market (solroute.dex.market):
the split's closed form against brute force, and the properties every chosen route keeps."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from solroute.dex.market import Market
from solroute.logic.route_search import MIN_GAIN, best_hop, search, split_amount
from solroute.models.route import Curve
from solroute.models.tokens import KNOWN_TOKENS
from solroute.models.venues import INTERMEDIATES, POOL_SEEDS

MARKET = Market()  # at reference prices: it does not move
SYMBOLS = sorted(KNOWN_TOKENS)
D = Decimal


def pools(token_in: str, token_out: str, dexes=None) -> list[Curve]:
    return MARKET.curves(token_in, token_out, 0, dexes)


def curve(dex: str, reserve_in: Decimal, reserve_out: Decimal, fee: str, decimals: int = 6) -> Curve:
    return Curve(dex, f"{dex}:A-B", "A", "B", reserve_in, reserve_out, D(fee), decimals, decimals)


reserves = st.decimals(min_value=D(1_000), max_value=D(50_000_000), places=2)
fees = st.sampled_from(["0.003", "0.002", "0.0025", "0.01", "0"])
amounts = st.decimals(min_value=D("0.01"), max_value=D(20_000_000), places=2)


# ------------------------------------------------------------------ the split's maths
def _brute_force(first: Curve, second: Curve, amount: Decimal, steps: int = 400) -> Decimal:
    """The best total over a grid of splits, refined around the best point twice."""
    low, high, best = D(0), amount, D(0)
    for _ in range(3):
        step = (high - low) / steps
        points = [low + step * i for i in range(steps + 1)]
        totals = [(first.exact_out(p) + second.exact_out(amount - p), p) for p in points]
        best_total, at = max(totals)
        best = max(best, best_total)
        low, high = max(D(0), at - step), min(amount, at + step)
    return best


@settings(max_examples=200, deadline=None)
@given(reserves, reserves, reserves, reserves, fees, fees, amounts)
def test_the_closed_form_split_is_as_good_as_a_brute_force_search(x1, y1, x2, y2, f1, f2, amount):
    first, second = curve("one", x1, y1, f1), curve("two", x2, y2, f2)
    a1 = split_amount(first, second, amount)
    assert D(0) <= a1 <= amount
    ours = first.exact_out(a1) + second.exact_out(amount - a1)
    # The closed form rounds its amount down to a smallest unit; the grid search does not.
    slack = (first.marginal() + second.marginal()) * D("0.000001") + ours * D("1e-12")
    assert ours + slack >= _brute_force(first, second, amount)


def test_two_identical_pools_share_an_order_evenly():
    pool = curve("one", D(1_000_000), D(1_000_000), "0.003")
    assert split_amount(pool, pool, D(1000)) == D(500)


def test_a_pool_far_worse_than_the_other_gets_nothing():
    good, bad = curve("good", D(1_000_000), D(1_000_000), "0.003"), curve("bad", D(1_000_000), D(500_000), "0.003")
    assert split_amount(bad, good, D(1000)) == 0 and split_amount(good, bad, D(1000)) == D(1000)


# ------------------------------------------------------------------ the pools
@settings(max_examples=300, deadline=None)
@given(reserves, reserves, fees, amounts)
def test_a_pool_never_loses_value_x_times_y_never_decreases(x, y, fee, amount):
    pool = curve("one", x, y, fee)
    out = pool.out(amount)
    assert D(0) <= out < y
    assert (x + amount) * (y - out) >= x * y


@settings(max_examples=200, deadline=None)
@given(reserves, reserves, fees, amounts, amounts)
def test_more_in_never_pays_less_and_never_at_a_better_rate(x, y, fee, a, b):
    pool = curve("one", x, y, fee)
    small, large = sorted((a, b))
    assert pool.out(small) <= pool.out(large)
    assert pool.exact_out(large) / large <= pool.exact_out(small) / small + D("1e-20")


# ------------------------------------------------------------------ routes on the market
pairs = st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(SYMBOLS)).filter(lambda p: p[0] != p[1])
# Both venues hold a pool of these: the pairs a split can happen on, both ways round.
TWO_VENUE_PAIRS = sorted({(a, b) for a, b in itertools.permutations(SYMBOLS, 2) if len(pools(a, b)) == 2})
# Order sizes from $0.50 to $30M, spread evenly over the orders of magnitude.
usd_sizes = st.integers(min_value=-30, max_value=745).map(lambda e: (D(10) ** (D(e) / 100)).quantize(D("0.01")))


def _amount(symbol: str, usd: Decimal) -> Decimal:
    token = KNOWN_TOKENS[symbol]
    return (usd / token.reference_price_usd).quantize(D(1).scaleb(-token.decimals))


@settings(max_examples=300, deadline=None)
@given(pairs, usd_sizes)
def test_the_chosen_route_never_pays_less_than_any_venue_direct(pair, usd):
    token_in, token_out = pair
    found = search(token_in, token_out, _amount(token_in, usd), pools)
    assume(found is not None)
    for route in found.direct.values():
        assert found.chosen.amount_out >= route.amount_out


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TWO_VENUE_PAIRS), usd_sizes)
def test_a_split_is_chosen_only_when_it_pays_more_than_the_better_venue_alone(pair, usd):
    token_in, token_out = pair
    found = search(token_in, token_out, _amount(token_in, usd), pools)
    assume(found is not None and found.split is not None)
    best_alone = max(r.amount_out for r in found.direct.values())
    assert found.split.amount_out > best_alone * (1 + MIN_GAIN)
    assert found.split.hops[0].amount_in == found.chosen.amount_in, "the parts add up to the order, to the unit"


@settings(max_examples=300, deadline=None)
@given(pairs, usd_sizes)
def test_two_hops_are_chosen_only_when_they_pay_or_no_direct_pool_exists(pair, usd):
    token_in, token_out = pair
    found = search(token_in, token_out, _amount(token_in, usd), pools)
    assume(found is not None and found.chosen.kind == "two-hop")
    if found.direct:
        one_hop = max([*(r.amount_out for r in found.direct.values()), *([found.split.amount_out] if found.split else [])])
        assert found.chosen.amount_out > one_hop * (1 + MIN_GAIN)
    assert found.chosen.via[0] in INTERMEDIATES
    first, second = found.chosen.hops
    assert second.amount_in == first.amount_out, "the second hop spends exactly what the first received"


@settings(max_examples=200, deadline=None)
@given(pairs, usd_sizes)
def test_price_impact_grows_with_size(pair, usd):
    token_in, token_out = pair
    small = search(token_in, token_out, _amount(token_in, D(10)), pools)
    large = search(token_in, token_out, _amount(token_in, usd), pools)
    assume(small is not None and large is not None and usd > 10)
    assert D(0) <= small.chosen.price_impact <= large.chosen.price_impact + D("0.000001")


# ------------------------------------------------------------------ the market's shape
def test_the_market_has_at_least_eight_tokens_each_trading_with_usdc_and_sol():
    assert len(SYMBOLS) >= 8
    assert all(MARKET.tradeable(a, hub) and MARKET.tradeable(hub, a) for a in SYMBOLS for hub in INTERMEDIATES if a != hub)
    assert len(TWO_VENUE_PAIRS) >= 12


def test_a_pair_that_would_need_three_hops_has_no_route():
    # WIF trades only against SOL, JTO only against USDC: WIF -> SOL -> USDC -> JTO is too long.
    assert not MARKET.tradeable("WIF", "JTO") and search("WIF", "JTO", D(10), pools) is None


def test_some_pairs_have_no_direct_pool_and_route_through_usdc_or_sol():
    no_direct = [(a, b) for a, b in itertools.permutations(SYMBOLS, 2) if not pools(a, b)]
    assert ("WIF", "USDC") in no_direct and ("JTO", "SOL") in no_direct
    found = search("WIF", "USDC", D(1000), pools)
    assert found.chosen.kind == "two-hop" and found.chosen.via == ("SOL",) and "no direct pool" in found.reason()


def test_some_pairs_are_deep_on_one_venue_and_shallow_on_the_other():
    depth = {(p.dex, "/".join(p.pair)): p.liquidity_usd for p in POOL_SEEDS}
    lopsided = [pair for (dex, pair), usd in depth.items() if dex == "meteora" and ("raydium", pair) in depth and max(usd, depth[("raydium", pair)]) >= 5 * min(usd, depth[("raydium", pair)])]
    assert {"JUP/USDC", "BONK/SOL"} <= set(lopsided)


def test_a_large_order_splits_and_says_what_the_split_gains():
    found = search("JUP", "USDC", D(500_000), pools)
    assert found.chosen.kind == "split" and {leg.dex for leg in found.chosen.legs} == {"meteora", "raydium"}
    assert found.reason().startswith("split Meteora 95% + Raydium 5% returns +0.4") and found.reason().endswith("over Meteora alone")


def test_a_small_order_takes_one_venue():
    found = search("SOL", "USDC", D("1.5"), pools)
    assert found.chosen.kind == "direct" and found.split is None
    assert found.reason().startswith("Meteora returns ")


@pytest.mark.parametrize("amount, at_least", [(D(1_000_000), D("0.9")), (D(999_999_999_999), D("0.9999"))])
def test_the_huge_orders_of_the_issue_show_their_price_impact(amount, at_least):
    assert search("SOL", "USDC", amount, pools).chosen.price_impact >= at_least


def test_an_unknown_mint_or_a_venue_filter_with_no_pool_finds_no_route():
    mint = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"
    assert not MARKET.tradeable("SOL", mint) and search("SOL", mint, D(1), pools) is None
    assert not MARKET.tradeable("WIF", "ORCA", dexes=["raydium"])
    only_raydium = lambda a, b: pools(a, b, dexes=["raydium"])  # noqa: E731
    assert search("WIF", "USDC", D(10), only_raydium) is None


def test_a_hop_without_any_pool_is_none_and_one_pool_is_never_split():
    assert best_hop([], D(1)) is None
    (only,) = pools("WIF", "SOL")
    assert len(best_hop([only], D(1_000_000)).legs) == 1


@given(x=reserves, y=reserves, fee=fees, cheaper_by=st.decimals(min_value=D("0.001"), max_value=D("0.2"), places=3), amount=amounts)
def test_price_impact_counts_size_only_never_a_venue_priced_lower(x, y, fee, cheaper_by, amount):
    """A venue quoting the pair lower is a worse rate, not impact: a route's impact is what its own
    pools lose to size (one pool: exactly that leg's impact)."""
    dear, cheap = curve("dear", x, y, fee), curve("cheap", x, y * (1 - cheaper_by), fee)
    found = search("A", "B", amount, lambda a, b: [cheap] if (a, b) == ("A", "B") else [])
    assume(found is not None)
    leg = cheap.leg(amount)
    assume(leg.amount_out > 0)
    rounding = D("1e-6") / leg.amount_out * 2  # each leg's output is rounded down to 6 decimals
    assert abs(found.chosen.price_impact - leg.price_impact) <= D("1e-9") + rounding
    both = search("A", "B", amount, lambda a, b: [dear, cheap] if (a, b) == ("A", "B") else [])
    assert both is not None and both.chosen.price_impact <= max(dear.leg(amount).price_impact, leg.price_impact) + D("1e-9") + rounding


def test_every_venue_of_the_catalogue_is_simulated_and_nothing_else():
    from solroute.dex.seeds import DEX_SEEDS
    from solroute.models.venues import VENUES

    assert sorted(seed.name for seed in DEX_SEEDS) == sorted(VENUES)
    assert {pool.dex for pool in POOL_SEEDS} == set(VENUES)
