"""A simulated DEX: quotes from its constant-product pools and builds signed swaps."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.dex.pools import pool_for
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DexSeed
from solroute.dex.simulation import SimulationConfig
from solroute.logic.clock import Clock
from solroute.models.errors import DexUnavailable
from solroute.models.order import Order, Quote, RoutingDecision, SignedSwap
from solroute.models.tokens import b58encode, resolve_token


class SimulatedDex:
    def __init__(
        self, seed: DexSeed, config: SimulationConfig, randomness: Randomness, clock: Clock, faults: FaultPlan = NO_FAULTS
    ) -> None:
        self.seed = seed
        self.config = config
        self.randomness = randomness
        self.clock = clock
        self.faults = faults

    @property
    def name(self) -> str:
        return self.seed.name

    def quote(self, order: Order) -> Quote:
        """A fresh quote for the whole order; raises DexUnavailable at the configured rate."""
        rng = self.randomness.rng(order.orderId, order.attempts, self.seed.name, "quote")
        delay_ms = self.config.quote_delay_ms * Randomness.uniform(rng, Decimal("0.75"), Decimal("1.25"))
        self.clock.sleep(float(delay_ms) / 1000)
        if Randomness.chance(rng, self.config.failure_rate):
            raise DexUnavailable(f"{self.seed.display_name} quote API did not answer")
        if self.faults.fires("quote-timeout", order.orderId, order.attempts, self.seed.name):
            raise DexUnavailable(f"{self.seed.display_name} quote API timed out")
        pool = pool_for(self.seed, resolve_token(order.tokenIn), resolve_token(order.tokenOut))
        factor = Randomness.uniform(rng, *self.seed.price_band)
        pq = pool.quote(order.amountIn, factor)
        return Quote(
            dex=self.seed.name,
            poolId=pq.pool_id,
            amountIn=order.amountIn,
            amountOut=pq.amount_out,
            fee=pq.fee,
            feeRate=self.seed.fee_rate,
            price=(pq.amount_out / order.amountIn).quantize(Decimal("1e-12")),
            priceImpact=pq.price_impact.quantize(Decimal("1e-8")),
        )

    def build_swap(self, order: Order, decision: RoutingDecision, quote: Quote) -> SignedSwap:
        """The signed transaction. Its signature depends only on the order and route, so
        rebuilding after a crash yields the same signature and the chain deduplicates it."""
        material = "|".join(
            [order.orderId, self.seed.name, quote.poolId, str(order.amountIn), str(decision.minAmountOut)]
        )
        signature = b58encode(hashlib.sha512(material.encode()).digest())
        return SignedSwap(
            signature=signature,
            dex=self.seed.name,
            poolId=quote.poolId,
            tokenIn=order.tokenIn,
            tokenOut=order.tokenOut,
            amountIn=order.amountIn,
            quotedAmountOut=quote.amountOut,
            minAmountOut=decision.minAmountOut,
        )
