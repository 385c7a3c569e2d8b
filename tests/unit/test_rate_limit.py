"""The shared sliding log: at most N starts in any rolling minute, and no waiting it does not need."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from solroute.logic.backoff import backoff_seconds
from solroute.logic.rate_limit import LogState, RateLimiter, SlidingLog

from tests.fakes import FakeClock, InMemoryRateLimitStore


def _most_in_a_window(times, window_ms=60_000):
    times = sorted(times)
    return max((sum(1 for s in times[i:] if s < t + window_ms) for i, t in enumerate(times)), default=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5_000), min_size=50, max_size=400))
def test_reserved_slots_never_put_more_than_the_rate_in_a_rolling_minute(gaps_ms):
    log, state, now, slots = SlidingLog(100), LogState(), 0, []
    for gap in gaps_ms:
        now += gap
        state, slot, _ = log.reserve(state, now)
        assert slot >= now
        slots.append(slot)
    assert _most_in_a_window(slots) <= 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3_000), min_size=50, max_size=400))
def test_reserved_slots_are_the_most_permissive_schedule_that_keeps_the_rule(gaps_ms):
    """Each slot is as early as the rule allows: the (N+1)-th slot of any run is exactly a
    window after the first, and nothing waits while the last window holds fewer than N."""
    log, state, now = SlidingLog(100), LogState(), 0
    slots = []
    for gap in gaps_ms:
        now += gap
        state, slot, _ = log.reserve(state, now)
        ideal = now if len(slots) < 100 else max(now, slots[-100] + 60_000)
        assert slot == ideal
        slots.append(slot)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3_000), min_size=50, max_size=400), st.integers(0, 5_000))
def test_real_starts_never_break_the_rule_however_late_and_bunched_orders_arrive(gaps_ms, lateness_ms):
    """Orders reach a consumer whenever their messages happen to be delivered (arbitrary
    gaps, each some time after its slot); each starts only when the log of real starts
    allows it, and otherwise waits."""
    log, state, now, starts, waiting = SlidingLog(100, 61_500), LogState(), 0, [], 0
    rng = random.Random(len(gaps_ms))
    for gap in gaps_ms:
        now += gap + rng.randint(0, lateness_ms)
        waiting += 1
        while waiting:
            new_state, wait = log.start(state, now)
            if new_state is None:
                assert wait > 0
                break  # the rest wait (in place, or requeued) until the rule allows
            state, waiting = new_state, waiting - 1
            starts.append(now)
    assert _most_in_a_window(starts) <= 100


def test_a_quiet_minute_lets_a_burst_start_at_once_then_the_next_order_waits_for_the_oldest():
    log, state = SlidingLog(100, 61_500), LogState()
    for i in range(100):
        state, slot, started = log.reserve(state, 1_000 + i)
        assert (slot, started) == (1_000 + i, True)
    state, slot, started = log.reserve(state, 5_000)
    assert (slot, started) == (1_000 + 61_500, False), "a backlog's slot is a window after the slot it replaces"


def test_a_late_order_waits_for_the_real_starts_not_only_for_its_slot():
    log, state = SlidingLog(1, 61_500), LogState()
    state, _, started = log.reserve(state, 0)  # A starts at once
    state, slot_b, _ = log.reserve(state, 1_000)
    assert started and slot_b == 61_500
    state, _ = log.start(state, 70_000)  # B was delivered 8.5 s after its slot
    state, slot_c, started = log.reserve(state, 62_000)
    assert slot_c == 123_000 and not started
    assert log.start(state, slot_c) == (None, 7_000), "C's slot came, but B started only 53 s ago"
    assert log.start(state, 130_000)[1] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2_000), min_size=20, max_size=300), st.sampled_from([300, 615]))
def test_a_least_gap_spaces_slots_and_still_keeps_the_rule(gaps_ms, gap):
    log, state, now, slots = SlidingLog(100, 61_500, min_gap_ms=gap), LogState(), 0, []
    for step in gaps_ms:
        now += step
        state, slot, _ = log.reserve(state, now)
        slots.append(slot)
    assert all(b - a >= gap for a, b in zip(slots, slots[1:]))
    assert _most_in_a_window(slots) <= 100


def test_with_a_least_gap_a_burst_starts_at_that_pace_not_all_at_once():
    log, state = SlidingLog(100, 61_500, min_gap_ms=300), LogState()
    slots = []
    for _ in range(5):
        state, slot, _ = log.reserve(state, 0)
        slots.append(slot)
    assert slots == [0, 300, 600, 900, 1200]
    state, _ = log.start(state, 1_200)
    assert log.start(state, 1_200 + 269) == (None, 1), "real starts keep 90% of the gap"
    assert log.start(state, 1_200 + 270)[1] == 0


def test_the_state_fits_one_write_unit_and_round_trips():
    log, state = SlidingLog(100, 61_500), LogState()
    now = 1_790_000_000_000
    for i in range(250):
        state, _, _ = log.reserve(state, now + i * 10)
    data = state.pack()
    assert len(data) < 1000 - 40, "item key, version and attribute names must fit beside it"
    assert LogState.unpack(data) == state
    assert LogState.unpack(None) == LogState() == LogState.unpack(b"")


def test_times_older_than_a_window_are_dropped():
    log, state = SlidingLog(100, 61_500), LogState()
    state, _, _ = log.reserve(state, 0)
    state, _, _ = log.reserve(state, 10 * 60_000)
    assert state.reserved == (600_000,) and state.started == (600_000,)


def test_rate_zero_disables_the_limiter():
    limiter = RateLimiter(InMemoryRateLimitStore(), SlidingLog(0), FakeClock())
    assert all(limiter.reserve().started for _ in range(1000))
    assert [limiter.try_start() for _ in range(1000)] == [0] * 1000


def test_the_limiter_retries_a_lost_conditional_write():
    store, clock = InMemoryRateLimitStore(), FakeClock()
    limiter = RateLimiter(store, SlidingLog(1), clock)
    first = clock.now_ms()
    assert limiter.reserve().started
    store.conflicts_to_inject = 3
    reservation = limiter.reserve()
    assert not reservation.started and reservation.slot_ms == first + 60_000
    assert len(clock.sleeps) == 3, "it backed off a little before each retry"
    _, version = store.items["orders"]
    assert version == 5


def test_a_clock_behind_what_another_consumer_stored_never_writes_the_past():
    store, clock = InMemoryRateLimitStore(), FakeClock()
    ahead = RateLimiter(store, SlidingLog(1), FakeClock(start_ms=clock.now_ms() + 5_000))
    assert ahead.reserve().started
    reservation = RateLimiter(store, SlidingLog(1), clock).reserve()
    assert reservation.slot_ms == clock.now_ms() + 5_000 + 60_000


def test_backoff_doubles_with_jitter_even_on_the_first_retry():
    rng = random.Random(1)
    for count, (low, high) in ((1, (1, 3)), (2, (2, 6)), (3, (4, 12))):
        delays = [backoff_seconds(count, 2.0, rng) for _ in range(300)]
        assert (min(delays), max(delays)) == (low, high), count
        # Orders that failed together must not retry together: no single delay dominates.
        assert max(delays.count(d) for d in set(delays)) < 0.5 * len(delays), count
    assert backoff_seconds(1, 0) == 1  # never zero: SQS would redeliver at once
