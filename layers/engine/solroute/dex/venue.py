"""A simulated DEX: quotes its constant-product pools, as one API call per route search."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Sequence

from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.dex.market import MARKET, Market
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DexSeed
from solroute.dex.simulation import SimulationConfig
from solroute.logic.clock import Clock
from solroute.logic.route_search import Curve
from solroute.models.errors import DexUnavailable
from solroute.models.order import Order


class SimulatedDex:
    def __init__(
        self,
        seed: DexSeed,
        config: SimulationConfig,
        randomness: Randomness,
        clock: Clock,
        faults: FaultPlan = NO_FAULTS,
        market: Market = MARKET,
    ) -> None:
        self.seed = seed
        self.config = config
        self.randomness = randomness
        self.clock = clock
        self.faults = faults
        self.market = market

    @property
    def name(self) -> str:
        return self.seed.name

    def quote_pools(self, order: Order, pairs: Sequence[tuple[str, str]]) -> list[Curve]:
        """This venue's pools for ``pairs`` (each facing token_in -> token_out), as priced now:
        one call to the venue's quote API (raises DexUnavailable at the configured rate).
        Each pool's price is its reference price times a seeded draw from the venue's band."""
        rng = self.randomness.rng(order.orderId, order.attempts, self.seed.name, "quote")
        delay_ms = self.config.quote_delay_ms * Randomness.uniform(rng, Decimal("0.75"), Decimal("1.25"))
        self.clock.sleep(float(delay_ms) / 1000)
        if Randomness.chance(rng, self.config.failure_rate):
            raise DexUnavailable(f"{self.seed.display_name} quote API did not answer")
        if self.faults.fires("quote-timeout", order.orderId, order.attempts, self.seed.name):
            raise DexUnavailable(f"{self.seed.display_name} quote API timed out")
        curves = []
        for token_in, token_out in pairs:
            for curve in self.market.curves(token_in, token_out, [self.seed.name]):
                factor = Randomness.uniform(rng, *self.seed.price_band)
                curves.append(replace(curve, reserve_out=curve.reserve_out * factor))
        return curves
