"""The moving market: each token's USD price is a seeded random walk over time.

A pure function of (seed, token, time): every Lambda instance computes the same price for the
same millisecond without sharing anything. The log price is a Brownian bridge (the Lévy
construction: each level of a dyadic tree adds one hashed Gaussian draw at the midpoint of its
interval) pinned back to the token's reference price every ``PERIOD_MS`` (2^27 ms, about 37 h),
so prices never wander off for good and there is no jump at the pins. Below ``FINEST_MS`` (about
a second) the path is linear between its nodes: continuous, and one evaluation costs
``LEVELS`` draws. The standard deviation of the log price over one hour is the token's
volatility (a little less: the bridge pins it, by a factor sqrt(1 - 1h/37h) ~= 0.99).

The venues' quote noise (``smooth_unit``) is value noise on the same seed: one hashed uniform
per knot (every ``NOISE_KNOT_MS``), smoothly interpolated between knots.
"""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Mapping

from solroute.models.launches import LAUNCHES
from solroute.models.tokens import KNOWN_TOKENS

PERIOD_BITS = 27
PERIOD_MS = 1 << PERIOD_BITS  # the bridge is pinned to the reference price every period (~37.3 h)
FINEST_BITS = 10
FINEST_MS = 1 << FINEST_BITS  # ~1 s: linear between nodes this far apart
LEVELS = PERIOD_BITS - FINEST_BITS
HOUR_MS = 3_600_000
STABLECOINS = frozenset({"USDC", "USDT"})  # at 1 unless a volatility names them
DEFAULT = "*"
MAX_VOLATILITY = Decimal(1)  # 100% per sqrt(hour) is no longer a market
NOISE_KNOT_MS = 30_000  # the venues' quote noise: a knot every 30 s, smooth in between (<= 0.25%/s in a 5% band)
_SIG_DIGITS = 12  # prices are rounded so that every platform's libm agrees
_TWO_PI = 2 * math.pi
_U53 = float(1 << 53)

# the standard deviation, in units of sigma (per sqrt(hour)), of the midpoint of an interval of
# level j (length PERIOD_MS / 2^j) given its ends: sqrt(length / 4) in hours
_MID_SD = tuple(math.sqrt((PERIOD_MS >> j) / 4 / HOUR_MS) for j in range(LEVELS))


def _hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _uniform(digest: bytes, offset: int = 0) -> float:
    """A float in (0, 1) from 8 bytes of a digest."""
    return ((int.from_bytes(digest[offset : offset + 8], "big") >> 11) + 0.5) / _U53


def _gaussian(text: str) -> float:
    """A standard normal draw keyed by ``text`` (Box-Muller on a hash)."""
    digest = _hash(text)
    return math.sqrt(-2.0 * math.log(_uniform(digest, 0))) * math.cos(_TWO_PI * _uniform(digest, 8))


def parse_volatility(text: str) -> dict[str, Decimal]:
    """``"0.02"`` (every non-stable token) or ``"SOL=0.03,BONK=0.08,*=0.02"``: each token's
    volatility, the standard deviation of its log price over one hour ("*": tokens not named).
    Raises ValueError with a clear message."""
    spec = text.strip()
    if not spec:
        raise ValueError('price volatility is empty: give one number (such as "0.02") or SYMBOL=number pairs (such as "SOL=0.03,*=0.02")')
    if "=" not in spec and "," not in spec:
        return {DEFAULT: _volatility_value(spec, DEFAULT)}
    result: dict[str, Decimal] = {}
    for part in spec.split(","):
        symbol, sep, value = (p.strip() for p in part.partition("="))
        symbol = symbol.upper()
        if not sep or not symbol:
            raise ValueError(f"price volatility: {part.strip()!r} is not SYMBOL=number (in {text!r})")
        if symbol != DEFAULT and symbol not in KNOWN_TOKENS:
            raise ValueError(f"price volatility: unknown token {symbol!r} (known: {', '.join(KNOWN_TOKENS)}, or * for the rest)")
        if symbol in result:
            raise ValueError(f"price volatility: {symbol} is given twice (in {text!r})")
        result[symbol] = _volatility_value(value, symbol)
    return result


def _volatility_value(text: str, symbol: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"price volatility of {symbol}: {text!r} is not a number") from None
    if not value.is_finite() or not 0 <= value <= MAX_VOLATILITY:
        raise ValueError(f"price volatility of {symbol}: {text!r} is not between 0 and {MAX_VOLATILITY} (a fraction per sqrt(hour))")
    return value


class PricePath:
    """Each known token's USD price at any millisecond: a pure function of (seed, token, time)."""

    def __init__(self, seed: str, volatility: Mapping[str, Decimal]) -> None:
        self.seed = seed
        self.volatility = dict(volatility)
        self._sigma = {s: self._token_sigma(s) for s in KNOWN_TOKENS}
        self._usd = lru_cache(maxsize=4096)(self._compute)

    def _token_sigma(self, symbol: str) -> float:
        if symbol in self.volatility:
            return float(self.volatility[symbol])
        if symbol in STABLECOINS:
            return 0.0
        return float(self.volatility.get(DEFAULT, 0))

    def sigma(self, symbol: str) -> float:
        """The token's volatility (log price stdev over one hour); 0 for a token that does not move."""
        return self._sigma.get(symbol, 0.0)

    def usd(self, symbol: str, at_ms: int) -> Decimal:
        """The token's USD price at ``at_ms``; raises KeyError for a token without a reference price."""
        return self._usd(symbol, int(at_ms))

    def log_move(self, symbol: str, at_ms: int) -> float:
        """log(price / reference price) at ``at_ms``: the bridge's value (0 at every pin)."""
        sigma = self.sigma(symbol)
        if sigma == 0.0:
            return 0.0
        period, t = divmod(int(at_ms), PERIOD_MS)
        return sigma * _standard_bridge(self.seed, symbol, period, t)

    def _compute(self, symbol: str, at_ms: int) -> Decimal:
        if symbol not in KNOWN_TOKENS:  # a launched token: its launch price, in its quote token of the moment
            launch = LAUNCHES.get(symbol)
            if launch is None:
                raise KeyError(f"{symbol} has no reference price")
            return launch.price * self.usd(launch.quote, at_ms)
        reference = KNOWN_TOKENS[symbol].reference_price_usd
        if reference is None:
            raise KeyError(f"{symbol} has no reference price")
        move = self.log_move(symbol, at_ms)
        if move == 0.0:
            return reference
        return Decimal(f"{float(reference) * math.exp(move):.{_SIG_DIGITS}g}")


@lru_cache(maxsize=16384)  # a few MB: the coarse levels every evaluation shares stay in it
def _node(seed: str, symbol: str, period: int, level: int, index: int) -> float:
    """The standard Gaussian draw of one node of the tree (shared by every nearby time)."""
    return _gaussian(f"{seed}|{symbol}|{period}|{level}|{index}")


def _standard_bridge(seed: str, symbol: str, period: int, t: int) -> float:
    """A Brownian bridge with unit volatility per sqrt(hour), 0 at both ends of the period, at
    ``t`` ms into it: linear between the nodes of its finest level."""
    left, right = _segment(seed, symbol, period, t >> FINEST_BITS)
    return left + (right - left) * ((t & (FINEST_MS - 1)) / FINEST_MS)


@lru_cache(maxsize=4096)
def _segment(seed: str, symbol: str, period: int, segment: int) -> tuple[float, float]:
    """The bridge at both ends of one finest segment (``FINEST_MS`` long): one descent of the tree,
    shared by every millisecond of the segment (the venues quoting one route, say)."""
    left, right = 0.0, 0.0  # the bridge at the ends of the current interval
    index = 0
    for level in range(LEVELS):
        mid = 0.5 * (left + right) + _MID_SD[level] * _node(seed, symbol, period, level, index)
        if segment >> (LEVELS - 1 - level) & 1:
            left, index = mid, 2 * index + 1
        else:
            right, index = mid, 2 * index
    return left, right


def market_price(path: PricePath, token_in: str, token_out: str, at_ms: int) -> Decimal:
    """The mid price at ``at_ms``: tokenOut per tokenIn, no fees."""
    return path.usd(token_in, at_ms) / path.usd(token_out, at_ms)


def smooth_unit(seed: str, key: str, at_ms: int, knot_ms: int = NOISE_KNOT_MS) -> float:
    """Value noise in [0, 1]: a hashed uniform at each knot, smoothstep in between; the same for
    the same (seed, key, time), continuous in time."""
    knot, offset = divmod(int(at_ms), knot_ms)
    a, b = _knot(seed, key, knot), _knot(seed, key, knot + 1)
    x = offset / knot_ms
    return a + (b - a) * x * x * (3.0 - 2.0 * x)


@lru_cache(maxsize=8192)
def _knot(seed: str, key: str, knot: int) -> float:
    return _uniform(_hash(f"{seed}|noise|{key}|{knot}"))



def crossing_ms(path: PricePath, token_in: str, token_out: str, price: Decimal, start_ms: int, until_ms: int, step_ms: int = 1000) -> int | None:
    """The first millisecond in [start_ms, until_ms] at which the mid price (``market_price``)
    reaches ``price`` from the side it starts on (at or above it when it starts below, at or
    below when it starts above); None if it does not by ``until_ms``. Scans every ``step_ms``,
    then bisects to the millisecond (the path is continuous). Tests pin a crossing with it."""
    def reached(ms: int) -> bool:
        now = market_price(path, token_in, token_out, ms)
        return now >= price if rising else now <= price

    rising = market_price(path, token_in, token_out, start_ms) < price
    before = start_ms
    for at in range(start_ms, until_ms + step_ms, step_ms):
        at = min(at, until_ms)
        if reached(at):
            low, high = before, at  # not reached at low (unless low == start_ms), reached at high
            if low == high or reached(low):
                return low
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (low, mid) if reached(mid) else (mid, high)
            return high
        before = at
    return None
