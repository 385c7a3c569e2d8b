"""A token bucket shared by every consumer: at most N orders started per minute.

Taking a token when the bucket is empty reserves the next free slot (the bucket goes into
debt), so a backlog is spread over future slots instead of spinning on an empty bucket.
The store applies each change with an atomic conditional write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from solroute.dal.ports import RateLimitStore
from solroute.logic.clock import Clock


@dataclass(frozen=True)
class BucketState:
    tokens: Decimal
    updated_at_ms: int


@dataclass(frozen=True)
class TokenBucket:
    rate_per_minute: int
    burst: int = 1

    @property
    def enabled(self) -> bool:
        return self.rate_per_minute > 0

    def reserve(self, state: BucketState | None, now_ms: int) -> tuple[BucketState, int]:
        """The state after taking one token at ``now_ms``, and how long to wait for it (ms)."""
        capacity = Decimal(self.burst)
        if state is None:
            tokens = capacity
        else:
            elapsed = max(0, now_ms - state.updated_at_ms)
            tokens = min(capacity, state.tokens + Decimal(elapsed) * self.rate_per_minute / 60_000)
        tokens -= 1
        wait_ms = 0 if tokens >= 0 else math.ceil(-tokens * 60_000 / self.rate_per_minute)
        return BucketState(tokens.quantize(Decimal("1e-9")), now_ms), wait_ms


class RateLimiter:
    def __init__(self, store: RateLimitStore, bucket: TokenBucket, clock: Clock, name: str = "orders-started") -> None:
        self.store = store
        self.bucket = bucket
        self.clock = clock
        self.name = name

    def acquire(self, max_tries: int = 20) -> int:
        """Reserve a start slot; returns milliseconds until it (0: start now)."""
        if not self.bucket.enabled:
            return 0
        for _ in range(max_tries):
            stored = self.store.read(self.name)
            state = BucketState(Decimal(stored[0]), int(stored[1])) if stored else None
            version = int(stored[2]) if stored else 0
            # Never let the clock run backwards against what another consumer stored.
            now_ms = max(self.clock.now_ms(), state.updated_at_ms if state else 0)
            new_state, wait_ms = self.bucket.reserve(state, now_ms)
            if self.store.write_if_unchanged(self.name, new_state.tokens, new_state.updated_at_ms, version):
                return wait_ms
        raise RuntimeError(f"rate limiter '{self.name}' stayed contended for {max_tries} tries")
