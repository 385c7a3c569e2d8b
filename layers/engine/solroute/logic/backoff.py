"""Retry delays: exponential in the delivery count, with jitter (about 2 s, 4 s, 8 s)."""

from __future__ import annotations

import random

MAX_VISIBILITY_SECONDS = 43_200  # SQS's ceiling for ChangeMessageVisibility


def backoff_seconds(receive_count: int, base_seconds: float = 2.0, rng: random.Random | None = None) -> int:
    nominal = base_seconds * 2 ** max(0, receive_count - 1)
    jittered = nominal * (rng or random).uniform(0.75, 1.25)
    return max(1, min(MAX_VISIBILITY_SECONDS, round(jittered)))
