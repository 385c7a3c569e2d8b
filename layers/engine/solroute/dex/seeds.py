"""Seed parameters of the simulated venues (the numbers the simulation is built from)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solroute.models.venues import VENUE_LABELS


@dataclass(frozen=True)
class DexSeed:
    name: str  # a venue of the catalogue (solroute.models.venues), as stored on orders
    fee_rate: Decimal  # each pool's depth is in solroute.models.venues
    price_band: tuple[Decimal, Decimal]  # a quote's price is the pool price times a draw from this band

    @property
    def display_name(self) -> str:
        return VENUE_LABELS[self.name]


RAYDIUM = DexSeed("raydium", Decimal("0.003"), (Decimal("0.98"), Decimal("1.02")))
METEORA = DexSeed("meteora", Decimal("0.002"), (Decimal("0.97"), Decimal("1.02")))
DEX_SEEDS = (RAYDIUM, METEORA)

# Defaults of the simulation's timing and faults; every one is overridable (see solroute.settings).
QUOTE_DELAY_MS = 200
SWAP_DELAY_MIN_MS = 2000
SWAP_DELAY_MAX_MS = 3000
FAILURE_RATE = Decimal("0.02")
PRICE_DRIFT = Decimal("0.005")  # execution price moves up to +-0.5% from the quote
