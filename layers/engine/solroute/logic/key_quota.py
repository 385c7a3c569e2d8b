"""Per-API-key limits at submit time: an order rate, and a bound on how far one key's orders
push the execution queue that every key shares.

- **rate**: at most ``rate_per_minute`` accepted orders per calendar minute (a fixed window:
  one counter, and "60 a minute" is what a client reads in its key's record).
- **backlog**: the engine starts orders ``engine_interval_ms`` apart (the global limit's pace),
  first come, first served. The shared queue's ``reach`` (a virtual finish time, as in GCRA)
  moves one interval past ``max(reach, now)`` with every accepted order of any key: it is when the
  last of them would start. Each key also has its own reach, which moves *two* intervals per
  order: it stays near now while the key sends at most half the engine's pace, and runs ahead
  of now when it sends more. An order is refused when the queue would reach more than
  ``backlog_ms`` ahead of now *and* its key is heavy (its own reach more than ``backlog_ms``
  ahead too: at twice the interval, the key sent more than half the backlog's worth of orders
  beyond half the engine's pace). So a key that floods keeps the queue at most ``backlog_ms`` ahead of
  now, however long it floods: another key's order waits behind no more than that (plus the
  light keys' own orders), and a light key is never refused because of someone else's flood.
  (A per-key reach alone would not do: a flooding key could take the engine's whole pace, and
  every other key's orders would queue without bound behind it.)

The key's state is one record per key; the queue's reach is one shared record; each is changed
by a conditional write: an accepted order costs two DynamoDB calls (one when the backlog rule is
off), a refusal none. A KeyQuota keeps the state it last wrote or saw of each record and writes
over that version without reading first. When another instance wrote meanwhile, the failed write
returns the stored state and the decision is made again on it. A refusal may rest on a copy that
is behind, but a stored record can only be stricter than an older copy (counts and reaches only
grow), except once the copy's minute and reach are both past, when neither rule refuses anyway.
An instance that took a place in the queue and then found its key over a limit (another instance
admitted the same key meanwhile) gives the place back if nobody queued behind it; otherwise the
queue keeps one empty place, which only makes the next orders wait ``interval`` longer.

A KeyQuota must live as long as its Lambda instance (build it once, in the composition root).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from solroute.models.errors import RateLimited, StoreBusy
from solroute.models.key_quota import QuotaState

WINDOW_MS = 60_000  # the rate rule's calendar minute
# A key's own reach moves this many intervals per order: a key sending more than the engine's
# pace divided by this becomes heavy, once its excess is more than the backlog.
HEAVY_SHARE = 2
QUEUE = "*"  # the shared queue's record, beside the keys' own (no key id contains "*")
# The stored record expires (DynamoDB TTL) this long after it can last refuse anything.
EXPIRY_MARGIN_S = 120


class KeyQuotaStore(Protocol):
    def read(self, key_id: str) -> QuotaState:
        """The stored state (strongly consistent); ``QuotaState()`` when none is stored."""
        ...

    def write_if_unchanged(self, key_id: str, state: QuotaState, version: int, expires_at_s: int) -> QuotaState | None:
        """Store ``state`` (with its own version) if the stored version is still ``version``
        (0: nothing stored). None when written; otherwise the state stored instead."""
        ...


def engine_interval_ms(limit_per_minute: int, window_seconds: Decimal | int) -> int:
    """How far apart the engine starts orders under the global limit (0: no global limit)."""
    if limit_per_minute <= 0:
        return 0
    return math.ceil(Decimal(window_seconds) * 1000 / limit_per_minute)


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


@dataclass(frozen=True)
class Decision:
    accepted: bool
    retry_after_s: int  # 0 when accepted; at least 1 when refused
    reason: str  # which limit refused ("" when accepted)
    state: QuotaState  # the state after the decision (unchanged on a refusal)
    queue_reach_ms: int = 0  # the shared queue's reach after an accepted order (its place)

    def error(self) -> RateLimited:
        """The refusal as the domain error the API answers with 429 and Retry-After."""
        return RateLimited(f"Refused by {self.reason}; retry after {self.retry_after_s} s", self.retry_after_s)


@dataclass(frozen=True)
class QuotaRules:
    """The two rules as a pure function of one state: what ``KeyQuota`` applies per key."""

    backlog_ms: int  # how far ahead of now one key's accepted orders may reach
    engine_interval_ms: int  # the engine's pace; 0 turns the backlog rule off

    def __post_init__(self) -> None:
        if self.engine_interval_ms and self.backlog_ms < self.engine_interval_ms:
            raise ValueError(f"a backlog of {self.backlog_ms} ms cannot hold one order {self.engine_interval_ms} ms long")

    @property
    def light_ms(self) -> int:
        """A key whose own reach is no further ahead than this is never refused for the queue."""
        return self.backlog_ms

    def decide(self, state: QuotaState, queue_reach_ms: int, rate_per_minute: int, now_ms: int) -> Decision:
        """Accept one more order now, or refuse it and say when to retry, given the key's state
        and the shared queue's reach. ``rate_per_minute`` of 0 turns the rate rule off."""
        # A window another instance (its clock a little ahead) already began is kept, not reset.
        window_start = max(now_ms - now_ms % WINDOW_MS, state.window_start_ms)
        count = state.count if window_start == state.window_start_ms else 0
        own = max(state.reach_ms, now_ms) + HEAVY_SHARE * self.engine_interval_ms
        place = max(queue_reach_ms, now_ms) + self.engine_interval_ms
        refusals = []
        if 0 < rate_per_minute <= count:
            refusals.append((window_start + WINDOW_MS - now_ms, f"this API key's limit of {rate_per_minute} orders a minute"))
        # Heavy: this order would take the key's own reach past light_ms (a key with nothing
        # ahead of now is never heavy, even when one order's two intervals exceed the backlog).
        ahead = max(0, state.reach_ms - now_ms)
        heavy_over = ahead - max(0, self.light_ms - HEAVY_SHARE * self.engine_interval_ms)
        if self.engine_interval_ms and place - now_ms > self.backlog_ms and heavy_over > 0:
            waiting_s = math.ceil(max(0, place - self.engine_interval_ms - now_ms) / 1000)
            # Retry once the queue has drained to the bound, or this key's own reach to a light key's.
            wait_ms = min(place - now_ms - self.backlog_ms, heavy_over)
            refusals.append((wait_ms, f"this API key has filled the shared queue ({waiting_s} s of orders waiting ahead of other clients')"))
        if refusals:
            wait_ms, reason = max(refusals)  # retrying before the later of the two would be refused again
            return Decision(False, _seconds(wait_ms), reason, state)
        # Versions only grow, even past a TTL deletion: a fresh record starts at now, so a copy
        # of the deleted one held in memory can never match it.
        version = max(state.version + 1, now_ms)
        return Decision(True, 0, "", QuotaState(window_start, count + 1, own, version), place)

    @staticmethod
    def expires_at_s(state: QuotaState) -> int:
        """When the stored record can no longer refuse anything, plus a margin (epoch s)."""
        return math.ceil(max(state.window_start_ms + WINDOW_MS, state.reach_ms) / 1000) + EXPIRY_MARGIN_S


class KeyQuota:
    """Decides each key's orders against its stored state and the shared queue's."""

    def __init__(self, store: KeyQuotaStore, backlog_ms: int, engine_interval_ms: int, max_tries: int = 5, max_keys: int = 10_000) -> None:
        self.store = store
        self.rules = QuotaRules(backlog_ms, engine_interval_ms)
        self.max_tries = max_tries
        self.max_keys = max_keys
        self._seen: OrderedDict[str, QuotaState] = OrderedDict()  # the state last written or seen, per key

    def admit(self, key_id: str, rate_per_minute: int, now_ms: int) -> Decision:
        """Accept one more order from ``key_id`` now (recorded), or refuse it (nothing recorded)."""
        state = self._seen.get(key_id, QuotaState())
        queue = self._seen.get(QUEUE, QuotaState())
        place: QuotaState | None = None  # the queue's record once this order took its place in it
        interval = self.rules.engine_interval_ms
        for _ in range(self.max_tries):
            # Once the place is taken, decide on the queue as it was just before it.
            queue_reach = queue.reach_ms if place is None else place.reach_ms - interval
            decision = self.rules.decide(state, queue_reach, rate_per_minute, now_ms)
            if not decision.accepted:
                if place is not None:
                    self._give_back(place)
                return decision
            if interval and place is None:
                taken = QuotaState(reach_ms=decision.queue_reach_ms, version=max(queue.version + 1, now_ms))
                stored = self.store.write_if_unchanged(QUEUE, taken, queue.version, self.rules.expires_at_s(taken))
                if stored is not None:  # another order took a place first: decide again on the queue as it is
                    queue = stored
                    self._remember(QUEUE, queue)
                    continue
                place = taken
                self._remember(QUEUE, taken)
            stored = self.store.write_if_unchanged(key_id, decision.state, state.version, self.rules.expires_at_s(decision.state))
            if stored is None:
                self._remember(key_id, decision.state)
                return decision
            state = stored  # another instance wrote first: decide again on what it stored
            self._remember(key_id, state)
        if place is not None:
            self._give_back(place)
        raise StoreBusy(f"the quota of API key {key_id} stayed contended for {self.max_tries} tries; try again shortly")

    def _give_back(self, place: QuotaState) -> None:
        """Undo a place no order will use, if no order took a place behind it since."""
        back = QuotaState(reach_ms=place.reach_ms - self.rules.engine_interval_ms, version=place.version + 1)
        stored = self.store.write_if_unchanged(QUEUE, back, place.version, self.rules.expires_at_s(back))
        self._remember(QUEUE, back if stored is None else stored)

    def _remember(self, key_id: str, state: QuotaState) -> None:
        self._seen[key_id] = state
        self._seen.move_to_end(key_id)
        if len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
