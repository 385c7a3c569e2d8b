"""The venues' catalogue: which venues exist and which pools each holds. Static facts, like the
tokens in solroute.models.tokens (plus the pools launched at run time: solroute.models.launches): the request models check a route can exist from them, and the
simulated market (solroute.dex.market) prices these pools. How a venue quotes and fills (its fee,
its price noise) is the simulation's: solroute.dex.seeds, one seed per name here.

The table is made so that routing has real choices:

- deep on both venues (SOL/USDC, SOL/USDT, USDC/USDT): a big order pays more split across both;
- deep on one venue and shallow on the other (JUP/USDC, BONK/SOL, PYTH/USDC): the deep one wins
  small orders, a split wins large ones;
- on one venue only (WIF/SOL on Meteora, JTO/USDC and RAY/USDC on Raydium, ORCA/USDC on Meteora);
- no direct pool at all (WIF/USDC, JTO/SOL, BONK/USDC, JUP/SOL, ...): only a hop through USDC
  or SOL trades them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from solroute.models.launches import launched_pool
from solroute.models.tokens import KNOWN_TOKENS

# The venues: each name (as orders and requests write it) and the label people read.
VENUE_LABELS = {"meteora": "Meteora", "raydium": "Raydium"}
VENUES = tuple(sorted(VENUE_LABELS))
INTERMEDIATES = ("USDC", "SOL")  # the tokens a two-hop route may pass through


@dataclass(frozen=True)
class PoolSeed:
    dex: str
    pair: tuple[str, str]
    liquidity_usd: Decimal  # value on each side


def _pools(dex: str, table: dict[str, int]) -> tuple[PoolSeed, ...]:
    return tuple(PoolSeed(dex, tuple(pair.split("/")), Decimal(usd)) for pair, usd in table.items())  # type: ignore[arg-type]


POOL_SEEDS: tuple[PoolSeed, ...] = (
    *_pools("raydium", {
        "SOL/USDC": 5_000_000, "SOL/USDT": 2_000_000, "USDC/USDT": 4_000_000, "BONK/SOL": 2_000_000,
        "JUP/USDC": 200_000, "PYTH/USDC": 300_000, "JTO/USDC": 800_000, "RAY/USDC": 1_500_000,
        "RAY/SOL": 600_000,
    }),
    *_pools("meteora", {
        "SOL/USDC": 3_000_000, "SOL/USDT": 1_000_000, "USDC/USDT": 2_500_000, "BONK/SOL": 300_000,
        "JUP/USDC": 4_000_000, "PYTH/USDC": 1_200_000, "WIF/SOL": 1_000_000, "ORCA/USDC": 700_000,
    }),
)  # fmt: skip


class PoolTable:
    """Which pools exist (of some venues): what a route can be made of, at any moment."""

    def __init__(self, pools: Iterable[PoolSeed] = POOL_SEEDS, venues: Iterable[str] = VENUES) -> None:
        self.venues = frozenset(venues)
        self.pools: dict[tuple[str, frozenset[str]], PoolSeed] = {(p.dex, frozenset(p.pair)): p for p in pools if p.dex in self.venues}

    def pool(self, dex: str, token_a: str, token_b: str) -> PoolSeed | None:
        return self.pools.get((dex, frozenset((token_a, token_b))))

    def has_pool(self, token_in: str, token_out: str, dexes: Sequence[str] | None = None) -> bool:
        """Some venue (of ``dexes``, when given) holds a pool for the pair: a static one, or one
        launched at run time (asked only when a token is not in the static catalogue)."""
        names = self.venues if dexes is None else set(dexes) & self.venues
        if token_in not in KNOWN_TOKENS or token_out not in KNOWN_TOKENS:
            return token_in != token_out and any(launched_pool(name, token_in, token_out) for name in names)
        a, b = KNOWN_TOKENS[token_in], KNOWN_TOKENS[token_out]
        if a == b or a.reference_price_usd is None or b.reference_price_usd is None:
            return False
        return any((name, frozenset((token_in, token_out))) in self.pools for name in names)

    def tradeable(self, token_in: str, token_out: str, dexes: Sequence[str] | None = None) -> bool:
        """A direct pool, or a route through one intermediate token, exists (at any moment)."""
        if self.has_pool(token_in, token_out, dexes):
            return True
        return any(
            self.has_pool(token_in, m, dexes) and self.has_pool(m, token_out, dexes)
            for m in INTERMEDIATES
            if m not in (token_in, token_out)
        )


POOLS = PoolTable()  # every venue's pools
