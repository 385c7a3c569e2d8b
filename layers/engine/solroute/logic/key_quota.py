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

The key's state is one record per key and the queue's reach one shared record. Many Lambda
instances admit orders of the same key at once, and every order of every key takes a place in
the one queue, so a read-modify-write (with a version check) would mostly lose its races under
a burst and pay a failed write for each. Instead the common case is one atomic, conditional
increment per record (DynamoDB ``UpdateItem``: count + 1 and reach + step, on condition that the
record is in the current minute, its reach not behind now and the limits not reached), which
concurrent instances never conflict on: an accepted order costs two DynamoDB calls (one when the
backlog rule is off). Only a new minute or an idle record (reach behind now) takes a versioned
write, once, whoever wins. A KeyQuota keeps the last state it wrote or saw of each record and
refuses on that copy when it already shows a limit reached. A copy can be stricter than the store
(another instance gave back a refused order, or the trigger a place it did not use), so a refusal
on a copy is confirmed with a strongly consistent read of the records, at most once a second per
key (``CONFIRM_EVERY_MS``): a flood's refusals stay nearly free, and a client's retry after a
refund is not refused for long on an instance that did not see it. An order whose key was counted
but which the queue then refused (the key is heavy and the queue full) is uncounted with one more
call.

What an order takes depends on where it goes. A market order is counted and takes its place in
the queue when it is accepted (``admit``). A limit order does not queue when it is placed: it is
counted then (``admit(..., queues=False)``), and takes its place when the trigger queues it
(``admit_to_queue``, no count), so a key's resting orders cannot flood the queue when the market
reaches their price: a heavy key's triggered orders wait open for a later tick. An order the API
accepted but then could not store or queue (503) gives back what it took (``refund``): the
client's retry must not meet a 429 for an order that does not exist.

A KeyQuota must live as long as its Lambda instance (build it once, in the composition root).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from decimal import Decimal

from aws_lambda_powertools import Logger

from solroute.models.errors import RateLimited, StoreBusy
from solroute.models.key_quota import QuotaState, Step
from solroute.ports import KeyQuotaStore

logger = Logger(child=True)
WINDOW_MS = 60_000  # the rate rule's calendar minute
# A key's own reach moves this many intervals per order: a key sending more than the engine's
# pace divided by this becomes heavy, once its excess is more than the backlog.
HEAVY_SHARE = 2
QUEUE = "*"  # the shared queue's record, beside the keys' own (no key id contains "*")
# The stored record expires (DynamoDB TTL) this long after it can last refuse anything.
EXPIRY_MARGIN_S = 120
# A refusal decided on this instance's copy is checked against the store at most this often per key.
CONFIRM_EVERY_MS = 1_000


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
    counted: bool = True  # the order was counted against the key's rate
    queued: bool = True  # the order took a place in the shared queue (when the backlog rule is on)

    def error(self) -> RateLimited:
        """The refusal as the domain error the API answers with 429 and Retry-After."""
        return RateLimited(f"Refused: {self.reason}; retry after {self.retry_after_s} s", self.retry_after_s)


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

    def heavy_by_ms(self, own_reach_ms: int, now_ms: int) -> int:
        """How far the key's own reach (before its next order) is past a light key's (> 0: heavy).
        A key with nothing ahead of now is never heavy, even when one order's two intervals
        exceed the backlog."""
        return max(0, own_reach_ms - now_ms) - max(0, self.light_ms - HEAVY_SHARE * self.engine_interval_ms)

    def queue_limit_ms(self, now_ms: int) -> int:
        """The furthest the queue's reach may be before a heavy key's order takes a place."""
        return now_ms + self.backlog_ms - self.engine_interval_ms

    def decide(self, state: QuotaState, queue_reach_ms: int, rate_per_minute: int, now_ms: int, counts: bool = True, queues: bool = True) -> Decision:
        """Accept one more order now, or refuse it and say when to retry, given the key's state
        and the shared queue's reach. ``rate_per_minute`` of 0 turns the rate rule off.
        ``counts``: the order is counted against the rate; ``queues``: it takes a place in the
        queue now (each rule applies only to what the order takes)."""
        # A window another instance (its clock a little ahead) already began is kept, not reset.
        window_start = max(now_ms - now_ms % WINDOW_MS, state.window_start_ms)
        count = state.count if window_start == state.window_start_ms else 0
        queued = queues and bool(self.engine_interval_ms)
        # Without the backlog rule (no global limit) the reaches mean nothing and stay as they are.
        own = max(state.reach_ms, now_ms) + HEAVY_SHARE * self.engine_interval_ms if queued else state.reach_ms
        place = max(queue_reach_ms, now_ms) + self.engine_interval_ms
        refusals = []
        if counts and 0 < rate_per_minute <= count:
            refusals.append((window_start + WINDOW_MS - now_ms, f"this API key's limit of {rate_per_minute} orders a minute"))
        # Heavy: this order would take the key's own reach past light_ms (a key with nothing
        # ahead of now is never heavy, even when one order's two intervals exceed the backlog).
        heavy_over = self.heavy_by_ms(state.reach_ms, now_ms)
        if queued and place - now_ms > self.backlog_ms and heavy_over > 0:
            waiting_s = math.ceil(max(0, place - self.engine_interval_ms - now_ms) / 1000)
            # Retry once the queue has drained to the bound, or this key's own reach to a light key's.
            wait_ms = min(place - now_ms - self.backlog_ms, heavy_over)
            refusals.append((wait_ms, f"this API key has filled the shared queue ({waiting_s} s of orders waiting ahead of other clients')"))
        if refusals:
            wait_ms, reason = max(refusals)  # retrying before the later of the two would be refused again
            return Decision(False, _seconds(wait_ms), reason, state, counted=counts, queued=queued)
        # Versions only grow, even past a TTL deletion: a fresh record starts at now, so a copy
        # of the deleted one held in memory can never match it.
        version = max(state.version + 1, now_ms)
        after = QuotaState(window_start, count + (1 if counts else 0), own, version)
        return Decision(True, 0, "", after, place if queued else 0, counted=counts, queued=queued)

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
        self._confirmed: OrderedDict[str, int] = OrderedDict()  # when a refusal on the copy was last checked, per key

    def admit(self, key_id: str, rate_per_minute: int, now_ms: int, queues: bool = True) -> Decision:
        """Accept one more order from ``key_id`` now (recorded), or refuse it (nothing recorded).
        ``queues=False``: the order is counted but takes no place in the queue (a limit order
        being placed: it takes its place when the trigger queues it, ``admit_to_queue``)."""
        return self._admit(key_id, rate_per_minute, now_ms, counts=True, queues=queues)

    def admit_to_queue(self, key_id: str, now_ms: int) -> Decision:
        """A place in the shared queue for one of the key's orders, not counted against its rate
        (a limit order the trigger queues: it was counted when it was placed); refused when the
        key is heavy and the queue full, as a market order would be."""
        return self._admit(key_id, 0, now_ms, counts=False, queues=True)

    def refund(self, key_id: str, decision: Decision | None) -> None:
        """Give back what an accepted order took (its count in its minute, its reach and its place
        in the queue): the API could not store or queue it (the client will send it again), or the
        trigger did not queue it after all. Best effort: a give-back the store refuses is logged,
        and what it held lapses with the minute and the reach."""
        if decision is None or not decision.accepted or not (decision.counted or decision.queued):
            return
        try:
            self._refund(key_id, decision)
        except Exception as error:  # noqa: BLE001 - the caller's answer stands either way
            logger.warning("could not give back an order's quota", extra={"key_id": key_id, "error": str(error)})

    def _refund(self, key_id: str, decision: Decision) -> None:
        interval = self.rules.engine_interval_ms
        reach = HEAVY_SHARE * interval if decision.queued else 0
        count = 1 if decision.counted else 0
        self.store.decrement(key_id, reach, count, window_start_ms=decision.state.window_start_ms)
        seen = self._seen.get(key_id)
        if seen is not None and seen.window_start_ms == decision.state.window_start_ms:  # the copy may refuse without a call: keep it true
            self._remember(key_id, QuotaState(seen.window_start_ms, seen.count - count, seen.reach_ms - reach, seen.version + 1))
        if decision.queued:
            self.store.decrement(QUEUE, interval)
            queue = self._seen.get(QUEUE)
            if queue is not None:
                self._remember(QUEUE, QuotaState(queue.window_start_ms, queue.count - 1, queue.reach_ms - interval, queue.version + 1))

    def _admit(self, key_id: str, rate_per_minute: int, now_ms: int, counts: bool, queues: bool) -> Decision:
        rules, interval = self.rules, self.rules.engine_interval_ms
        state = self._seen.get(key_id, QuotaState())
        fresh = False  # whether the state decided on came from the store during this call
        for _ in range(self.max_tries):
            decision = rules.decide(state, self._seen.get(QUEUE, QuotaState()).reach_ms, rate_per_minute, now_ms, counts, queues)
            if not decision.accepted:
                if fresh or not self._may_confirm(key_id, now_ms):
                    return decision  # on what the store just showed, or on a copy checked less than a second ago
                state, fresh = self._read_back(key_id, decision.queued), True
                continue
            counted, state = self._count(key_id, state, decision, rate_per_minute, now_ms)
            fresh = True
            if not counted:
                continue  # the record was not as this copy had it: decide again on the stored one
            if not decision.queued:
                return replace(decision, state=state)
            placed, queue = self._take_place(state, now_ms)
            if placed:
                return replace(decision, state=state, queue_reach_ms=queue.reach_ms)
            # The queue is full and this key heavy: uncount the order; the next decision refuses it.
            uncount = 1 if counts else 0
            self.store.decrement(key_id, HEAVY_SHARE * interval, uncount)
            state = QuotaState(state.window_start_ms, state.count - uncount, state.reach_ms - HEAVY_SHARE * interval, state.version + 1)
            self._remember(key_id, state)
        raise StoreBusy(f"the quota of API key {key_id} stayed contended for {self.max_tries} tries; try again shortly")

    def _count(self, key_id: str, state: QuotaState, decision: Decision, rate_per_minute: int, now_ms: int) -> tuple[bool, QuotaState]:
        """Count the order on its key's record (its count and/or its own reach, as decided).
        (True, the record with it counted) or (False, the record as stored, which this copy had wrong)."""
        interval = self.rules.engine_interval_ms if decision.queued else 0
        wanted = decision.state
        expires = self.rules.expires_at_s(wanted)
        current = state.version and state.window_start_ms == wanted.window_start_ms and (state.reach_ms >= now_ms or not interval)
        if current:  # the common case: one increment, which no concurrent instance conflicts with
            max_count = rate_per_minute if decision.counted else 0
            step = Step(wanted.window_start_ms, now_ms if interval else None, HEAVY_SHARE * interval, max_count, count=1 if decision.counted else 0)
            counted, stored = self.store.increment(key_id, step, expires)
        else:  # a new minute, or the key idle: replace the record, once, whichever instance wins
            lost = self.store.write_if_unchanged(key_id, wanted, state.version, expires)
            counted, stored = lost is None, wanted if lost is None else lost
        self._remember(key_id, stored)
        return counted, stored

    def _take_place(self, counted: QuotaState, now_ms: int) -> tuple[bool, QuotaState]:
        """The order's place in the shared queue: (True, the queue's record with it) or (False,
        the record, full, when the key is heavy)."""
        rules, interval = self.rules, self.rules.engine_interval_ms
        heavy = rules.heavy_by_ms(counted.reach_ms - HEAVY_SHARE * interval, now_ms) > 0
        limit = rules.queue_limit_ms(now_ms) if heavy else None
        queue = self._seen.get(QUEUE, QuotaState())
        for _ in range(self.max_tries):
            if queue.version and queue.reach_ms >= now_ms:
                wanted = replace(queue, reach_ms=queue.reach_ms + interval)
                placed, stored = self.store.increment(QUEUE, Step(queue.window_start_ms, now_ms, interval, 0, limit), rules.expires_at_s(wanted))
                self._remember(QUEUE, stored)
                if placed:
                    return True, stored
                if limit is not None and stored.version and stored.reach_ms > limit:
                    return False, stored
            else:  # the queue was idle: this order is next
                wanted = QuotaState(0, queue.count + 1, now_ms + interval, max(queue.version + 1, now_ms))
                stored = self.store.write_if_unchanged(QUEUE, wanted, queue.version, rules.expires_at_s(wanted)) or wanted
                self._remember(QUEUE, stored)
                if stored is wanted:
                    return True, wanted
            queue = stored
        raise StoreBusy(f"the shared queue's record stayed contended for {self.max_tries} tries; try again shortly")

    def _may_confirm(self, key_id: str, now_ms: int) -> bool:
        if now_ms - self._confirmed.get(key_id, now_ms - CONFIRM_EVERY_MS) < CONFIRM_EVERY_MS:
            return False
        self._confirmed[key_id] = now_ms
        self._confirmed.move_to_end(key_id)
        if len(self._confirmed) > self.max_keys:
            self._confirmed.popitem(last=False)
        return True

    def _read_back(self, key_id: str, queued: bool) -> QuotaState:
        """The key's record (and the shared queue's, when the order would take a place) as stored."""
        state = self.store.read(key_id)
        self._remember(key_id, state)
        if queued:
            self._remember(QUEUE, self.store.read(QUEUE))
        return state

    def _remember(self, key_id: str, state: QuotaState) -> None:
        self._seen[key_id] = state
        self._seen.move_to_end(key_id)
        if len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
