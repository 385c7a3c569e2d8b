"""Tokens and pools launched at run time (solroute.models.launches): the models, the market and
the router know them once the registry's loader has them; the ten static tokens never ask it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from solroute.dex.market import Market
from solroute.dex.price_path import PricePath
from solroute.models.launches import LAUNCHES, Launch, LaunchPool, LaunchRefused, check_launch, find_token
from solroute.models.requests import ExecuteOrderRequest
from solroute.models.tokens import resolve_token
from solroute.models.venues import POOLS

from tests.support.engine import build_engine

NEWT_MINT = "NewtNewtNewtNewtNewtNewtNewtNewtNewtNewt111"
NEWT = Launch("NEWT", NEWT_MINT, 6, "USDC", Decimal("0.2"), 1_000, (LaunchPool("raydium", Decimal("50000"), "vault"),))


class Store:
    """A loader that counts its reads, over launches a test sets."""

    def __init__(self, *launches: Launch) -> None:
        self.launches = {launch.symbol: launch for launch in launches}
        self.reads = 0
        self.now = 0.0

    def load(self) -> dict[str, Launch]:
        self.reads += 1
        return dict(self.launches)


@pytest.fixture
def store():
    store = Store()
    LAUNCHES.install(store.load, every_s=1.0, now=lambda: store.now)
    yield store
    LAUNCHES.install(None)


def test_the_static_tokens_and_their_routes_never_read_the_registry(store):
    store.launches["NEWT"] = NEWT
    for symbol in ("SOL", "usdc", "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"):
        resolve_token(symbol)
    assert POOLS.tradeable("SOL", "USDC") and POOLS.tradeable("WIF", "USDC") and not POOLS.tradeable("WIF", "JTO")
    ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1")
    assert Market().curves("WIF", "SOL", 0) and Market().curves("JUP", "SOL", 0) == []
    assert store.reads == 0


def test_a_launched_token_resolves_and_trades_within_a_second_and_unknown_symbols_cost_one_read_a_second(store):
    with pytest.raises(ValueError, match="unknown token 'NEWT'"):
        resolve_token("NEWT")
    store.launches["NEWT"] = NEWT
    with pytest.raises(ValueError):
        resolve_token("newt")  # read less than a second ago: not again
    assert store.reads == 1
    store.now += 1.0
    assert resolve_token("newt").symbol == "NEWT" and resolve_token(NEWT_MINT).decimals == 6
    assert resolve_token("NEWT").reference_price_usd == Decimal("0.2")
    assert POOLS.tradeable("USDC", "NEWT") and POOLS.tradeable("NEWT", "SOL")  # through USDC
    assert not POOLS.tradeable("USDC", "NEWT", ["meteora"])
    assert store.reads == 2


def test_a_clock_behind_the_last_read_reads_again(store):
    store.now = 100.0
    assert find_token("NEWT") is None and store.reads == 1
    store.now = 5.0  # restored from a snapshot taken later than this process's clock says
    store.launches["NEWT"] = NEWT
    assert find_token("NEWT") is not None and store.reads == 2


def test_an_unknown_symbol_is_still_a_400_in_the_apis_words(store):
    with pytest.raises(ValidationError) as refused:
        ExecuteOrderRequest.model_validate({"tokenIn": "USDC", "tokenOut": "NEWT", "amountIn": "10"})
    (error,) = refused.value.errors()
    assert error["loc"] == ("tokenOut",) and "unknown token 'NEWT': use one of SOL, USDC" in error["msg"]


def test_the_market_prices_a_launched_pool_at_its_liquidity_and_launch_price(store):
    store.launches["NEWT"] = NEWT
    (buy,) = Market(path=PricePath("seed", {"*": Decimal("0.02")})).curves("USDC", "NEWT", 123_456_789)
    assert (buy.pool_id, buy.reserve_in, buy.reserve_out, buy.fee_rate) == ("raydium:NEWT-USDC", Decimal(50000), Decimal(250000), Decimal("0.003"))
    (sell,) = Market().curves("NEWT", "USDC", 0)
    assert (sell.reserve_in, sell.reserve_out, sell.in_decimals, sell.out_decimals) == (Decimal(250000), Decimal(50000), 6, 6)
    path = PricePath("seed", {"*": Decimal("0.02")})
    sol_pool = Launch("SOLT", "S" * 43, 9, "SOL", Decimal("0.001"), 0, (LaunchPool("meteora", Decimal("100")),))
    store.launches["SOLT"] = sol_pool
    store.now += 1.0
    assert path.usd("SOLT", 5_000_000) == Decimal("0.001") * path.usd("SOL", 5_000_000)  # priced in its quote token
    assert find_token("SOLT").reference_price_usd == Decimal("0.150")


def test_a_market_order_into_a_launched_token_routes_and_fills_on_the_engine(store):
    store.launches["NEWT"] = NEWT
    engine = build_engine()
    order = engine.submit(tokenIn="USDC", tokenOut="NEWT", amountIn="100")
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    assert final.status == "confirmed", final.failureReason
    assert final.routing.legs[0].poolId == "raydium:NEWT-USDC"
    # 100 USDC into 50,000 USDC / 250,000 NEWT at 0.3%: about 497 NEWT, times the venue's noise (0.98-1.02) and drift
    assert Decimal(480) < final.execution.amountOut < Decimal(510)


@pytest.mark.parametrize(
    "terms, fragment, conflict",
    [
        (("SOL", "raydium", "USDC", "1", "1", 6), "one of the static tokens", True),
        (("new t", "raydium", "USDC", "1", "1", 6), "capital letters", False),
        (("NEWT", "orca", "USDC", "1", "1", 6), "unknown venue 'orca'", False),
        (("NEWT", "raydium", "USDT", "1", "1", 6), "pairs with USDC or SOL", False),
        (("NEWT", "raydium", "USDC", "0", "1", 6), "liquidity must be above 0", False),
        (("NEWT", "raydium", "USDC", "1", "-1", 6), "price must be above 0", False),
        (("NEWT", "raydium", "USDC", "1", "1", 12), "decimals must be 0-9", False),
    ],
)
def test_bad_launch_terms_are_refused_before_anything_is_done(terms, fragment, conflict):
    symbol, venue, quote, liquidity, price, decimals = terms
    with pytest.raises(LaunchRefused, match=fragment) as refused:
        check_launch(symbol, venue, quote, Decimal(liquidity), Decimal(price), decimals)
    assert refused.value.conflict is conflict
