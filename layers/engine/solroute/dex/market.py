"""The simulated market: the pools of the venues' catalogue (solroute.models.venues), priced.

Ten tokens, and those launched at run time (solroute.models.launches). Every pool is constant-product with its venue's fee (Raydium 0.3%, Meteora 0.2%) and
holds ``liquidity_usd`` of value on each side at the tokens' prices of the moment (the market's
price path, solroute.dex.price_path; the reference prices when it does not move).

Deterministic: the same table everywhere, and the same prices at the same moment under the same
seed; a quote's noise comes from the venue that quotes (solroute.dex.venue).
"""

from __future__ import annotations

from typing import Sequence

from solroute.dex.price_path import PricePath
from solroute.dex.seeds import DEX_SEEDS, DexSeed
from solroute.models.launches import find_token, launched_pool
from solroute.models.route import Curve
from solroute.models.tokens import KNOWN_TOKENS, Token
from solroute.models.venues import POOL_SEEDS, PoolSeed, PoolTable


class Market:
    def __init__(
        self, venues: Sequence[DexSeed] = DEX_SEEDS, pools: Sequence[PoolSeed] = POOL_SEEDS, path: PricePath | None = None
    ) -> None:
        self.venues = {v.name: v for v in venues}
        self.pools = PoolTable(pools, self.venues)
        self.path = path if path is not None else STILL  # the tokens' prices over time

    def curve(self, dex: str, token_in: Token, token_out: Token, at_ms: int) -> Curve | None:
        """The venue's pool for the pair at ``at_ms``, facing ``token_in -> token_out`` (None: it has none)."""
        if token_in.symbol not in KNOWN_TOKENS or token_out.symbol not in KNOWN_TOKENS:
            return self._launched_curve(dex, token_in, token_out)
        seed = self.pools.pool(dex, token_in.symbol, token_out.symbol)
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

    def _launched_curve(self, dex: str, token_in: Token, token_out: Token) -> Curve | None:
        """A pool launched at run time: ``liquidity`` of its quote token against ``liquidity / price``
        of the token, at every moment (its mid price is the launch price, in the quote token)."""
        found = launched_pool(dex, token_in.symbol, token_out.symbol) if dex in self.venues else None
        if found is None:
            return None
        launch, pool = found
        reserves = {launch.quote: pool.liquidity, launch.symbol: pool.liquidity / launch.price}
        return Curve(
            dex=dex,
            pool_id=launch.pool_id(dex),
            token_in=token_in.symbol,
            token_out=token_out.symbol,
            reserve_in=reserves[token_in.symbol],
            reserve_out=reserves[token_out.symbol],
            fee_rate=self.venues[dex].fee_rate,
            in_decimals=token_in.decimals,
            out_decimals=token_out.decimals,
        )

    def curves(self, token_in: str, token_out: str, at_ms: int, dexes: Sequence[str] | None = None) -> list[Curve]:
        """Every venue's pool for the pair at ``at_ms`` (only ``dexes``, when given), by venue name."""
        a, b = find_token(token_in), find_token(token_out)
        if a is None or b is None or a == b:
            return []
        names = sorted(self.venues if dexes is None else set(dexes) & set(self.venues))
        return [c for c in (self.curve(name, a, b, at_ms) for name in names) if c is not None]

    def tradeable(self, token_in: str, token_out: str, dexes: Sequence[str] | None = None) -> bool:
        """A route can exist among this market's venues (its pool table's answer)."""
        return self.pools.tradeable(token_in, token_out, dexes)


STILL = PricePath("", {})  # a market that does not move: every token at its reference price
MARKET = Market()  # the one table (at reference prices): the same in every function and every test
