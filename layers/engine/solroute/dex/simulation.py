"""Knobs of the simulation (delays, faults, price drift, seed)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solroute.dex import seeds


@dataclass(frozen=True)
class SimulationConfig:
    seed: int | None = None
    quote_delay_ms: int = seeds.QUOTE_DELAY_MS
    swap_delay_min_ms: int = seeds.SWAP_DELAY_MIN_MS
    swap_delay_max_ms: int = seeds.SWAP_DELAY_MAX_MS
    failure_rate: Decimal = seeds.FAILURE_RATE
    price_drift: Decimal = seeds.PRICE_DRIFT
