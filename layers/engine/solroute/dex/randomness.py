"""Randomness that is reproducible under a seed, and independent per order and purpose.

Each draw is keyed by labels (order id, attempt, venue, purpose), not by call order, so the
same seed gives the same prices in any process and with any interleaving of concurrent orders.
"""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal

_STEPS = 1_000_000


class Randomness:
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def rng(self, *labels: object) -> random.Random:
        if self.seed is None:
            return random.Random()
        key = "|".join([str(self.seed), *map(str, labels)]).encode()
        return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))

    @staticmethod
    def uniform(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
        """A Decimal drawn uniformly from [low, high] in a million steps (no float arithmetic)."""
        return low + (high - low) * Decimal(rng.randrange(_STEPS + 1)) / _STEPS

    @staticmethod
    def chance(rng: random.Random, probability: Decimal) -> bool:
        return Decimal(rng.randrange(_STEPS)) / _STEPS < probability
