"""The router: what the venues quote, the route it chooses, the limits it enforces, and the one
transaction it builds for a route."""

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import METEORA, RAYDIUM
from solroute.dex.simulation import SimulationConfig
from solroute.dex.venue import SimulatedDex
from solroute.logic.routing import Router, build_transaction, percent
from solroute.models.errors import DexUnavailable, NoLiquidity, PriceImpactTooHigh, PriceMoved
from solroute.models.order import BoundQuote, Order, Quote, RoutingDecision

from tests.fakes import FakeClock


def _order(amount="1", token_in="SOL", token_out="USDC", order_id="o-1", **fields):
    return Order(orderId=order_id, tokenIn=token_in, tokenOut=token_out, amountIn=Decimal(amount), slippage=Decimal("0.01"),
                 createdAt="t", updatedAt="t", statusAtMs=0, **fields)  # fmt: skip


def _venues(failure_rate="0", seed=1):
    config = SimulationConfig(seed=seed, quote_delay_ms=0, failure_rate=Decimal(failure_rate))
    return [SimulatedDex(s, config, Randomness(seed), FakeClock()) for s in (RAYDIUM, METEORA)]


def test_router_quotes_both_venues_and_records_both_quotes():
    quotes, decision = Router(_venues()).route(_order("2"))
    assert sorted(q.dex for q in quotes) == ["meteora", "raydium"]
    assert decision.kind == "direct" and decision.amountOut == max(q.amountOut for q in quotes)
    assert len(decision.legs) == 1 and decision.legs[0].dex == decision.dex


def test_quotes_vary_between_venues_within_their_price_bands():
    spot = Decimal(150)
    for seed in range(20):
        quotes, _ = Router(_venues(seed=seed)).route(_order("1", order_id=f"o{seed}"))
        for q in quotes:
            assert spot * Decimal("0.96") < q.amountOut < spot * Decimal("1.02")


def test_the_same_seed_gives_the_same_quotes_and_another_seed_does_not():
    first = Router(_venues(seed=5)).route(_order())
    assert Router(_venues(seed=5)).route(_order()) == first
    assert Router(_venues(seed=6)).route(_order())[0] != first[0]


def test_one_venue_down_routes_to_the_other_and_says_so():
    venues = _venues()
    venues[0].config = SimulationConfig(seed=1, quote_delay_ms=0, failure_rate=Decimal(1))
    quotes, decision = Router(venues).route(_order())
    assert [q.dex for q in quotes] == ["meteora"]
    assert decision.dex == "meteora" and "Raydium unavailable" in decision.reason


def test_both_venues_down_is_transient_and_no_pool_is_permanent():
    with pytest.raises(DexUnavailable):
        Router(_venues(failure_rate="1")).route(_order())
    with pytest.raises(NoLiquidity, match="no venue can trade"):
        Router(_venues()).route(_order(token_in="7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"))


def test_a_venue_down_that_holds_the_only_route_is_transient_not_no_liquidity():
    venues = _venues()
    venues[1].config = SimulationConfig(seed=1, quote_delay_ms=0, failure_rate=Decimal(1))  # Meteora: the only WIF pool
    with pytest.raises(DexUnavailable, match="no route without Meteora"):
        Router(venues).route(_order("10", token_in="WIF", token_out="SOL"))


def test_a_big_order_splits_across_both_venues_in_one_decision():
    quotes, decision = Router(_venues()).route(_order("200000", token_in="JUP", token_out="USDC"))
    assert decision.kind == "split" and set(decision.dex.split("+")) == {"meteora", "raydium"}
    assert sum(leg.amountIn for leg in decision.legs) == Decimal(200000)
    assert decision.amountOut == sum(leg.amountOut for leg in decision.legs) > max(q.amountOut for q in quotes)
    # the share depends on the venues' noise of the moment: Meteora, the deep pool, takes nearly all
    assert re.fullmatch(r"split Meteora 9\d% \+ Raydium \d% returns \+\d+\.\d+% over Meteora alone", decision.reason)


def test_a_pair_without_a_pool_hops_through_an_intermediate():
    quotes, decision = Router(_venues()).route(_order("100", token_in="WIF", token_out="USDC"))
    assert quotes == [] and decision.kind == "two-hop" and decision.via == ["SOL"]
    assert [(leg.tokenIn, leg.tokenOut) for leg in decision.legs][0] == ("WIF", "SOL")
    assert decision.legs[-1].tokenOut == "USDC" and decision.reason.startswith("no direct pool")


def test_dexes_limits_the_venues_a_route_may_use():
    _, decision = Router(_venues()).route(_order("200000", token_in="JUP", token_out="USDC", dexes=["meteora"]))
    assert decision.dex == "meteora" and {leg.dex for leg in decision.legs} == {"meteora"}


@pytest.mark.parametrize("amount", ["1000000", "999999999999"])
def test_huge_orders_fail_on_price_impact_before_anything_is_built(amount):
    with pytest.raises(PriceImpactTooHigh, match=r"price impact 9\d\.\d+% is above the 5.00% limit"):
        Router(_venues()).route(_order(amount))


def test_an_order_may_accept_more_price_impact_than_the_default():
    _, decision = Router(_venues()).route(_order("1000000", maxPriceImpact=Decimal(1)))
    assert decision.priceImpact > Decimal("0.9")
    with pytest.raises(PriceImpactTooHigh, match="above the 0.01% limit"):
        Router(_venues()).route(_order("100", maxPriceImpact=Decimal("0.0001")))


def test_percentages_never_round_to_100_or_to_the_limit():
    assert percent(Decimal("0.9681")) == "96.81%" and percent(Decimal("0.9999999")) == "99.99999%"
    assert percent(Decimal("0.05004"), unlike=Decimal("0.05")) == "5.004%" and percent(Decimal(1)) == "100.00%"


def test_dust_is_no_liquidity_before_anything_is_sent():
    with pytest.raises(NoLiquidity, match="every route pays less than 0.000000001 SOL"):
        Router(_venues()).route(_order("0.00001", token_in="BONK", token_out="SOL"))


@settings(max_examples=40, deadline=None)
@given(amount=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3),
       pair=st.sampled_from([("SOL", "USDC"), ("JUP", "USDC"), ("BONK", "SOL"), ("WIF", "USDC"), ("JTO", "SOL")]))  # fmt: skip
def test_the_decision_is_consistent_with_its_legs(amount, pair):
    try:
        _, decision = Router(_venues(), max_price_impact=Decimal(1)).route(_order(str(amount), *pair))
    except NoLiquidity:
        return
    first = [leg for leg in decision.legs if leg.tokenIn == pair[0]]
    last = [leg for leg in decision.legs if leg.tokenOut == pair[1]]
    assert sum(leg.amountIn for leg in first) == amount
    assert decision.amountOut == sum(leg.amountOut for leg in last)
    assert Decimal(0) < decision.minAmountOut <= decision.amountOut


def test_the_transaction_holds_every_leg_and_its_signature_is_stable():
    order = _order("200000", token_in="JUP", token_out="USDC")
    _, decision = Router(_venues()).route(order)
    swap = build_transaction(order, decision)
    assert swap.legs == decision.legs and swap.minAmountOut == decision.minAmountOut
    assert build_transaction(order, decision).signature == swap.signature
    # a rebuild after a crash starts from the stored order: amounts read back from their JSON strings
    stored = Order.model_validate_json(order.model_copy(update={"routing": decision}).model_dump_json())
    assert build_transaction(stored, stored.routing).signature == swap.signature
    scaled = decision.model_copy(update={"minAmountOut": decision.minAmountOut.quantize(Decimal("1e-12"))})
    assert build_transaction(order, scaled).signature == swap.signature, "the same amount, written with more zeros"
    other = decision.model_copy(update={"minAmountOut": decision.minAmountOut - 1})
    assert build_transaction(order, other).signature != swap.signature


def test_an_order_routed_before_legs_existed_builds_its_one_pool_swap():
    order = _order("2")
    quote = Quote(dex="meteora", poolId="meteora:SOL-USDC", amountIn=Decimal(2), amountOut=Decimal("299"), fee=Decimal("0.004"),
                  feeRate=Decimal("0.002"), price=Decimal("149.5"), priceImpact=Decimal("0.0001"))  # fmt: skip
    decision = RoutingDecision(dex="meteora", amountOut=Decimal("299"), minAmountOut=Decimal("296"), reason="old")
    swap = build_transaction(order, decision, [quote])
    assert [(leg.dex, leg.poolId, leg.amountOut) for leg in swap.legs] == [("meteora", "meteora:SOL-USDC", Decimal("299"))]


def test_a_bound_quote_raises_the_minimum_and_fails_the_order_once_expired_or_out_of_reach():
    _, fresh = Router(_venues()).route(_order("2"), now_ms=0)
    bound = BoundQuote(minAmountOut=fresh.amountOut - Decimal("0.01"), expiresAtMs=1000)
    _, decision = Router(_venues()).route(_order("2", quote=bound), now_ms=999)
    assert decision.minAmountOut == bound.minAmountOut > fresh.minAmountOut, "the quote's minimum binds the swap"
    with pytest.raises(PriceMoved, match="price moved: quote expired at 1970-01-01T00:00:01.000Z"):
        Router(_venues()).route(_order("2", quote=bound), now_ms=1000)
    unreachable = BoundQuote(minAmountOut=fresh.amountOut + 1, expiresAtMs=1000)
    with pytest.raises(PriceMoved, match="price moved: quote expired: the best route now returns .* below the quote's minimum"):
        Router(_venues()).route(_order("2", quote=unreachable), now_ms=0)


def test_a_two_hop_route_executes_hop_by_hop_the_second_spending_what_the_first_paid():
    from solroute.dex.chain import SimulatedChain

    from tests.fakes import InMemoryLedger

    order = _order("1000", token_in="WIF", token_out="USDC")
    _, decision = Router(_venues()).route(order)
    swap = build_transaction(order, decision)
    config = SimulationConfig(seed=1, failure_rate=Decimal(0), price_drift=Decimal("0.005"))
    receipt = SimulatedChain(InMemoryLedger(), config, Randomness(1), FakeClock()).send(swap, Decimal(0), 1)
    first, second = receipt.legs
    assert first.amountIn == Decimal(1000) and first.amountOut != first.quotedAmountOut, "the price moved"
    assert abs(second.amountIn - first.amountOut) <= Decimal("1e-9"), "the second hop spends what the first paid"
    assert receipt.amountOut == second.amountOut
    moved = receipt.amountOut / decision.amountOut - 1
    assert abs(moved) <= Decimal("0.005") + Decimal("1e-6"), "the route as a whole moves by the drift, not twice"


def test_a_retry_after_the_quote_expired_keeps_the_quote_if_the_order_started_routing_in_time():
    from solroute.models.order import HistoryEntry, OrderStatus

    _, fresh = Router(_venues()).route(_order("2"), now_ms=0)
    bound = BoundQuote(minAmountOut=fresh.amountOut - Decimal("0.01"), expiresAtMs=1000)
    entered = HistoryEntry(status=OrderStatus.ROUTING, seq=2, timestamp="t", timestampMs=900, message="m")
    _, decision = Router(_venues()).route(_order("2", quote=bound, history=[entered]), now_ms=5000)
    assert decision.minAmountOut == bound.minAmountOut
    late = entered.model_copy(update={"timestampMs": 1000})
    with pytest.raises(PriceMoved, match="before the order started routing"):
        Router(_venues()).route(_order("2", quote=bound, history=[late]), now_ms=1000)
