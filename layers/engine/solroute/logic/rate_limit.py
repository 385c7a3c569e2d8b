"""Start orders at a limited rate across every consumer: at most N per window.

Two token buckets share one DynamoDB table, each changed by an atomic conditional write:
- "reserved" may go into debt: an order that finds it empty is given the next free slot,
  so a backlog is spread over future slots instead of spinning on an empty bucket;
- "started" never does: an order takes a token from it at the moment it really starts, so
  orders delivered late (a busy queue, a slow poll) cannot start in a bunch.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from solroute.dal.ports import RateLimitStore
from solroute.logic.clock import Clock


class RateLimiterBusy(RuntimeError):
    """Too many consumers wrote the bucket at once; try again shortly."""


@dataclass(frozen=True)
class BucketState:
    tokens: Decimal
    updated_at_ms: int


# A start happens a few ms after its slot (delivery, the write itself). A bucket holding
# exactly one token throws away the refill while it sits full, so each late start would push
# every later one back and the lag would only grow. The strict bucket holds this much more,
# which absorbs ~10% of a token interval of lateness and still never allows two starts at once.
STRICT_HEADROOM = Decimal("0.1")


@dataclass(frozen=True)
class TokenBucket:
    rate: int  # tokens per window
    burst: Decimal = Decimal(1)
    window_seconds: Decimal = Decimal(60)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    @property
    def ms_per_token(self) -> Decimal:
        return Decimal(self.window_seconds) * 1000 / self.rate

    def strict(self) -> "TokenBucket":
        return TokenBucket(self.rate, Decimal(self.burst) + STRICT_HEADROOM, self.window_seconds)

    def _refilled(self, state: BucketState | None, now_ms: int) -> Decimal:
        if state is None:
            return Decimal(self.burst)
        elapsed = max(0, now_ms - state.updated_at_ms)
        return min(Decimal(self.burst), state.tokens + Decimal(elapsed) / self.ms_per_token)

    def reserve(self, state: BucketState | None, now_ms: int) -> tuple[BucketState, int]:
        """Take a token even on credit; returns the new state and ms until the token is due."""
        tokens = self._refilled(state, now_ms) - 1
        wait_ms = 0 if tokens >= 0 else math.ceil(-tokens * self.ms_per_token)
        return BucketState(tokens.quantize(Decimal("1e-9")), now_ms), wait_ms

    def take(self, state: BucketState | None, now_ms: int) -> tuple[BucketState | None, int]:
        """Take a token only if one is here now: (new state, 0), or (None, ms until one is)."""
        tokens = self._refilled(state, now_ms)
        if tokens >= 1:
            return BucketState((tokens - 1).quantize(Decimal("1e-9")), now_ms), 0
        return None, max(1, math.ceil((1 - tokens) * self.ms_per_token))


class RateLimiter:
    def __init__(self, store: RateLimitStore, bucket: TokenBucket, clock: Clock, name: str = "orders") -> None:
        self.store = store
        self.bucket = bucket
        self.clock = clock
        self.name = name

    def reserve(self) -> int:
        """Reserve a start slot; ms until it (0: now)."""
        if not self.bucket.enabled:
            return 0
        return self._update(f"{self.name}-reserved", self.bucket.reserve)

    def try_start(self) -> int:
        """Take the token that lets an order start now (0), or say how many ms until one
        will be there without taking anything."""
        if not self.bucket.enabled:
            return 0
        return self._update(f"{self.name}-started", self.bucket.strict().take)

    def _update(self, key: str, step, max_tries: int = 25) -> int:  # noqa: ANN001 - one of the bucket's methods
        for _ in range(max_tries):
            stored = self.store.read(key)
            state = BucketState(Decimal(stored[0]), int(stored[1])) if stored else None
            version = int(stored[2]) if stored else 0
            # Never let the clock run backwards against what another consumer stored.
            now_ms = max(self.clock.now_ms(), state.updated_at_ms if state else 0)
            new_state, wait_ms = step(state, now_ms)
            if new_state is None:
                return wait_ms
            if self.store.write_if_unchanged(key, new_state.tokens, new_state.updated_at_ms, version):
                return wait_ms
            self.clock.sleep(random.uniform(0.002, 0.02))  # another consumer wrote first: back off a little
        raise RateLimiterBusy(f"rate limiter bucket '{key}' stayed contended for {max_tries} tries")
