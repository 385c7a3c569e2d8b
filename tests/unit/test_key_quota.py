"""Per-key limits at submit time: an order rate per calendar minute, and a bound on how far one
key's orders reach into the shared execution queue."""

import itertools
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solroute.logic.key_quota import QUEUE, WINDOW_MS, KeyQuota, QuotaRules, engine_interval_ms
from solroute.models.errors import RateLimited, StoreBusy
from solroute.models.key_quota import QuotaState

from tests.quota_fakes import InMemoryKeyQuotaStore

MINUTE = 1_790_000_040_000  # the start of a calendar minute (epoch ms)
INTERVAL = 615  # the engine's pace at 100 orders per 61.5 s
KEY = "sr_key1"


def quota(store=None, backlog_ms=10_000, interval_ms=INTERVAL):
    return KeyQuota(store if store is not None else InMemoryKeyQuotaStore(), backlog_ms, interval_ms)


def test_the_engine_interval_is_the_global_limits_pace_and_0_when_it_is_off():
    assert engine_interval_ms(100, Decimal("61.5")) == 615
    assert engine_interval_ms(7, 60) == 8572, "rounded up: never faster than the engine"
    assert engine_interval_ms(0, 60) == 0


# ------------------------------------------------------------------ the rate rule
def test_a_key_gets_its_rate_per_calendar_minute_then_is_told_to_wait_for_the_next_one():
    keys = quota(interval_ms=0)
    accepted = [keys.admit(KEY, 60, MINUTE + i * 100).accepted for i in range(60)]
    refused = keys.admit(KEY, 60, MINUTE + 45_000)
    assert all(accepted)
    assert not refused.accepted
    assert refused.retry_after_s == 15
    assert refused.reason == "this API key's limit of 60 orders a minute"


def test_the_count_starts_again_when_the_minute_rolls_over():
    keys = quota(interval_ms=0)
    for i in range(3):
        keys.admit(KEY, 3, MINUTE + i)
    assert not keys.admit(KEY, 3, MINUTE + WINDOW_MS - 1).accepted
    decision = keys.admit(KEY, 3, MINUTE + WINDOW_MS)
    assert decision.accepted
    assert (decision.state.window_start_ms, decision.state.count) == (MINUTE + WINDOW_MS, 1)


def test_a_refusal_changes_nothing_stored_and_writes_nothing():
    store = InMemoryKeyQuotaStore()
    keys = quota(store, interval_ms=0)
    keys.admit(KEY, 1, MINUTE)
    stored, calls = store.read(KEY), store.calls
    decision = keys.admit(KEY, 1, MINUTE + 10)
    assert not decision.accepted
    assert decision.state == stored
    assert store.read(KEY) == stored
    assert store.calls == calls + 2, "the read above, and one read confirming the refusal: nothing written"
    assert not keys.admit(KEY, 1, MINUTE + 500).accepted
    assert store.calls == calls + 2, "a refusal within a second of a confirmed one makes no call"


def test_a_refund_on_one_instance_lets_the_retry_in_on_another():
    """Review of defect 2's fix: each instance refuses on its own copy, which a refund on another
    instance leaves stricter than the store: the client's retry landing there was a 429."""
    store = InMemoryKeyQuotaStore()
    a, b = KeyQuota(store, 5_000, 615), KeyQuota(store, 5_000, 615)  # two warm API instances
    first = a.admit(KEY, 2, MINUTE + 1_000)  # order 1, on A: then its store write is throttled (503)
    assert first.accepted and b.admit(KEY, 2, MINUTE + 1_010).accepted  # order 2, on B: the key's 2nd of 2
    a.refund(KEY, first)  # A answers 503 and gives order 1 back
    assert store.read(KEY).count == 1
    retry = b.admit(KEY, 2, MINUTE + 1_020)  # the client's retry of order 1 lands on B
    assert retry.accepted, f"429 for an order the store has room for: {retry.reason}, retry after {retry.retry_after_s} s"
    assert not b.admit(KEY, 2, MINUTE + 1_030).accepted and store.read(KEY).count == 2


def test_each_key_has_its_own_count():
    keys = quota(interval_ms=0)
    assert keys.admit("a", 1, MINUTE).accepted
    assert not keys.admit("a", 1, MINUTE).accepted
    assert keys.admit("b", 1, MINUTE).accepted


def test_a_rate_of_0_turns_the_rate_rule_off():
    keys = quota(interval_ms=0)
    assert all(keys.admit(KEY, 0, MINUTE).accepted for _ in range(500))


# ------------------------------------------------------------------ the backlog rule
def test_a_burst_fills_the_backlog_then_the_next_order_waits_for_the_excess():
    keys = quota(backlog_ms=10_000)
    accepted = [keys.admit(KEY, 1_000, MINUTE).accepted for _ in range(17)]
    assert accepted == [True] * 16 + [False], "16 x 615 ms = 9.84 s fits in 10 s; a 17th would reach 10.455 s"
    refused = keys.admit(KEY, 1_000, MINUTE)
    assert refused.retry_after_s == 1, "455 ms over, rounded up"
    assert refused.reason == "this API key has filled the shared queue (10 s of orders waiting ahead of other clients')"


def test_the_backlog_drains_at_the_engines_pace():
    keys = quota(backlog_ms=10_000)
    while keys.admit(KEY, 1_000, MINUTE).accepted:
        pass
    assert not keys.admit(KEY, 1_000, MINUTE + 454).accepted
    assert keys.admit(KEY, 1_000, MINUTE + 455).accepted, "the first order's start made room for one more"
    assert not keys.admit(KEY, 1_000, MINUTE + 455).accepted
    assert [keys.admit(KEY, 1_000, MINUTE + 17 * INTERVAL).accepted for _ in range(16)] == [True] * 16, "drained once all 17 would have started"


def test_a_retry_after_the_advertised_wait_is_accepted():
    keys = quota(backlog_ms=5_000, interval_ms=2_000)
    now = MINUTE
    for _ in range(2):
        keys.admit(KEY, 1_000, now)
    refused = keys.admit(KEY, 1_000, now)
    assert refused.retry_after_s == 1, "reach would be 6 s ahead: 1 s over"
    assert keys.admit(KEY, 1_000, now + refused.retry_after_s * 1000).accepted


def test_an_order_sent_at_the_engines_pace_is_never_refused():
    keys = quota(backlog_ms=2_000)
    assert all(keys.admit(KEY, 10_000, MINUTE + i * INTERVAL).accepted for i in range(500))


def test_an_interval_of_0_turns_the_backlog_rule_off():
    keys = quota(backlog_ms=1, interval_ms=0)
    assert all(keys.admit(KEY, 10_000, MINUTE).accepted for _ in range(1_000))


def test_when_both_rules_refuse_the_later_retry_is_given():
    keys = quota(backlog_ms=3_000, interval_ms=1_000)
    for _ in range(3):
        keys.admit(KEY, 3, MINUTE)
    refused = keys.admit(KEY, 3, MINUTE)
    assert refused.retry_after_s == 60
    assert refused.reason == "this API key's limit of 3 orders a minute"


def test_a_backlog_shorter_than_one_order_is_a_configuration_error():
    with pytest.raises(ValueError):
        quota(backlog_ms=100, interval_ms=INTERVAL)


def test_a_refusal_becomes_the_429_error():
    keys = quota(interval_ms=0)
    keys.admit(KEY, 1, MINUTE)
    error = keys.admit(KEY, 1, MINUTE + 20_000).error()
    assert isinstance(error, RateLimited)
    assert error.retry_after_s == 40
    assert "60 orders" not in error.message and "limit of 1 orders a minute" in error.message


# ------------------------------------------------------------------ storage: one call, and races
@pytest.mark.parametrize("interval_ms, writes", [(INTERVAL, 2), (0, 1)], ids=["backlog-rule", "no-backlog-rule"])
def test_an_accepted_order_costs_its_keys_write_and_its_place_in_the_queue_once_the_instance_has_seen_both(interval_ms, writes):
    store = InMemoryKeyQuotaStore()
    keys = quota(store, interval_ms=interval_ms)
    for i in range(10):
        keys.admit(KEY, 1_000, MINUTE + i * 1_000)
    assert store.calls == 10 * writes


def test_an_instance_that_lost_a_race_decides_again_on_what_won():
    store = InMemoryKeyQuotaStore()
    a, b = quota(store, interval_ms=0), quota(store, interval_ms=0)
    a.admit(KEY, 2, MINUTE)
    store.calls = 0
    assert b.admit(KEY, 2, MINUTE).accepted, "b had not seen the key: its first write conflicts, then counts 2"
    assert store.calls == 2
    assert store.read(KEY).count == 2


def test_a_copy_behind_the_store_never_lets_an_extra_order_in():
    store = InMemoryKeyQuotaStore()
    a, b = quota(store, interval_ms=0), quota(store, interval_ms=0)
    assert a.admit(KEY, 2, MINUTE).accepted
    assert b.admit(KEY, 2, MINUTE).accepted
    decision = a.admit(KEY, 2, MINUTE + 1)
    assert not decision.accepted, "a thought the count was 1; the write over its old version lost and it saw 2"
    assert store.read(KEY).count == 2


def test_instances_admitting_the_same_key_at_once_never_make_each_other_retry():
    store = InMemoryKeyQuotaStore()
    keys, other = quota(store), quota(store)
    keys.admit(KEY, 1_000, MINUTE), other.admit(KEY, 1_000, MINUTE)  # both have seen the key
    store.calls = 0

    def someone_else_counts_first():
        other.admit(KEY, 1_000, MINUTE + 1)

    for _ in range(5):
        store.before_next_write = someone_else_counts_first
        assert keys.admit(KEY, 1_000, MINUTE + 1).accepted
    # Each admission: its key's increment and its place, whatever landed in between.
    assert store.calls == 5 * 2 * 2
    assert store.read(KEY).count == 2 + 10 and store.read(QUEUE).count == 12


def test_endless_contention_gives_up_with_the_transient_error():
    store = InMemoryKeyQuotaStore()
    keys = quota(store)
    keys.admit(KEY, 1_000, MINUTE)
    versions = itertools.count(MINUTE + 10)

    def someone_else_rewrites_the_record():  # a new minute each time: only a versioned write can follow
        stored = store.read(KEY)
        store.items[KEY] = (QuotaState(stored.window_start_ms + WINDOW_MS, 0, 0, next(versions)), 0)
        store.before_next_write = someone_else_rewrites_the_record

    store.before_next_write = someone_else_rewrites_the_record
    with pytest.raises(StoreBusy):
        keys.admit(KEY, 1_000_000, MINUTE + 1)


def test_a_record_deleted_by_ttl_and_made_again_is_not_overwritten_from_an_old_copy():
    store = InMemoryKeyQuotaStore()
    a, b = quota(store, interval_ms=0), quota(store, interval_ms=0)
    a.admit(KEY, 1, MINUTE)
    del store.items[KEY]  # TTL deleted the idle key's record
    later = MINUTE + 10 * WINDOW_MS
    assert b.admit(KEY, 1, later).accepted, "the new record's first version"
    assert not a.admit(KEY, 1, later).accepted, "a's copy is of the old record's first version: it must not match"


Step = tuple[int, int, bool]  # (which admitter, ms since the last step, another admitter writes in between)


def _run(steps: list[Step], rate: int, backlog_ms: int, interval_ms: int):
    """Three admitters (three Lambda instances) share one store. Returns each accepted order's
    time, in the order their writes landed, and the store."""
    store = InMemoryKeyQuotaStore()
    admitters = [quota(store, backlog_ms, interval_ms) for _ in range(3)]
    landed, now = [], MINUTE - 30_000
    for who, gap_ms, interleaved in steps:
        now += gap_ms

        def admit(admitter: KeyQuota, at: int = now) -> None:
            if admitter.admit(KEY, rate, at).accepted:
                landed.append(at)

        if interleaved:
            store.before_next_write = lambda other=admitters[(who + 1) % 3]: admit(other)
        admit(admitters[who])
        store.before_next_write = None  # unused when the instance refused without writing
    return landed, store


def _check_limits(landed: list[int], store, rate: int, backlog_ms: int, interval_ms: int):
    """However the admitters raced, the accepted orders are ones a single admitter would have
    accepted in the same order, and the store holds exactly what it would have."""
    rules, state, queue = QuotaRules(backlog_ms, interval_ms), QuotaState(), 0
    for at in landed:
        decision = rules.decide(state, queue, rate, at)
        assert decision.accepted
        state, queue = decision.state, decision.queue_reach_ms
    assert store.read(KEY).count == state.count
    # A place an instance took and could not give back (another took one behind it) stays
    # empty: the stored reach may only be later than a single admitter's, which is stricter.
    assert store.read(KEY).reach_ms >= state.reach_ms
    for minute, group in itertools.groupby(landed, key=lambda t: t - t % WINDOW_MS):
        assert len(list(group)) <= rate, minute


def test_every_interleaving_of_two_instances_keeps_both_limits():
    """Exhaustive over short runs: which of two instances serves each request, and whether
    another instance's write lands between its decision and its write."""
    rate, backlog_ms, interval_ms = 3, 2_000, 600
    choices = [(who, gap, interleaved) for who in (0, 1) for gap in (0, 700) for interleaved in (False, True)]
    runs = 0
    for steps in itertools.product(choices, repeat=4):
        landed, store = _run(list(steps), rate, backlog_ms, interval_ms)
        _check_limits(landed, store, rate, backlog_ms, interval_ms)
        runs += 1
    assert runs == 8**4


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4_000), st.booleans()), min_size=1, max_size=120),
    st.integers(1, 20),
    st.sampled_from([0, 300, 615]),
)
def test_instances_racing_never_accept_more_than_the_limits_allow(steps, rate, interval_ms):
    landed, store = _run(steps, rate, 5_000, interval_ms)
    _check_limits(landed, store, rate, 5_000, interval_ms)


# ------------------------------------------------------------------ keys sharing the queue
def _fifo_waits(accepted: list[tuple[int, str]], interval_ms: int) -> dict[str, list[int]]:
    """The engine as the queue model has it, apart from the quota: orders start first come,
    first served, ``interval_ms`` apart. Each key's orders' waits from acceptance to start."""
    waits: dict[str, list[int]] = {}
    last_start = None
    for at, key in accepted:
        start = at if last_start is None else max(at, last_start + interval_ms)
        waits.setdefault(key, []).append(start - at)
        last_start = start
    return waits


def _flood(backlog_ms: int, minutes: int) -> tuple[list[tuple[int, str]], list[bool]]:
    """Key A tries ten orders a second; key B sends 20 a minute at random (Poisson), and three
    at once each half minute. Returns the accepted orders (time, key) in order, and whether
    each of B's was accepted."""
    rng = random.Random(11)
    keys, accepted, b_answers = quota(backlog_ms=backlog_ms, interval_ms=600), [], []
    for tick in range(minutes * 600):
        now = MINUTE + tick * 100
        if keys.admit("sr_flood", 100_000, now).accepted:
            accepted.append((now, "A"))
        b_orders = (3 if tick % 300 == 150 else 0) + (1 if rng.random() < 20 / 600 else 0)
        for _ in range(b_orders):
            b_answers.append(keys.admit("sr_steady", 100_000, now).accepted)
            if b_answers[-1]:
                accepted.append((now, "B"))
    return accepted, b_answers


def test_a_flooding_key_keeps_the_engine_busy_but_never_delays_another_keys_orders_more_than_the_backlog():
    accepted, b_answers = _flood(backlog_ms=10_000, minutes=10)
    waits = _fifo_waits(accepted, 600)
    assert all(b_answers), "the other key is never refused because of the flood"
    assert max(waits["B"]) <= 10_000 + 4 * 600, max(waits["B"])  # the bound, plus B's own burst of three
    # The flood still gets every start the other key leaves: the engine never idles.
    assert len(accepted) >= 10 * 100 - 10


def test_the_bound_holds_however_long_the_flood_lasts():
    short, _ = _flood(backlog_ms=5_000, minutes=2)
    long, _ = _flood(backlog_ms=5_000, minutes=12)
    assert max(_fifo_waits(long, 600)["B"]) <= 5_000 + 4 * 600 and max(_fifo_waits(short, 600)["B"]) <= 5_000 + 4 * 600


def test_a_place_taken_for_an_order_its_key_then_cannot_have_is_given_back():
    store = InMemoryKeyQuotaStore()
    a, b = quota(store), quota(store)
    # b admits the key's one order of the minute while a is taking its place in the queue.
    store.before_next_write = lambda: b.admit(KEY, 1, MINUTE)
    assert not a.admit(KEY, 1, MINUTE).accepted
    assert store.read(QUEUE).reach_ms == MINUTE + INTERVAL and store.read(KEY).count == 1, "one order, one place"
