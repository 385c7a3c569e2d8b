"""An in-memory KeyQuotaStore that behaves as DynamoKeyQuotaStore does (tests/contract proves it)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from solroute.models.key_quota import QuotaState, Step


class InMemoryKeyQuotaStore:
    def __init__(self) -> None:
        self.items: dict[str, tuple[QuotaState, int]] = {}  # key id -> (state, expires at, epoch s)
        self.calls = 0
        # Runs inside the next write, before its condition is checked: another writer getting in first.
        self.before_next_write: Callable[[], None] | None = None
        self._lock = threading.RLock()

    def read(self, key_id: str) -> QuotaState:
        with self._lock:
            self.calls += 1
            return self.items.get(key_id, (QuotaState(), 0))[0]

    def write_if_unchanged(self, key_id: str, state: QuotaState, version: int, expires_at_s: int) -> QuotaState | None:
        self._let_another_writer_in()
        with self._lock:
            self.calls += 1
            stored = self.items.get(key_id, (QuotaState(), 0))[0]
            if stored.version != version:
                return stored
            self.items[key_id] = (state, expires_at_s)
            return None

    def increment(self, key_id: str, step: Step, expires_at_s: int) -> tuple[bool, QuotaState]:
        self._let_another_writer_in()
        with self._lock:
            self.calls += 1
            stored = self.items.get(key_id, (QuotaState(), 0))[0]
            if not step.allows(stored):
                return False, stored
            self.items[key_id] = (step.applied(stored), expires_at_s)
            return True, self.items[key_id][0]

    def decrement(self, key_id: str, reach_ms: int, count: int = 1, window_start_ms: int | None = None) -> None:
        with self._lock:
            self.calls += 1
            if key_id not in self.items:
                return
            stored, expires = self.items[key_id]
            if window_start_ms is not None and stored.window_start_ms != window_start_ms:
                return
            self.items[key_id] = (QuotaState(stored.window_start_ms, stored.count - count, stored.reach_ms - reach_ms, stored.version + 1), expires)

    def _let_another_writer_in(self) -> None:
        interloper, self.before_next_write = self.before_next_write, None
        if interloper:
            interloper()

    def expires_at_s(self, key_id: str) -> int:
        return self.items[key_id][1]
