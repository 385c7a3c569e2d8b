"""Start orders at a limited rate across every consumer: at most N starts in any rolling minute.

The limiter is a sliding log, the most permissive rule that keeps "at most N in any rolling
window": an order may start as soon as the N-th most recent start has left the window. A
token bucket with a burst of one would also keep the rule, but it spaces every start a
window/N apart even when the last minute was quiet, so orders arriving at random (a Poisson
90 a minute) queue behind each other for seconds that the rule does not ask for. A pure log
has the opposite fault: after a quiet minute the whole allowance starts at once and a backlog
drains in bursts. So two slots also keep a least gap (``min_gap_ms``; the template's default,
300 ms, lets a burst run at twice the rate). docs/benchmarks.md measures gaps of 0, 300 and
615 ms against the bucket.

One DynamoDB item holds two logs, each the last N times (changed by one conditional write):
- ``reserved``: the slot each order was given when first delivered. A backlog is spread over
  future slots (slot = the N-th last slot + the window), so an order waits on the queue for
  its slot instead of spinning on a full log. Slots are spaced by ``window_ms``, which may be
  a little longer than the rule's minute: that margin absorbs late starts and the spread of
  swap times, so confirmations as the client sees them keep the rule too;
- ``started``: when orders really started. An order starts only if the rule holds over the
  real starts (the N-th last start is a full ``rule_ms`` ago), so orders delivered late (a
  busy queue, a slow poll) can never start in a bunch that breaks it.
An order whose slot is now takes both in the same write: one read and one write per start.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from solroute.ports import Clock, RateLimitStore

RULE_MS = 60_000  # the rule: at most N starts in any rolling 60 s


class RateLimiterBusy(RuntimeError):
    """Too many consumers wrote the log at once; try again shortly."""


@dataclass(frozen=True)
class LogState:
    """The last N reserved slots and the last N real starts (epoch ms, ascending), and the
    latest clock that wrote them (a consumer whose clock is behind never writes the past)."""

    reserved: tuple[int, ...] = ()
    started: tuple[int, ...] = ()
    clock_ms: int = 0

    _HEADER = struct.Struct("<qqHH")

    def pack(self) -> bytes:
        """Compact binary: the clock, a base time and 32-bit offsets from it (200 times fit
        in 0.8 KB: one write unit)."""
        times = self.reserved + self.started
        base = min(times, default=self.clock_ms)
        header = self._HEADER.pack(self.clock_ms, base, len(self.reserved), len(self.started))
        return header + struct.pack(f"<{len(times)}I", *(t - base for t in times))

    @classmethod
    def unpack(cls, data: bytes | None) -> "LogState":
        if not data:
            return cls()
        clock_ms, base, n_reserved, n_started = cls._HEADER.unpack_from(data)
        offsets = struct.unpack_from(f"<{n_reserved + n_started}I", data, cls._HEADER.size)
        times = tuple(base + o for o in offsets)
        return cls(times[:n_reserved], times[n_reserved:], clock_ms)


@dataclass(frozen=True)
class SlidingLog:
    limit: int  # starts per rolling minute (0: no limit)
    window_ms: int = RULE_MS  # how far apart the slots of a backlog are (>= the rule's minute)
    rule_ms: int = RULE_MS
    # The least time between two slots. 0 is the pure sliding log (up to N at once after a
    # quiet minute); window/N paces every start evenly, as a token bucket with a burst of one.
    # Between the two, a burst is let through at up to window/gap times the rate.
    min_gap_ms: int = 0

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def _keep(self, times: tuple[int, ...], now_ms: int) -> tuple[int, ...]:
        """The last N times; those older than a window can no longer hold anything back."""
        horizon = now_ms - max(self.window_ms, self.rule_ms)
        return tuple(t for t in times[-self.limit :] if t > horizon)

    def slot(self, state: LogState, now_ms: int) -> int:
        """The first slot from now that keeps N slots in any window."""
        slot = now_ms if not state.reserved else max(now_ms, state.reserved[-1] + self.min_gap_ms)
        if len(state.reserved) < self.limit:
            return slot
        return max(slot, state.reserved[-self.limit] + self.window_ms)

    def start_wait(self, state: LogState, now_ms: int) -> int:
        """Ms until an order may really start (0: now). Real starts keep the rule, and most of
        the gap: a start a little late must not push every later one back."""
        wait = 0 if not state.started else state.started[-1] + self.min_gap_ms * 9 // 10 - now_ms
        if len(state.started) >= self.limit:
            wait = max(wait, state.started[-self.limit] + self.rule_ms - now_ms)
        return max(0, wait)

    def reserve(self, state: LogState, now_ms: int) -> tuple[LogState, int, bool]:
        """Give the next order its slot; start it in the same write when the slot is now and
        the rule allows. Returns the new state, the slot, and whether the order started."""
        slot = self.slot(state, now_ms)
        reserved = self._keep(state.reserved + (slot,), now_ms)
        started = state.started
        starts_now = slot <= now_ms and self.start_wait(state, now_ms) == 0
        if starts_now:
            started = started + (now_ms,)
        return LogState(reserved, self._keep(started, now_ms), max(state.clock_ms, now_ms)), slot, starts_now

    def start(self, state: LogState, now_ms: int) -> tuple[LogState | None, int]:
        """Record a start now: (new state, 0), or (None, ms until the rule allows one)."""
        wait_ms = self.start_wait(state, now_ms)
        if wait_ms:
            return None, wait_ms
        started = self._keep(state.started + (now_ms,), now_ms)
        return LogState(self._keep(state.reserved, now_ms), started, max(state.clock_ms, now_ms)), 0


@dataclass(frozen=True)
class Reservation:
    slot_ms: int  # when the order may start (epoch ms)
    started: bool  # it started in the same write: go ahead now


# The start log's item in the rate-limit table: the only one the consumer and settler may touch
# (their policies' dynamodb:LeadingKeys; the per-key quotas and the trigger's lease are not theirs).
START_LOG = "orders"


class RateLimiter:
    def __init__(self, store: RateLimitStore, log: SlidingLog, clock: Clock, name: str = START_LOG) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.name = name

    def reserve(self) -> Reservation:
        """Give a newly delivered order its start slot, starting it at once when it may."""
        if not self.log.enabled:
            return Reservation(self.clock.now_ms(), True)
        return self._update(lambda state, now: self._reserved(state, now))

    def try_start(self) -> int:
        """Record that an order starts now (0), or say how many ms until it may, recording
        nothing."""
        if not self.log.enabled:
            return 0
        return self._update(self.log.start)

    def _reserved(self, state: LogState, now_ms: int) -> tuple[LogState, Reservation]:
        new_state, slot, started = self.log.reserve(state, now_ms)
        return new_state, Reservation(slot, started)

    def _update(self, step, max_tries: int = 25):  # noqa: ANN001, ANN202 - step is one of the log's methods
        for _ in range(max_tries):
            data, version = self.store.read(self.name) or (None, 0)
            state = LogState.unpack(data)
            # Never let the clock run backwards against what another consumer stored.
            now_ms = max(self.clock.now_ms(), state.clock_ms)
            new_state, answer = step(state, now_ms)
            if new_state is None:
                return answer
            if self.store.write_if_unchanged(self.name, new_state.pack(), version):
                return answer
            self.clock.sleep(random.uniform(0.002, 0.02))  # another consumer wrote first: back off a little
        raise RateLimiterBusy(f"rate limiter log '{self.name}' stayed contended for {max_tries} tries")
