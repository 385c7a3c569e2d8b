"""The simulated market: which pools each venue holds, and how deep they are.

Ten tokens. Every pool is constant-product with its venue's fee (Raydium 0.3%, Meteora 0.2%) and
holds ``liquidity_usd`` of value on each side at the tokens' prices of the moment (the market's
price path, solroute.dex.price_path; the reference prices when it does not move). The table is made
so that routing has real choices:

- deep on both venues (SOL/USDC, SOL/USDT, USDC/USDT): a big order pays more split across both;
- deep on one venue and shallow on the other (JUP/USDC, BONK/SOL, PYTH/USDC): the deep one wins
  small orders, a split wins large ones;
- on one venue only (WIF/SOL on Meteora, JTO/USDC and RAY/USDC on Raydium, ORCA/USDC on Meteora);
- no direct pool at all (WIF/USDC, JTO/SOL, BONK/USDC, JUP/SOL, ...): only a hop through USDC
  or SOL trades them.

Deterministic: the same table everywhere, and the same prices at the same moment under the same
seed; a quote's noise comes from the venue that quotes (solroute.dex.venue).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from solroute.dex.price_path import PricePath
from solroute.dex.seeds import DEX_SEEDS, DexSeed
from solroute.logic.route_search import Curve
from solroute.models.tokens import KNOWN_TOKENS, Token

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


class Market:
    def __init__(
        self, venues: Sequence[DexSeed] = DEX_SEEDS, pools: Sequence[PoolSeed] = POOL_SEEDS, path: PricePath | None = None
    ) -> None:
        self.venues = {v.name: v for v in venues}
        self._pools: dict[tuple[str, frozenset[str]], PoolSeed] = {(p.dex, frozenset(p.pair)): p for p in pools if p.dex in self.venues}
        self.path = path if path is not None else STILL  # the tokens' prices over time

    def curve(self, dex: str, token_in: Token, token_out: Token, at_ms: int) -> Curve | None:
        """The venue's pool for the pair at ``at_ms``, facing ``token_in -> token_out`` (None: it has none)."""
        seed = self._pools.get((dex, frozenset((token_in.symbol, token_out.symbol))))
        if seed is None or token_in.reference_price_usd is None or token_out.reference_price_usd is None:
            return None
        venue = self.venues[dex]
        return Curve(
            dex=dex,
            pool_id=f"{dex}:{'-'.join(seed.pair)}",
            token_in=token_in.symbol,
            token_out=token_out.symbol,
            reserve_in=seed.liquidity_usd / self.path.usd(token_in.symbol, at_ms),
            reserve_out=seed.liquidity_usd / self.path.usd(token_out.symbol, at_ms),
            fee_rate=venue.fee_rate,
            in_decimals=token_in.decimals,
            out_decimals=token_out.decimals,
        )

    def curves(self, token_in: str, token_out: str, at_ms: int, dexes: Sequence[str] | None = None) -> list[Curve]:
        """Every venue's pool for the pair at ``at_ms`` (only ``dexes``, when given), by venue name."""
        a, b = KNOWN_TOKENS.get(token_in), KNOWN_TOKENS.get(token_out)
        if a is None or b is None or a == b:
            return []
        names = sorted(self.venues if dexes is None else set(dexes) & set(self.venues))
        return [c for c in (self.curve(name, a, b, at_ms) for name in names) if c is not None]

    def has_pool(self, token_in: str, token_out: str, dexes: Sequence[str] | None = None) -> bool:
        """Some venue (of ``dexes``, when given) holds a pool for the pair."""
        a, b = KNOWN_TOKENS.get(token_in), KNOWN_TOKENS.get(token_out)
        if a is None or b is None or a == b or a.reference_price_usd is None or b.reference_price_usd is None:
            return False
        names = self.venues if dexes is None else set(dexes) & set(self.venues)
        return any((name, frozenset((token_in, token_out))) in self._pools for name in names)

    def tradeable(self, token_in: str, token_out: str, dexes: Sequence[str] | None = None) -> bool:
        """A direct pool, or a route through one intermediate token, exists (at any moment)."""
        if self.has_pool(token_in, token_out, dexes):
            return True
        return any(
            self.has_pool(token_in, m, dexes) and self.has_pool(m, token_out, dexes)
            for m in INTERMEDIATES
            if m not in (token_in, token_out)
        )


STILL = PricePath("", {})  # a market that does not move: every token at its reference price
MARKET = Market()  # the one table (at reference prices): the same in every function and every test
