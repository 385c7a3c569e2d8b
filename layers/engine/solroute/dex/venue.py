"""A simulated DEX: quotes its constant-product pools, as one API call per route search.

What it quotes is a pure function of the moment (``pools_at``): the market's pools at that
millisecond, each price times the venue's noise, a smooth function of (seed, venue, pool, time)
within the venue's band. Two quotes of one venue at the same millisecond agree, in any instance.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Sequence

from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.dex.market import MARKET, Market
from solroute.dex.price_path import smooth_unit
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DexSeed
from solroute.dex.simulation import SimulationConfig
from solroute.models.errors import DexUnavailable
from solroute.models.order import Order
from solroute.models.route import Curve
from solroute.ports import Clock


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
        # The noise's seed: the simulation's seed when set, else the market's (deployment-wide).
        self.noise_seed = str(randomness.seed) if randomness.seed is not None else market.path.seed

    @property
    def name(self) -> str:
        return self.seed.name

    def quote_pools(self, order: Order, pairs: Sequence[tuple[str, str]]) -> list[Curve]:
        """This venue's pools for ``pairs`` (each facing token_in -> token_out), as priced now:
        one call to the venue's quote API (raises DexUnavailable at the configured rate), then
        ``pools_at`` the moment it answers."""
        rng = self.randomness.rng(order.orderId, order.attempts, self.seed.name, "quote")
        delay_ms = self.config.quote_delay_ms * Randomness.uniform(rng, Decimal("0.75"), Decimal("1.25"))
        self.clock.sleep(float(delay_ms) / 1000)
        if Randomness.chance(rng, self.config.failure_rate):
            raise DexUnavailable(f"{self.seed.display_name} quote API did not answer")
        if self.faults.fires("quote-timeout", order.orderId, order.attempts, self.seed.name):
            raise DexUnavailable(f"{self.seed.display_name} quote API timed out")
        return self.pools_at(pairs, self.clock.now_ms())

    def pools_at(self, pairs: Sequence[tuple[str, str]], at_ms: int) -> list[Curve]:
        """What this venue quotes for ``pairs`` at ``at_ms`` (no delay, no failure, no fault): its
        pools at the market's prices of that moment, each output reserve times the venue's noise
        (within its price band, smooth in time)."""
        low, high = self.seed.price_band
        curves = []
        for token_in, token_out in pairs:
            for curve in self.market.curves(token_in, token_out, at_ms, [self.seed.name]):
                unit = smooth_unit(self.noise_seed, f"{self.seed.name}|{curve.pool_id}|{token_in}>{token_out}", at_ms)
                factor = low + (high - low) * Decimal(int(unit * _STEPS)) / _STEPS
                curves.append(replace(curve, reserve_out=curve.reserve_out * factor))
        return curves


_STEPS = 1_000_000  # the noise's resolution within the band
