"""The shared token bucket: at most N starts in any rolling minute."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from solroute.logic.backoff import backoff_seconds
from solroute.logic.rate_limit import RateLimiter, TokenBucket
from tests.fakes import FakeClock, InMemoryRateLimitStore


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5_000), min_size=50, max_size=400))
def test_reserved_slots_never_put_more_than_the_rate_in_a_rolling_minute(gaps_ms):
    bucket, state, now, starts = TokenBucket(100, 1), None, 0, []
    for gap in gaps_ms:
        now += gap
        state, wait = bucket.reserve(state, now)
        starts.append(now + wait)
    starts.sort()
    for i, t in enumerate(starts):
        in_window = sum(1 for s in starts[i:] if s < t + 60_000)
        assert in_window <= 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3_000), min_size=50, max_size=400))
def test_actual_starts_never_exceed_the_rate_however_late_and_bunched_orders_arrive(gaps_ms):
    """Orders arrive whenever their messages happen to be delivered (here: bunches of
    arbitrary gaps); each starts only with a token from the strict bucket."""
    bucket, state, now, starts = TokenBucket(100, 1), None, 0, []
    waiting = 0
    for gap in gaps_ms:
        now += gap
        waiting += 1
        while waiting:
            new_state, wait = bucket.take(state, now)
            if new_state is None:
                break  # the rest wait (in place, or requeued) until a token is due
            state, waiting = new_state, waiting - 1
            starts.append(now)
    for i, t in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < t + 60_000) <= 100


def test_the_strict_bucket_says_how_long_until_a_token_without_taking_one():
    bucket = TokenBucket(100, 1)
    state, wait = bucket.take(None, 0)
    assert wait == 0
    assert bucket.take(state, 100) == (None, 500)
    assert bucket.take(state, 100) == (None, 500), "asking twice takes nothing"
    assert bucket.take(state, 600)[1] == 0


def test_a_61_5_second_window_spaces_100_starts_615_ms_apart():
    bucket, state, waits = TokenBucket(100, 1, Decimal("61.5")), None, []
    for _ in range(3):
        state, wait = bucket.reserve(state, 0)
        waits.append(wait)
    assert waits == [0, 615, 1230]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3_000), min_size=50, max_size=400), st.integers(0, 60))
def test_the_strict_buckets_headroom_absorbs_lateness_but_never_allows_two_at_once(gaps_ms, lateness_ms):
    bucket = TokenBucket(100, 1, Decimal("61.5")).strict()
    state, now, starts = None, 0, []
    for gap in gaps_ms:
        now += gap + lateness_ms
        new_state, wait = bucket.take(state, now)
        if new_state is None:
            now += wait
            new_state, wait = bucket.take(state, now)
        state = new_state
        starts.append(now)
    assert all(b - a >= 615 * 0.9 - 1 for a, b in zip(starts, starts[1:])), "never two starts closer than 0.9 tokens"
    for i, t in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < t + 60_000) <= 98
        assert sum(1 for s in starts[i:] if s < t + 61_000) <= 100


def test_late_starts_do_not_push_every_later_start_back():
    """Each start 40 ms after its slot: with headroom the schedule keeps its pace."""
    bucket = TokenBucket(100, 1, Decimal("61.5")).strict()
    state, slot, starts = None, 0, []
    for _ in range(200):
        now = max(slot + 40, starts[-1] + 1 if starts else 0)
        new_state, wait = bucket.take(state, now)
        if new_state is None:
            now += wait
            new_state, _ = bucket.take(state, now)
        state, slot = new_state, slot + 615
        starts.append(now)
    assert starts[-1] - (199 * 615) < 700, "the lag stays bounded instead of growing by 40 ms a start"


def test_a_backlog_is_spread_over_consecutive_slots():
    bucket, state, waits = TokenBucket(100, 1), None, []
    for _ in range(5):
        state, wait = bucket.reserve(state, 0)
        waits.append(wait)
    assert waits == [0, 600, 1200, 1800, 2400]


def test_an_idle_bucket_refills_up_to_its_burst_only():
    bucket = TokenBucket(60, 3)
    state, _ = bucket.reserve(None, 0)
    state, wait = bucket.reserve(state, 3_600_000)  # an hour idle
    assert wait == 0 and state.tokens == 2  # capped at 3, one taken


def test_rate_zero_disables_the_limiter():
    limiter = RateLimiter(InMemoryRateLimitStore(), TokenBucket(0), FakeClock())
    assert [limiter.reserve() + limiter.try_start() for _ in range(1000)] == [0] * 1000


def test_the_limiter_retries_a_lost_conditional_write():
    store = InMemoryRateLimitStore()
    limiter = RateLimiter(store, TokenBucket(100, 1), FakeClock())
    assert limiter.reserve() == 0
    store.conflicts_to_inject = 3
    assert limiter.reserve() > 0
    tokens, _, version = store.items["orders-reserved"]
    assert version == 5 and tokens < 0


def test_backoff_doubles_with_jitter_even_on_the_first_retry():
    import random

    rng = random.Random(1)
    for count, (low, high) in ((1, (1, 3)), (2, (2, 6)), (3, (4, 12))):
        delays = [backoff_seconds(count, 2.0, rng) for _ in range(300)]
        assert (min(delays), max(delays)) == (low, high), count
        # Orders that failed together must not retry together: no single delay dominates.
        assert max(delays.count(d) for d in set(delays)) < 0.5 * len(delays), count
    assert backoff_seconds(1, 0) == 1  # never zero: SQS would redeliver at once
