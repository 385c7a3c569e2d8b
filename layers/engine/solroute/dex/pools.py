"""Constant-product (x * y = k) pools seeded from the reference price table."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solroute.dex.seeds import DexSeed
from solroute.models.amounts import quantize_down
from solroute.models.errors import NoLiquidity
from solroute.models.tokens import Token


@dataclass(frozen=True)
class PoolQuote:
    pool_id: str
    amount_out: Decimal
    fee: Decimal
    price_impact: Decimal


@dataclass(frozen=True)
class Pool:
    pool_id: str
    reserve_in: Decimal
    reserve_out: Decimal
    fee_rate: Decimal
    out_decimals: int

    def quote(self, amount_in: Decimal, price_factor: Decimal = Decimal(1)) -> PoolQuote:
        """Net output for ``amount_in``: pool fee taken first, then the curve's price impact."""
        fee = amount_in * self.fee_rate
        in_after_fee = amount_in - fee
        reserve_out = self.reserve_out * price_factor
        gross_out = reserve_out * in_after_fee / (self.reserve_in + in_after_fee)
        impact = in_after_fee / (self.reserve_in + in_after_fee)
        return PoolQuote(self.pool_id, quantize_down(gross_out, self.out_decimals), fee, impact)


def pool_for(seed: DexSeed, token_in: Token, token_out: Token) -> Pool:
    if token_in.reference_price_usd is None or token_out.reference_price_usd is None:
        missing = token_in if token_in.reference_price_usd is None else token_out
        raise NoLiquidity(f"{seed.display_name} has no pool for {missing.symbol}")
    pair = "-".join(sorted((token_in.symbol, token_out.symbol)))
    return Pool(
        pool_id=f"{seed.name}:{pair}",
        reserve_in=seed.liquidity_usd / token_in.reference_price_usd,
        reserve_out=seed.liquidity_usd / token_out.reference_price_usd,
        fee_rate=seed.fee_rate,
        out_decimals=token_out.decimals,
    )
