"""Routing math: constant-product pools, fees, price impact, and the choice of venue."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solroute.dex.pools import Pool, pool_for
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import METEORA, RAYDIUM
from solroute.dex.simulation import SimulationConfig
from solroute.dex.venue import SimulatedDex
from solroute.logic.routing import Router, choose_route
from solroute.models.errors import DexUnavailable, NoLiquidity
from solroute.models.order import Order, Quote
from solroute.models.tokens import KNOWN_TOKENS
from tests.fakes import FakeClock


def _order(amount="1", token_in="SOL", token_out="USDC", order_id="o-1"):
    return Order(orderId=order_id, tokenIn=token_in, tokenOut=token_out, amountIn=Decimal(amount), slippage=Decimal("0.01"),
                 createdAt="t", updatedAt="t", statusAtMs=0)  # fmt: skip


def test_pool_output_follows_x_times_y_equals_k_after_the_fee():
    pool = Pool("p", reserve_in=Decimal(1000), reserve_out=Decimal(150000), fee_rate=Decimal("0.003"), out_decimals=6)
    quote = pool.quote(Decimal(10))
    in_after_fee = Decimal(10) * Decimal("0.997")
    assert quote.amount_out == (Decimal(150000) * in_after_fee / (1000 + in_after_fee)).quantize(Decimal("0.000001"), rounding="ROUND_DOWN")
    assert quote.fee == Decimal("0.030")


def test_price_impact_grows_with_size():
    pool = pool_for(RAYDIUM, KNOWN_TOKENS["SOL"], KNOWN_TOKENS["USDC"])
    impacts = [pool.quote(Decimal(n)).price_impact for n in (1, 100, 10_000, 1_000_000)]
    assert impacts == sorted(impacts) and impacts[0] < Decimal("0.0001") < impacts[-1]


def test_a_pool_priced_from_the_reference_table_quotes_near_the_reference_price():
    out = pool_for(METEORA, KNOWN_TOKENS["SOL"], KNOWN_TOKENS["USDC"]).quote(Decimal(1)).amount_out
    assert Decimal("149") < out < Decimal("150")  # 150 USD less a 0.2% fee and a sliver of impact


def _quote(dex, out, fee="0.003"):
    return Quote(dex=dex, poolId=f"{dex}:x", amountIn=Decimal(1), amountOut=Decimal(out), fee=Decimal(0), feeRate=Decimal(fee),
                 price=Decimal(out), priceImpact=Decimal(0))  # fmt: skip


outputs = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1e9"), places=6, allow_nan=False, allow_infinity=False)


@given(a=outputs, b=outputs, slippage=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.5"), places=4))
def test_routing_always_picks_the_larger_net_output(a, b, slippage):
    decision = choose_route([_quote("raydium", a), _quote("meteora", b, "0.002")], slippage, 6)
    assert decision.amountOut == max(a, b)
    assert decision.dex == ("raydium" if a > b else "meteora")  # a tie goes to the lower fee
    one_unit = Decimal("0.000001")
    assert decision.minAmountOut >= one_unit, "never accept a swap that pays nothing"
    assert decision.minAmountOut <= decision.amountOut * (1 - slippage) or decision.minAmountOut == one_unit
    assert decision.minAmountOut <= decision.amountOut


def test_the_reason_names_both_venues_and_the_edge():
    decision = choose_route([_quote("raydium", "150"), _quote("meteora", "151")], Decimal("0.01"), 6)
    assert decision.dex == "meteora"
    assert "Meteora returns 151 vs Raydium 150" in decision.reason and "+0.667%" in decision.reason
    assert decision.minAmountOut == Decimal("149.490000")


def _venues(failure_rate="0", seed=1):
    config = SimulationConfig(seed=seed, quote_delay_ms=0, failure_rate=Decimal(failure_rate))
    return [SimulatedDex(s, config, Randomness(seed), FakeClock()) for s in (RAYDIUM, METEORA)]


def test_router_quotes_both_venues_and_records_both_quotes():
    quotes, decision = Router(_venues()).route(_order("2"))
    assert sorted(q.dex for q in quotes) == ["meteora", "raydium"]
    assert decision.amountOut == max(q.amountOut for q in quotes)


def test_quotes_vary_between_venues_within_their_price_bands():
    spot = Decimal(150)
    for seed in range(20):
        quotes, _ = Router(_venues(seed=seed)).route(_order("1", order_id=f"o{seed}"))
        for q in quotes:
            assert spot * Decimal("0.96") < q.amountOut < spot * Decimal("1.02")


def test_the_same_seed_gives_the_same_quotes_and_another_seed_does_not():
    first = Router(_venues(seed=5)).route(_order())[0]
    assert Router(_venues(seed=5)).route(_order())[0] == first
    assert Router(_venues(seed=6)).route(_order())[0] != first


def test_one_venue_down_routes_to_the_other_and_says_so():
    venues = _venues()
    venues[0].config = SimulationConfig(seed=1, quote_delay_ms=0, failure_rate=Decimal(1))
    quotes, decision = Router(venues).route(_order())
    assert [q.dex for q in quotes] == ["meteora"]
    assert decision.dex == "meteora" and "Raydium unavailable" in decision.reason


def test_both_venues_down_is_transient_and_no_pool_is_permanent():
    with pytest.raises(DexUnavailable):
        Router(_venues(failure_rate="1")).route(_order())
    with pytest.raises(NoLiquidity):
        Router(_venues()).route(_order(token_in="7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"))
