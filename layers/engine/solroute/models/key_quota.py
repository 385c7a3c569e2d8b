"""One API key's usage as the submit-time quota stores it (see logic/key_quota.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuotaState:
    """Orders a key had accepted in its current calendar minute, how far its accepted orders
    reach into the shared execution queue, and the stored version (0: nothing stored)."""

    window_start_ms: int = 0  # epoch ms of the minute ``count`` belongs to
    count: int = 0
    reach_ms: int = 0  # when the key's last accepted order would start, had it the queue to itself
    version: int = 0


@dataclass(frozen=True)
class Step:
    """An atomic increment and the conditions it needs: the record is in minute ``window_start_ms``,
    its reach is at least ``not_before_ms`` (and at most ``max_reach_ms``, when given), its count
    under ``max_count`` (0: any count)."""

    window_start_ms: int
    not_before_ms: int | None  # None: any reach
    reach_ms: int
    max_count: int = 0
    max_reach_ms: int | None = None
    count: int = 1  # 0: a place in the queue that is not counted against the rate (a triggered limit order)

    def allows(self, state: QuotaState) -> bool:
        return (
            state.version > 0
            and state.window_start_ms == self.window_start_ms
            and (self.not_before_ms is None or state.reach_ms >= self.not_before_ms)
            and (self.max_count == 0 or state.count < self.max_count)
            and (self.max_reach_ms is None or state.reach_ms <= self.max_reach_ms)
        )

    def applied(self, state: QuotaState) -> QuotaState:
        return QuotaState(state.window_start_ms, state.count + self.count, state.reach_ms + self.reach_ms, state.version + 1)
