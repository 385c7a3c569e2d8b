"""Retry delays: exponential in the delivery count, with jitter (about 2 s, 4 s, 8 s).

SQS takes visibility timeouts in whole seconds, so the jitter is drawn as a whole number of
seconds from half to one and a half times the nominal delay: rounding a jittered delay instead
would give every first retry the same 2 s, and orders that failed together would retry together.
"""

from __future__ import annotations

import math
import random

MAX_VISIBILITY_SECONDS = 43_200  # SQS's ceiling for ChangeMessageVisibility


def backoff_bounds(receive_count: int, base_seconds: float = 2.0) -> tuple[int, int]:
    """The smallest and largest delay (whole seconds) for this delivery's retry."""
    nominal = base_seconds * 2 ** max(0, receive_count - 1)
    low = min(MAX_VISIBILITY_SECONDS, max(1, math.floor(nominal * 0.5)))
    high = min(MAX_VISIBILITY_SECONDS, max(low, math.ceil(nominal * 1.5)))
    return low, high


def backoff_seconds(receive_count: int, base_seconds: float = 2.0, rng: random.Random | None = None) -> int:
    low, high = backoff_bounds(receive_count, base_seconds)
    return (rng or random).randint(low, high)
