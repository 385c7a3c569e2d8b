"""Tokens and pools launched at run time (`solroute market launch`), beside the static catalogue.

The ten tokens of solroute.models.tokens and the pools of solroute.models.venues are facts of the
code. A launched token and its pools are data: stored once for the stack (the keys table's item
``chain#launches``, solroute.dal.dynamodb.launches) and read into this process's registry by a
loader that the composition root installs. The registry is asked only about a symbol the static
catalogue does not know, so an order of the ten tokens reads nothing; it re-reads the store at
most once per ``every_s`` (a launch, or liquidity added, shows within about a second in every
function), also for a symbol nobody launched (a flood of unknown symbols costs one read a second).

Pricing (solroute.dex.market): a launched pool is constant-product, its quote side holding
``liquidity`` (quote units) and its token side ``liquidity / price``, so its mid price is the
launch price in the quote token, whatever the quote token's own USD price does.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping

from solroute.models.tokens import KNOWN_TOKENS, Token

QUOTES = ("USDC", "SOL")  # what a launched token may be paired with (the two-hop intermediates)
REFRESH_S = 1.0  # the least time between two reads of the store


@dataclass(frozen=True)
class LaunchPool:
    dex: str
    liquidity: Decimal  # the quote token put in (at launch and by add-liquidity), in quote units
    vault: str = ""  # the pool's vault of the quote token on the chain ("" where there is none)


@dataclass(frozen=True)
class Launch:
    symbol: str
    mint: str  # the mint's address on the chain
    decimals: int
    quote: str  # USDC or SOL: every pool of the token pairs it with this
    price: Decimal  # the launch price, in quote units per token (the pools' mid price)
    launched_at_ms: int
    pools: tuple[LaunchPool, ...]

    def pool(self, dex: str) -> LaunchPool | None:
        return next((p for p in self.pools if p.dex == dex), None)

    def pool_id(self, dex: str) -> str:
        return f"{dex}:{self.symbol}-{self.quote}"

    @property
    def token(self) -> Token:
        quote_usd = KNOWN_TOKENS[self.quote].reference_price_usd or Decimal(0)
        return Token(self.symbol, self.mint, self.decimals, self.price * quote_usd)


Loader = Callable[[], "Mapping[str, Launch] | None"]  # None: the store could not be read (keep what is known)


class LaunchRegistry:
    """This process's view of the stack's launches (empty, and never read, until a loader is installed)."""

    def __init__(self) -> None:
        self._launches: dict[str, Launch] = {}
        self._by_mint: dict[str, Launch] = {}
        self._load: Loader | None = None
        self._every_s = REFRESH_S
        self._now: Callable[[], float] = time.monotonic
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def install(self, load: Loader | None, every_s: float = REFRESH_S, now: Callable[[], float] = time.monotonic) -> None:
        """Read launches with ``load`` from now on (None: none; what was known is forgotten)."""
        with self._lock:
            self._load, self._every_s, self._now, self._read_at = load, every_s, now, None
            self._set({})

    def set(self, launches: Mapping[str, Launch]) -> None:
        """Replace what is known (a loader's answer; tests)."""
        with self._lock:
            self._set(launches)

    def _set(self, launches: Mapping[str, Launch]) -> None:
        self._launches = dict(launches)
        self._by_mint = {launch.mint: launch for launch in launches.values()}

    def refresh(self) -> None:
        """Read the store, unless it was read less than ``every_s`` ago (or no loader is installed)."""
        if self._load is None:
            return
        with self._lock:
            now = self._now()
            # A clock behind the last read (a process restored from a snapshot) reads again.
            if self._read_at is not None and 0 <= now - self._read_at < self._every_s:
                return
            self._read_at = now
            launches = self._load()
            if launches is not None:
                self._set(launches)

    def get(self, symbol: str) -> Launch | None:
        """The launch of ``symbol`` as of at most ``every_s`` ago (a symbol of the static catalogue: None, no read)."""
        if symbol in KNOWN_TOKENS:
            return None
        self.refresh()
        return self._launches.get(symbol)

    def by_mint(self, mint: str) -> Launch | None:
        self.refresh()
        return self._by_mint.get(mint)

    def known(self) -> dict[str, Launch]:
        """The launches read so far (no read: for listing what this process has met)."""
        return dict(self._launches)


LAUNCHES = LaunchRegistry()  # the process's one registry: every function's models consult it


def find_token(symbol: str) -> Token | None:
    """A token of the static catalogue, else a launched one (the registry is read only then)."""
    token = KNOWN_TOKENS.get(symbol)
    if token is not None:
        return token
    launch = LAUNCHES.get(symbol)
    return launch.token if launch is not None else None


def launched_pool(dex: str, token_a: str, token_b: str) -> tuple[Launch, LaunchPool] | None:
    """The launched pool of ``dex`` for the pair (either order); None for two static tokens, with no read."""
    if token_a in KNOWN_TOKENS and token_b in KNOWN_TOKENS:
        return None
    for symbol, other in ((token_a, token_b), (token_b, token_a)):
        launch = LAUNCHES.get(symbol)
        if launch is not None and launch.quote == other:
            pool = launch.pool(dex)
            return (launch, pool) if pool is not None else None
    return None


def tokens_with_launches() -> dict[str, Token]:
    """Every static token, then every launched token this process knows of (no read)."""
    return {**KNOWN_TOKENS, **{s: launch.token for s, launch in LAUNCHES.known().items()}}


# ------------------------------------------------------------------ launching (an operator's request)
SYMBOL_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
DEFAULT_DECIMALS = 6


class LaunchRefused(ValueError):
    """A launch or add-liquidity request that cannot be done (``conflict``: the symbol is taken)."""

    def __init__(self, message: str, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


def check_pool_request(symbol: str, venue: str, liquidity: Decimal) -> None:
    from solroute.models.venues import VENUES  # here: solroute.models.venues imports this module

    if venue not in VENUES:
        raise LaunchRefused(f"unknown venue '{venue}': use one of {', '.join(VENUES)}")
    if not liquidity.is_finite() or liquidity <= 0:
        raise LaunchRefused(f"liquidity must be above 0 (the quote token put into the {venue} pool of {symbol}), not {liquidity}")


def check_launch(symbol: str, venue: str, quote: str, liquidity: Decimal, price: Decimal, decimals: int) -> None:
    """Raise LaunchRefused when a launch of these terms cannot be made (before anything is done)."""
    if not SYMBOL_PATTERN.match(symbol):
        raise LaunchRefused(f"symbol '{symbol}' must be 2-10 capital letters or digits, starting with a letter")
    if symbol in KNOWN_TOKENS:
        raise LaunchRefused(f"{symbol} is one of the static tokens ({', '.join(KNOWN_TOKENS)}): launch a new symbol", conflict=True)
    if quote not in QUOTES:
        raise LaunchRefused(f"unknown quote token '{quote}': a launched token pairs with {' or '.join(QUOTES)}")
    check_pool_request(symbol, venue, liquidity)
    if not price.is_finite() or price <= 0:
        raise LaunchRefused(f"price must be above 0 (in {quote} per {symbol}), not {price}")
    if not 0 <= decimals <= 9:
        raise LaunchRefused(f"decimals must be 0-9 (an SPL mint's), not {decimals}")
