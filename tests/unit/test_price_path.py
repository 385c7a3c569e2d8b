"""The moving market (solroute.dex.price_path): each token's price is a pure function of
(seed, token, time), continuous, pinned to its reference price every period, with the hourly
volatility asked for; and the venues quote it smoothly (SimulatedDex.pools_at)."""

from __future__ import annotations

import math
import random
import re
import statistics
from decimal import Decimal

import pytest
from pydantic import ValidationError

from localcloud.template import load_yaml
from solroute.dex.market import MARKET, Market
from solroute.dex.price_path import (
    HOUR_MS,
    PERIOD_MS,
    PricePath,
    crossing_ms,
    market_price,
    parse_volatility,
    smooth_unit,
)
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DEX_SEEDS, METEORA, RAYDIUM
from solroute.dex.simulation import SimulationConfig
from solroute.dex.venue import SimulatedDex
from solroute.logic.routing import route_pairs
from solroute.models.order import Order
from solroute.models.tokens import KNOWN_TOKENS
from solroute.settings import Settings

from tests.fakes import FakeClock
from tests.lambdas import ROOT

D = Decimal
T0 = 1_767_225_600_000  # FakeClock's start
VOL = {"*": D("0.02")}
RAW = load_yaml(ROOT / "template.yaml")
MOVING = [s for s in KNOWN_TOKENS if s not in ("USDC", "USDT")]


def test_the_same_seed_gives_the_same_prices_in_any_instance_and_another_seed_does_not():
    times = [T0 + k * 7_919_111 for k in range(20)]
    first, again, other = PricePath("a", VOL), PricePath("a", VOL), PricePath("b", VOL)
    for symbol in MOVING:
        prices = [first.usd(symbol, t) for t in times]
        assert [again.usd(symbol, t) for t in reversed(times)] == prices[::-1]  # order of calls does not matter
        assert [other.usd(symbol, t) for t in times] != prices


def test_prices_are_continuous_in_time_also_across_the_pins():
    path = PricePath("c", {"*": D("0.05")})
    pin = (T0 // PERIOD_MS + 1) * PERIOD_MS
    for symbol in ("SOL", "BONK"):
        for start in [T0 + k * 1_234_567 for k in range(50)] + [pin - 3, pin - 1]:
            a, b = path.usd(symbol, start), path.usd(symbol, start + 1)
            assert abs(math.log(b / a)) < 1e-5, (symbol, start)
            a, b = path.usd(symbol, start), path.usd(symbol, start + 1000)
            assert abs(math.log(b / a)) < 0.005, (symbol, start)  # 1 s at 5%/sqrt(h): sd 0.08%


def test_the_bridge_is_pinned_to_the_reference_price_every_period():
    path = PricePath("p", VOL)
    for k in range(T0 // PERIOD_MS - 2, T0 // PERIOD_MS + 3):
        for symbol in MOVING:
            assert path.usd(symbol, k * PERIOD_MS) == KNOWN_TOKENS[symbol].reference_price_usd
    mid = (T0 // PERIOD_MS) * PERIOD_MS + PERIOD_MS // 2
    assert any(path.usd(s, mid) != KNOWN_TOKENS[s].reference_price_usd for s in MOVING)  # but it moves in between


def test_the_hourly_standard_deviation_of_log_price_is_the_volatility():
    rng = random.Random(12)
    moves = {"SOL": [], "BONK": []}
    for n in range(1500):
        path = PricePath(f"seed-{n}", {"SOL": D("0.03"), "*": D("0.08")})
        t = T0 + rng.randrange(10 * PERIOD_MS)
        for symbol in moves:
            moves[symbol].append(math.log(path.usd(symbol, t + HOUR_MS) / path.usd(symbol, t)))
    # a bridge pinned every ~37 h: sqrt(1 - 1/37.3) = 0.987 of the volatility; the sample's sd is within ~2% (1 sigma)
    assert 0.03 * 0.90 < statistics.pstdev(moves["SOL"]) < 0.03 * 1.08
    assert 0.08 * 0.90 < statistics.pstdev(moves["BONK"]) < 0.08 * 1.08
    assert abs(statistics.fmean(moves["SOL"])) < 0.03 * 0.1


def test_stablecoins_stay_at_one_unless_a_volatility_names_them():
    still = PricePath("s", {"*": D("0.5")})
    named = PricePath("s", {"USDC": D("0.01")})
    times = [T0 + k * 3_333_333 for k in range(30)]
    assert {still.usd(s, t) for s in ("USDC", "USDT") for t in times} == {D(1)}
    assert len({named.usd("USDC", t) for t in times}) > 1 and {named.usd("USDT", t) for t in times} == {D(1)}
    assert {named.usd("SOL", t) for t in times} == {D(150)}  # no "*": the tokens not named stay still


def test_market_price_is_token_out_per_token_in_without_fees():
    path = PricePath("m", VOL)
    t = T0 + 5 * HOUR_MS
    assert market_price(path, "SOL", "USDC", t) == path.usd("SOL", t)
    assert market_price(path, "SOL", "JUP", t) == path.usd("SOL", t) / path.usd("JUP", t)
    assert market_price(PricePath("m", {}), "SOL", "USDT", t) == D(150)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.02", {"*": D("0.02")}),
        ("0", {"*": D(0)}),
        ("SOL=0.03,BONK=0.08,*=0.02", {"SOL": D("0.03"), "BONK": D("0.08"), "*": D("0.02")}),
        (" sol = 0.03 , * = 0.01 ", {"SOL": D("0.03"), "*": D("0.01")}),
        ("USDC=0.001", {"USDC": D("0.001")}),
    ],
)
def test_parse_volatility(text, expected):
    assert parse_volatility(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("abc", "not a number"),
        ("-0.1", "between 0 and 1"),
        ("2", "between 0 and 1"),
        ("NaN", "between 0 and 1"),
        ("SOL=", "not a number"),
        ("SOL", "not a number"),
        ("SOL=0.1,", "not SYMBOL=number"),
        ("=0.1", "not SYMBOL=number"),
        ("FOO=0.1", "unknown token 'FOO'"),
        ("SOL=0.1,SOL=0.2", "SOL is given twice"),
    ],
)
def test_parse_volatility_refuses_what_it_cannot_read_and_says_why(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_volatility(text)


def test_the_template_parameter_allows_the_formats_and_feeds_the_setting():
    parameter = RAW["Parameters"]["PriceVolatility"]
    assert parameter["Default"] == "0.02" and parse_volatility(parameter["Default"]) == {"*": D("0.02")}
    pattern = re.compile(parameter["AllowedPattern"])
    for text in ("0.02", "SOL=0.03,BONK=0.08,*=0.02", "*=0.5"):
        assert pattern.match(text) and parse_volatility(text)
    for text in ("", "0.02,", "SOL=", "SOL=0.1;BONK=0.2", "-1"):
        assert not pattern.match(text)
    assert RAW["Globals"]["Function"]["Environment"]["Variables"]["PRICE_VOLATILITY"] == {"Ref": "PriceVolatility"}


def test_settings_validate_the_volatility_and_seed_the_path_for_the_whole_stack():
    assert Settings.from_env({}).volatility == {"*": D("0.02")}
    assert Settings.from_env({"PRICE_VOLATILITY": "SOL=0.1"}).volatility == {"SOL": D("0.1")}
    with pytest.raises(ValidationError, match="unknown token"):
        Settings.from_env({"PRICE_VOLATILITY": "DOGE=0.1"})
    assert Settings.from_env({"SIM_SEED": "42", "ORDERS_TABLE": "t"}).market_seed == "42"
    assert Settings.from_env({"SIM_SEED": "", "ORDERS_TABLE": "stack-orders"}).market_seed == "stack-orders"


def test_crossing_ms_finds_the_first_millisecond_the_price_reaches_a_level():
    path = PricePath("x", VOL)
    start = market_price(path, "SOL", "USDC", T0)
    for level in (start * D("1.005"), start * D("0.995")):
        at = crossing_ms(path, "SOL", "USDC", level, T0, T0 + 24 * HOUR_MS)
        assert at is not None and at > T0
        before, after = market_price(path, "SOL", "USDC", at - 1), market_price(path, "SOL", "USDC", at)
        assert (before < level <= after) if level > start else (before > level >= after)
    assert crossing_ms(path, "SOL", "USDC", start * 2, T0, T0 + HOUR_MS) is None


def test_the_smooth_noise_stays_in_the_unit_interval_and_is_continuous():
    values = [smooth_unit("n", "k", T0 + k * 97) for k in range(5000)]
    assert 0 <= min(values) and max(values) <= 1 and max(values) - min(values) > 0.3
    assert max(abs(a - b) for a, b in zip(values, values[1:])) < 0.01  # 97 ms apart


# ---------------------------------------------------------------- the venues quote it


def _venue(seed, market, sim_seed=None, clock=None):
    config = SimulationConfig(seed=sim_seed, quote_delay_ms=200, failure_rate=D(0))
    return SimulatedDex(seed, config, Randomness(sim_seed), clock or FakeClock(), market=market)


def _order(order_id="o-1"):
    return Order(orderId=order_id, tokenIn="SOL", tokenOut="USDC", amountIn=D(1), slippage=D("0.01"), createdAt="t", updatedAt="t", statusAtMs=0)


def _rate(curve):
    return curve.reserve_out / curve.reserve_in


MOVING_MARKET = Market(path=PricePath("venues", {"*": D("0.05")}))
PAIRS = route_pairs("JUP", "SOL")


def test_pools_at_is_the_same_in_every_instance_at_the_same_millisecond():
    for venue_seed in DEX_SEEDS:
        at = T0 + 12_345_678
        first = _venue(venue_seed, MOVING_MARKET).pools_at(PAIRS, at)
        other = _venue(venue_seed, Market(path=PricePath("venues", {"*": D("0.05")}))).pools_at(PAIRS, at)
        assert first and first == other
        assert _venue(venue_seed, Market(path=PricePath("elsewhere", {"*": D("0.05")}))).pools_at(PAIRS, at) != first


def test_pools_at_moves_little_in_a_second_and_stays_in_the_venues_band_around_the_market():
    path = MOVING_MARKET.path
    for venue_seed in (RAYDIUM, METEORA):
        venue = _venue(venue_seed, MOVING_MARKET)
        low, high = venue_seed.price_band
        for k in range(40):
            at = T0 + k * 611_111
            now, later = venue.pools_at(PAIRS, at), venue.pools_at(PAIRS, at + 1000)
            assert [c.pool_id for c in now] == [c.pool_id for c in later]
            for a, b in zip(now, later):
                assert abs(_rate(b) / _rate(a) - 1) < D("0.004")  # the noise and the market, in one second
                assert low <= _rate(a) / market_price(path, a.token_in, a.token_out, at) <= high


def test_pools_at_moves_with_the_market():
    venue = _venue(RAYDIUM, MOVING_MARKET)
    rates = {_rate(venue.pools_at([("SOL", "USDC")], T0 + h * HOUR_MS)[0]) for h in range(10)}
    assert max(rates) / min(rates) > D("1.05")  # 5%/sqrt(h) over ten hours, beyond the 4% band
    still = _venue(RAYDIUM, MARKET)
    assert all(D("147") <= _rate(c) <= D("153") for c in still.pools_at([("SOL", "USDC")], T0 + 5 * HOUR_MS))


def test_quote_pools_is_pools_at_the_moment_the_venue_answers():
    clock = FakeClock()
    venue = _venue(METEORA, MOVING_MARKET, sim_seed=3, clock=clock)
    quoted = venue.quote_pools(_order(), PAIRS)
    assert clock.ms > T0  # the quote's delay passed first
    assert quoted == venue.pools_at(PAIRS, clock.ms)
    twin = _venue(METEORA, MOVING_MARKET, sim_seed=3, clock=FakeClock(clock.ms))  # another instance, same moment
    assert twin.pools_at(PAIRS, clock.ms) == quoted


def test_two_orders_quoted_at_the_same_millisecond_see_the_same_prices():
    clock = FakeClock()
    venue = _venue(RAYDIUM, MOVING_MARKET, sim_seed=9, clock=clock)
    venue.config = SimulationConfig(seed=9, quote_delay_ms=0, failure_rate=D(0))  # both answer at once
    assert venue.quote_pools(_order("o-a"), PAIRS) == venue.quote_pools(_order("o-b"), PAIRS) == venue.pools_at(PAIRS, T0)
