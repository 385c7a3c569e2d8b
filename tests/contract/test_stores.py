"""One contract, two implementations: every port test runs against the in-memory fake the
unit tests use and against the DynamoDB adapter on moto (tables created from template.yaml).
A fake that drifts from its adapter makes the unit tests, the fault matrix and the race tests
prove nothing; this suite keeps them honest."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from moto import mock_aws
from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
from solroute.dal.dynamodb.chain_ledger import DynamoChainLedger
from solroute.dal.dynamodb.connections import DynamoConnectionRepository
from solroute.dal.dynamodb.items import subscriber_keys, subscribers_in
from solroute.dal.dynamodb.key_connections import DynamoKeyConnections
from solroute.dal.dynamodb.lease import DynamoLease
from solroute.dal.dynamodb.orders import DynamoOrderRepository
from solroute.dal.dynamodb.rate_limit import DynamoRateLimitStore
from solroute.dal.dynamodb.subscribers import DynamoSubscribers
from solroute.logic.state_machine import transition
from solroute.models.errors import (
    AttemptsExhausted,
    DuplicateKey,
    DuplicateOrder,
    InvalidRequest,
    OrderNotFound,
    StaleOrder,
    TooManySubscribers,
)
from solroute.models.keys import ApiKey
from solroute.models.order import HistoryEntry, Order, OrderStatus
from solroute.ports import MAX_SUBSCRIBERS, Clock, WatchedOrder

from localcloud.resources import deploy
from localcloud.template import Template
from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
from solroute.dal.dynamodb.chain_ledger import DynamoChainLedger
from solroute.dal.dynamodb.connections import DynamoConnectionRepository
from solroute.dal.dynamodb.items import subscriber_keys, subscribers_in
from solroute.dal.dynamodb.lease import DynamoLease
from solroute.dal.dynamodb.orders import DynamoOrderRepository
from solroute.dal.dynamodb.rate_limit import DynamoRateLimitStore
from solroute.dal.dynamodb.subscribers import DynamoSubscribers
from solroute.dal.dynamodb.key_connections import DynamoKeyConnections
from solroute.ports import MAX_SUBSCRIBERS, WatchedOrder
from solroute.ports import Clock
from solroute.logic.state_machine import transition
from solroute.models.errors import AttemptsExhausted, DuplicateKey, DuplicateOrder, InvalidRequest, OrderNotFound, StaleOrder, TooManySubscribers
from solroute.models.keys import ApiKey
from solroute.models.order import HistoryEntry, Order, OrderStatus
from tests.fakes import (
    FakeClock, InMemoryApiKeys, InMemoryConnections, InMemoryKeyConnections, InMemoryLease, InMemoryLedger, InMemoryOrders, InMemoryRateLimitStore, InMemorySubscribers,
)  # fmt: skip
from tests.lambdas import ROOT
from tests.support.counting_table import CountingTable

S = OrderStatus
WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
OTHER_WALLET = "7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"


@pytest.fixture(scope="module")
def moto_tables():
    with mock_aws():
        template = Template(ROOT / "template.yaml")
        kwargs = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        deployed = deploy(template, boto3.client("dynamodb", **kwargs), boto3.client("sqs", **kwargs), "contract", {})
        resource = boto3.resource("dynamodb", **kwargs)
        yield lambda logical_id: resource.Table(deployed.tables[logical_id]["name"])


@pytest.fixture(params=["fake", "dynamodb"])
def impl(request, moto_tables):
    return request.param, moto_tables


@pytest.fixture
def orders(impl):
    kind, tables = impl
    return InMemoryOrders() if kind == "fake" else DynamoOrderRepository(tables("OrdersTable"))


@pytest.fixture
def clock():
    return FakeClock()


_counter = iter(range(10**9))


OWNER, OTHER_OWNER = "owner-a", "owner-b"


def new_order(
    clock: Clock, wallet: str | None = WALLET, deadline_ms: int | None = None, created_offset_ms: int = 0, owner: str = OWNER
) -> Order:
    now = clock.now_ms() + created_offset_ms
    stamp = clock.iso(now)
    return Order(
        orderId=f"00000000-0000-4000-8000-{next(_counter):012d}",
        tokenIn="SOL",
        tokenOut="USDC",
        amountIn=Decimal("0.0000001"),
        slippage=Decimal("0.01"),
        wallet=wallet,
        owner=owner,
        createdAt=stamp,
        updatedAt=stamp,
        statusAtMs=now,
        history=[HistoryEntry(status=S.PENDING, seq=1, timestamp=stamp, timestampMs=now, message="Order received")],
        startDeadlineMs=deadline_ms,
    )


def step(order: Order, target: OrderStatus, clock: Clock) -> Order:
    return transition(order, target, f"to {target.value}", clock)


# ------------------------------------------------------------------ orders
def test_an_order_reads_back_exactly_as_written(orders, clock):
    order = new_order(clock, deadline_ms=123)
    orders.create(order)
    assert orders.get(order.orderId) == order
    assert orders.get(order.orderId).amountIn == Decimal("0.0000001")


def test_creating_an_existing_id_is_refused(orders, clock):
    order = new_order(clock)
    orders.create(order)
    with pytest.raises(DuplicateOrder):
        orders.create(order)


def test_an_unknown_id_reads_as_none(orders):
    assert orders.get("00000000-0000-4000-8000-ffffffffffff") is None


def test_a_transition_is_written_only_from_the_status_and_seq_it_was_read_at(orders, clock):
    order = new_order(clock)
    orders.create(order)
    routing = step(order, S.ROUTING, clock)
    orders.save_transition(order, routing)
    with pytest.raises(StaleOrder):
        orders.save_transition(order, step(order, S.FAILED, clock))  # read before the move
    assert orders.get(order.orderId).status is S.ROUTING


def test_a_transition_of_an_unknown_order_is_stale(orders, clock):
    ghost = new_order(clock)
    with pytest.raises(StaleOrder):
        orders.save_transition(ghost, step(ghost, S.ROUTING, clock))


def test_a_transition_from_a_copy_read_before_an_attempt_cannot_put_the_counter_back(orders, clock):
    """Defect 4: a step written from an older copy must not put the attempt counter back."""
    order = new_order(clock)
    orders.create(order)
    read_by_a = orders.get(order.orderId)
    read_by_b = orders.record_attempt(read_by_a, 3, 1)  # another delivery starts an attempt
    with pytest.raises(StaleOrder):
        orders.save_transition(read_by_a, step(read_by_a, S.ROUTING, clock))  # a still says attempts=0
    orders.save_transition(read_by_b, step(read_by_b, S.ROUTING, clock))
    stored = orders.get(order.orderId)
    assert (stored.status, stored.attempts, stored.attemptStartedAtMs) == (S.ROUTING, 1, [1])


def test_an_attempt_counts_only_against_the_state_it_was_read_in(orders, clock):
    order = new_order(clock)
    orders.create(order)
    first = orders.record_attempt(order, 3, 10)
    assert (first.attempts, first.attemptStartedAtMs) == (1, [10])
    orders.save_transition(first, step(first, S.ROUTING, clock))
    with pytest.raises(StaleOrder):
        orders.record_attempt(first, 3, 11)  # the order moved on since this copy was read
    assert orders.get(order.orderId).attempts == 1


def test_an_attempt_and_the_step_it_begins_are_one_write(orders, clock):
    order = new_order(clock, deadline_ms=5_000)
    orders.create(order)
    routing = step(order, S.ROUTING, clock)
    started = orders.record_attempt(order, 3, 10, moving_to=routing)
    stored = orders.get(order.orderId)
    assert stored == started
    assert (stored.status, stored.seq, stored.attempts, stored.attemptStartedAtMs) == (S.ROUTING, order.seq + 1, 1, [10])
    assert stored.startDeadlineMs is None and order.orderId not in orders.pending_past_deadline(10**12, 100), "left pending: out of the sweeper's index"
    with pytest.raises(StaleOrder):
        orders.record_attempt(order, 3, 11, moving_to=routing)  # a duplicate delivery's copy: still pending
    assert orders.get(order.orderId).attempts == 1


def test_a_combined_attempt_from_a_copy_with_an_older_counter_is_refused_as_stale(orders, clock):
    order = new_order(clock)
    orders.create(order)
    counted = orders.record_attempt(order, 3, 10)  # an attempt that did not move the order
    with pytest.raises(StaleOrder):
        orders.record_attempt(order, 3, 11, moving_to=step(order, S.ROUTING, clock))
    assert orders.get(order.orderId) == counted


def test_attempts_stop_at_the_maximum(orders, clock):
    order = new_order(clock)
    orders.create(order)
    second = orders.record_attempt(orders.record_attempt(order, 2, 1), 2, 2)
    with pytest.raises(AttemptsExhausted):
        orders.record_attempt(second, 2, 3)
    assert orders.get(order.orderId).attempts == 2


def test_two_deliveries_holding_the_same_copy_count_one_attempt_and_the_winner_knows_the_counter(orders, clock):
    """A duplicate delivery read the order at the same status, seq and counter: only one of the
    two counts an attempt, and the copy it gets back is the stored one, so its next step's
    conditional write (on the counter) succeeds and the order is not left without a delivery."""
    order = new_order(clock)
    orders.create(order)
    routing = orders.record_attempt(order, 3, 1, moving_to=step(order, S.ROUTING, clock))
    copy_a = copy_b = orders.get(order.orderId)
    won = orders.record_attempt(copy_a, 3, 2)
    with pytest.raises(StaleOrder):
        orders.record_attempt(copy_b, 3, 3)
    assert orders.get(order.orderId) == won and won.attempts == routing.attempts + 1 == 2
    orders.save_transition(won, step(won, S.BUILDING, clock))  # the winner goes on
    assert orders.get(order.orderId).status is S.BUILDING


def test_no_attempt_starts_on_a_final_or_unknown_order(orders, clock):
    order = new_order(clock)
    orders.create(order)
    orders.save_transition(order, step(order, S.FAILED, clock))
    with pytest.raises(StaleOrder):
        orders.record_attempt(orders.get(order.orderId), 3, 1)
    with pytest.raises(OrderNotFound):
        orders.record_attempt(new_order(clock), 3, 1)


def test_the_sweeper_sees_pending_orders_past_their_deadline_and_nothing_else(orders, clock):
    due_late, due_early, later = new_order(clock, deadline_ms=200), new_order(clock, deadline_ms=100), new_order(clock, deadline_ms=10_000)
    started, no_deadline = new_order(clock, deadline_ms=50), new_order(clock)
    for order in (due_late, due_early, later, started, no_deadline):
        orders.create(order)
    orders.save_transition(started, step(started, S.ROUTING, clock))
    assert orders.get(started.orderId).startDeadlineMs is None, "leaving pending clears the deadline"
    due = [i for i in orders.pending_past_deadline(5_000, 100) if i in {o.orderId for o in (due_late, due_early, later, started, no_deadline)}]
    assert due == [due_early.orderId, due_late.orderId]


def test_a_pending_orders_deadline_moves_only_while_it_is_pending(orders, clock):
    order = new_order(clock, deadline_ms=100)
    orders.create(order)
    assert orders.extend_start_deadline(order, 9_000) is True
    assert orders.get(order.orderId).startDeadlineMs == 9_000
    assert order.orderId not in orders.pending_past_deadline(5_000, 100)
    orders.save_transition(order, step(order, S.ROUTING, clock))
    assert orders.extend_start_deadline(order, 20_000) is False


def new_limit_order(clock: Clock, limit: str = "150.5", expires_ms: int = 10**13, dexes: list[str] | None = None) -> Order:
    order = new_order(clock)
    first = order.history[0].model_copy(update={"status": S.OPEN, "message": "open"})
    return order.model_copy(update={
        "type": "limit", "status": S.OPEN, "limitPrice": Decimal(limit), "expiresAtMs": expires_ms, "history": [first],
        "dexes": dexes, "maxPriceImpact": Decimal("0.02") if dexes else None,
    })  # fmt: skip


def _all_open(orders, page: int = 1_000) -> list[WatchedOrder]:
    """A whole pass over the open orders, ``page`` at a time."""
    watched, cursor = [], None
    while True:
        read = orders.open_orders(page, cursor)
        assert len(read.orders) <= page
        watched += read.orders
        cursor = read.cursor
        if cursor is None:
            return watched


def _open_ids(orders, mine) -> set[str]:
    return {w.order_id for w in _all_open(orders) if w.order_id in {o.orderId for o in mine}}


def test_the_open_index_holds_exactly_the_open_orders_with_what_the_trigger_judges_them_by(orders, clock):
    plain_open, picky, market = new_limit_order(clock), new_limit_order(clock, "0.000001", 5_000, ["meteora"]), new_order(clock, deadline_ms=1)
    for order in (plain_open, picky, market):
        orders.create(order)
    assert _open_ids(orders, (plain_open, picky, market)) == {plain_open.orderId, picky.orderId}
    (watched,) = [w for w in _all_open(orders) if w.order_id == picky.orderId]
    assert watched == WatchedOrder(picky.orderId, 5_000, "SOL", "USDC", Decimal("0.0000001"), Decimal("0.000001"), ("meteora",), Decimal("0.02"))
    assert orders.get(picky.orderId) == picky, "the index's attributes never leak into the order"


def test_the_open_orders_are_read_a_bounded_page_at_a_time_and_counted_per_key(orders, clock):
    key = f"sr_{clock.now_ms()}"
    mine = [new_limit_order(clock).model_copy(update={"keyId": key}) for _ in range(5)]
    other = new_limit_order(clock).model_copy(update={"keyId": key + "x"})
    for order in (*mine, other):
        orders.create(order)
    paged = [w for w in _all_open(orders, page=2) if w.order_id in {o.orderId for o in (*mine, other)}]
    assert sorted(w.order_id for w in paged) == sorted(o.orderId for o in (*mine, other)), "every open order once, two a read"
    assert {w.key_id for w in paged} == {key, key + "x"}, "each with the key it was placed with"
    assert orders.count_open(key, 100) == 5 and orders.count_open(key, 3) == 3 and orders.count_open(key + "x", 100) == 1
    orders.save_transition(mine[0], step(mine[0], S.CANCELLED, clock))
    assert orders.count_open(key, 100) == 4, "an order that leaves open no longer counts"


def test_an_order_leaves_the_open_index_when_it_triggers_and_comes_back_when_it_reopens(orders, clock):
    order = new_limit_order(clock)
    orders.create(order)
    pending = transition(order, S.PENDING, "limit reached", clock, startDeadlineMs=7_000)
    orders.save_transition(order, pending)
    assert _open_ids(orders, [order]) == set() and order.orderId in orders.pending_past_deadline(7_000, 100), "pending: watched by the sweeper"
    routing = orders.record_attempt(pending, 3, clock.now_ms(), step(pending, S.ROUTING, clock))
    assert order.orderId not in orders.pending_past_deadline(10**12, 100)
    reopened = transition(routing, S.OPEN, "price moved away", clock, attempts=0, attemptStartedAtMs=[])
    orders.save_transition(routing, reopened)
    stored = orders.get(order.orderId)
    assert (stored.status, stored.attempts, stored.attemptStartedAtMs) == (S.OPEN, 0, []), "a new cycle starts its attempts afresh"
    assert _open_ids(orders, [order]) == {order.orderId}
    with pytest.raises(StaleOrder):
        orders.save_transition(routing, step(routing, S.FAILED, clock))  # a copy from the old cycle cannot write
    cancelled = step(stored, S.CANCELLED, clock)
    orders.save_transition(stored, cancelled)
    assert _open_ids(orders, [order]) == set() and orders.get(order.orderId).status is S.CANCELLED


def test_cancel_and_the_first_step_race_on_one_condition_and_exactly_one_wins(orders, clock):
    order = new_order(clock, deadline_ms=9_000)
    orders.create(order)
    orders.record_attempt(order, 3, 1, step(order, S.ROUTING, clock))
    with pytest.raises(StaleOrder):
        orders.save_transition(order, step(order, S.CANCELLED, clock))
    other = new_order(clock, deadline_ms=9_000)
    orders.create(other)
    orders.save_transition(other, step(other, S.CANCELLED, clock))
    with pytest.raises(StaleOrder):
        orders.record_attempt(other, 3, 1, step(other, S.ROUTING, clock))
    assert orders.get(other.orderId).attempts == 0 and other.orderId not in orders.pending_past_deadline(10**12, 100)


def test_an_owners_orders_come_newest_first_a_page_at_a_time_and_no_one_elses(orders, clock):
    owner = f"owner-{next(_counter)}"
    mine = [new_order(clock, owner=owner, created_offset_ms=i * 1000) for i in range(5)]
    for order in mine:
        orders.create(order)
    orders.create(new_order(clock, owner=OTHER_OWNER, created_offset_ms=10_000))
    seen, cursor = [], None
    while True:
        page = orders.list_by_owner(owner, 2, cursor)
        seen += [o.orderId for o in page.orders]
        assert all(o == stored for o, stored in zip(page.orders, (orders.get(o.orderId) for o in page.orders)))  # whole orders
        if not page.cursor:
            break
        cursor = page.cursor
    assert seen == [o.orderId for o in reversed(mine)]


def test_a_listing_may_keep_only_one_wallets_orders_of_the_owners(orders, clock):
    owner = f"owner-{next(_counter)}"
    labelled = [new_order(clock, owner=owner, wallet=WALLET if i % 3 == 0 else OTHER_WALLET, created_offset_ms=i) for i in range(9)]
    for order in labelled:
        orders.create(order)
    orders.create(new_order(clock, owner=OTHER_OWNER, wallet=WALLET, created_offset_ms=100))
    seen, cursor = [], None
    for _ in range(20):
        page = orders.list_by_owner(owner, 2, cursor, wallet=WALLET)
        assert len(page.orders) <= 2
        seen += [o.orderId for o in page.orders]
        if not (cursor := page.cursor):
            break
    assert seen == [o.orderId for o in reversed(labelled) if o.wallet == WALLET]


def test_a_cursor_is_honoured_only_for_the_owner_it_was_issued_to(orders, clock):
    for i in range(3):
        orders.create(new_order(clock, created_offset_ms=i))
    cursor = orders.list_by_owner(OWNER, 1, None).cursor
    assert cursor
    with pytest.raises(InvalidRequest):
        orders.list_by_owner(OTHER_OWNER, 1, cursor)
    with pytest.raises(InvalidRequest):
        orders.list_by_owner(OWNER, 1, "not-a-cursor!")


# ------------------------------------------------------------------ the chain's ledger
@pytest.fixture
def ledger(impl):
    kind, tables = impl
    return InMemoryLedger() if kind == "fake" else DynamoChainLedger(tables("SimulatedChainTable"))


def test_a_signature_lands_once(ledger):
    signature = f"sig{next(_counter)}"
    assert ledger.put_if_absent(signature, {"status": "success", "amountOut": "1.5"}) is True
    assert ledger.put_if_absent(signature, {"status": "failed", "amountOut": "9"}) is False
    record = ledger.get(signature)
    assert (record["status"], record["amountOut"]) == ("success", "1.5")
    assert ledger.get(f"sig{next(_counter)}") is None


# ------------------------------------------------------------------ rate limit buckets
@pytest.fixture
def buckets(impl):
    kind, tables = impl
    return InMemoryRateLimitStore() if kind == "fake" else DynamoRateLimitStore(tables("RateLimitTable"))


def test_the_limiter_state_is_written_only_over_the_version_that_was_read(buckets):
    key = f"limiter{next(_counter)}"
    assert buckets.read(key) is None
    assert buckets.write_if_unchanged(key, b"\x00first", 0) is True
    assert buckets.write_if_unchanged(key, b"second", 0) is False, "version 0 means: must not exist yet"
    assert buckets.read(key) == (b"\x00first", 1), "binary state comes back as bytes, byte for byte"
    assert buckets.write_if_unchanged(key, b"third", 1) is True
    assert buckets.write_if_unchanged(key, b"fourth", 1) is False
    assert buckets.read(key) == (b"third", 2)


@pytest.fixture
def lease(impl):
    kind, tables = impl
    return InMemoryLease() if kind == "fake" else DynamoLease(tables("RateLimitTable"), key=f"trigger#{next(_counter)}")


def test_one_holder_at_a_time_holds_the_lease_until_it_releases_it_or_its_time_runs_out(lease):
    assert lease.acquire("a", 1_000, 0) is True
    assert lease.acquire("b", 2_000, 500) is False, "a holds it"
    lease.release("b")  # not b's to release
    assert lease.acquire("b", 2_000, 900) is False
    assert lease.acquire("b", 5_000, 1_001) is True, "a's ran out (a crashed run)"
    lease.release("a")  # a late release by the old holder does nothing
    assert lease.acquire("c", 6_000, 2_000) is False
    lease.release("b")
    assert lease.acquire("c", 6_000, 2_000) is True


def test_the_lease_keeps_when_a_run_last_judged_every_open_order_for_winners_and_losers_alike(lease):
    assert lease.acquire("a", 1_000, 0) is True
    assert lease.passed_at_ms is None, "no run has passed yet"
    lease.release("a", passed_at_ms=700)
    assert lease.acquire("b", 2_000, 800) is True and lease.passed_at_ms == 700
    assert lease.acquire("c", 3_000, 900) is False and lease.passed_at_ms == 700, "a loser reads it too"
    lease.release("c", passed_at_ms=5)  # not c's: nothing recorded
    lease.release("b")  # a run that passed nothing keeps the last pass
    assert lease.acquire("d", 4_000, 1_000) is True and lease.passed_at_ms == 700
    lease.release("d", passed_at_ms=950)
    assert lease.acquire("e", 5_000, 1_100) is True and lease.passed_at_ms == 950


# ------------------------------------------------------------------ WebSocket subscriptions
@pytest.fixture
def connections(impl):
    kind, tables = impl
    now = lambda: 1_000  # noqa: E731
    return InMemoryConnections(now) if kind == "fake" else DynamoConnectionRepository(tables("ConnectionsTable"), now)


def test_the_orders_a_connection_named_at_connect_are_found_until_they_expire(connections):
    c1, c2, order = f"c{next(_counter)}", f"c{next(_counter)}", f"o{next(_counter)}"
    connections.add(c1, order, 2_000)
    connections.add(c2, order, 500)  # expired: TTL deletion lags, so it must read as gone
    connections.add(c1, f"{order}-b", 2_000)
    assert sorted(connections.orders_for(c1)) == sorted([order, f"{order}-b"])
    assert connections.orders_for(c2) == []


class _Subscribers:
    """The store, what a status write's stream image says about its subscribers, and (for the
    adapter) how many calls it has made to its table."""

    def __init__(self, store, carried, carried_keys, calls=None):
        self.store, self.carried, self.carried_keys, self.calls = store, carried, carried_keys, calls


@pytest.fixture
def subscribers(impl, orders):
    kind, tables = impl
    if kind == "fake":
        store = InMemorySubscribers(orders, now_seconds=lambda: 1_000)
        return _Subscribers(store, store.of, store.keys_of)
    table = tables("OrdersTable")
    counted = CountingTable(table)
    item = lambda order_id: table.get_item(Key={"orderId": order_id})["Item"]  # noqa: E731
    carried = lambda order_id: tuple(subscribers_in(item(order_id), 1_000))  # noqa: E731
    carried_keys = lambda order_id: subscriber_keys(item(order_id), 1_000)  # noqa: E731
    return _Subscribers(DynamoSubscribers(counted), carried, carried_keys, lambda: counted.calls)


def test_a_subscription_returns_the_order_and_travels_with_every_later_status_write(orders, subscribers, clock):
    order = new_order(clock)
    orders.create(order)
    subscribed = subscribers.store.subscribe("c1", order.orderId, 2_000, OWNER)
    assert subscribed == order
    subscribers.store.subscribe("c2", order.orderId, 900, OWNER)  # expired by now: not carried
    routing = transition(order, S.ROUTING, "routing", clock)
    orders.save_transition(order, routing)
    assert subscribers.carried(order.orderId) == ("c1",)
    assert orders.get(order.orderId) == routing


def test_a_subscription_carries_the_key_it_was_made_with_and_is_renewed_and_removed_by_connection(orders, subscribers, clock):
    order = new_order(clock)
    orders.create(order)
    subscribers.store.subscribe("c1", order.orderId, 2_000, OWNER, "sr_KEYONE01")
    subscribers.store.subscribe("c2", order.orderId, 2_000, OWNER, "sr_KEYTWO02")
    subscribers.store.subscribe("c1", order.orderId, 3_000, OWNER, "sr_KEYONE01")  # renewed: still one subscriber
    assert subscribers.carried(order.orderId) == ("c1", "c2")
    assert subscribers.carried_keys(order.orderId) == {"c1": "sr_KEYONE01", "c2": "sr_KEYTWO02"}
    subscribers.store.unsubscribe("c1", order.orderId, key_id="sr_KEYONE01")
    assert subscribers.carried(order.orderId) == ("c2",) and subscribers.carried_keys(order.orderId) == {"c2": "sr_KEYTWO02"}


def test_an_unknown_order_cannot_be_subscribed_to_and_a_final_one_is_returned_without_a_subscription(orders, subscribers, clock):
    assert subscribers.store.subscribe("c1", f"00000000-0000-4000-8000-{next(_counter):012d}", 2_000, OWNER) is None
    order = new_order(clock)
    orders.create(order)
    failed = transition(order, S.FAILED, "failed", clock, failureReason="x")
    orders.save_transition(order, failed)
    assert subscribers.store.subscribe("c1", order.orderId, 2_000, OWNER).status is S.FAILED
    assert subscribers.carried(order.orderId) == ()


@pytest.mark.parametrize("final", [False, True])
def test_another_owners_order_is_no_such_order_live_or_final(orders, subscribers, clock, final):
    """As on HTTP (404 for both), a subscriber cannot tell another owner's order from none."""
    order = new_order(clock, owner=OTHER_OWNER)
    orders.create(order)
    if final:
        orders.save_transition(order, transition(order, S.FAILED, "failed", clock, failureReason="x"))
    assert subscribers.store.subscribe("c1", order.orderId, 2_000, OWNER) is None
    assert subscribers.carried(order.orderId) == ()


@pytest.mark.parametrize("case", ["unknown", "another owner's", "final", "subscribed"])
def test_a_subscription_is_one_call_refused_or_not(orders, subscribers, clock, case):
    if subscribers.calls is None:
        pytest.skip("the fake makes no calls")
    order = new_order(clock, owner=OTHER_OWNER if case == "another owner's" else OWNER)
    if case != "unknown":
        orders.create(order)
    if case == "final":
        orders.save_transition(order, transition(order, S.FAILED, "failed", clock, failureReason="x"))
    before = subscribers.calls()
    subscribers.store.subscribe("c1", order.orderId, 2_000, OWNER)
    assert subscribers.calls() - before == 1, "the refused write's answer holds the item: no second read"


def test_an_order_keeps_at_most_max_subscribers_but_one_of_them_may_renew(orders, subscribers, clock):
    order = new_order(clock)
    orders.create(order)
    for i in range(MAX_SUBSCRIBERS):
        subscribers.store.subscribe(f"c{i}", order.orderId, 2_000, OWNER)
    with pytest.raises(TooManySubscribers):
        subscribers.store.subscribe("one-too-many", order.orderId, 2_000, OWNER)
    subscribers.store.subscribe("c0", order.orderId, 3_000, OWNER)
    assert len(subscribers.carried(order.orderId)) == MAX_SUBSCRIBERS


def test_only_an_older_subscription_is_removed_when_asked_for_older_ones(orders, subscribers, clock):
    order = new_order(clock)
    orders.create(order)
    subscribers.store.subscribe("old", order.orderId, 1_500, OWNER)
    subscribers.store.subscribe("new", order.orderId, 1_900, OWNER)
    subscribers.store.unsubscribe("old", order.orderId, expiring_before=1_800)
    subscribers.store.unsubscribe("new", order.orderId, expiring_before=1_800)
    subscribers.store.unsubscribe("never-subscribed", order.orderId)
    assert subscribers.carried(order.orderId) == ("new",)
    subscribers.store.unsubscribe("new", order.orderId)
    assert subscribers.carried(order.orderId) == ()


# ------------------------------------------------------------------ API keys
@pytest.fixture
def api_keys(impl):
    kind, tables = impl
    return InMemoryApiKeys() if kind == "fake" else DynamoApiKeyStore(tables("ApiKeysTable"))


def api_key(name: str = "bot", created_at: str = "2026-01-01T00:00:00.000Z") -> ApiKey:
    n = next(_counter)
    return ApiKey(key_hash=f"{n:064x}", key_id=f"sr_{n:08d}", owner=f"owner-{n}", name=name, created_at=created_at, rate_per_minute=60)


def test_a_key_reads_back_by_its_hash_exactly_as_written(api_keys):
    key = api_key()
    api_keys.put_new(key)
    assert api_keys.get(key.key_hash) == key
    assert api_keys.get(f"{next(_counter):064x}") is None


def test_a_stored_hash_is_never_overwritten(api_keys):
    key = api_key("first")
    api_keys.put_new(key)
    with pytest.raises(DuplicateKey):
        api_keys.put_new(key.model_copy(update={"name": "second", "owner": "someone-else"}))
    assert api_keys.get(key.key_hash) == key


def test_a_key_is_found_by_its_public_id(api_keys):
    key = api_key()
    api_keys.put_new(key)
    assert api_keys.find(key.key_id) == key
    assert api_keys.find("sr_unknown0") is None


def test_keys_are_listed_oldest_first(api_keys):
    later, earlier = api_key("later", "2026-01-02T00:00:00.000Z"), api_key("earlier", "2026-01-01T00:00:00.000Z")
    api_keys.put_new(later)
    api_keys.put_new(earlier)
    listed = [k for k in api_keys.list() if k.key_hash in (later.key_hash, earlier.key_hash)]
    assert listed == [earlier, later]


def test_revoking_marks_only_that_key_and_returns_it_as_stored(api_keys):
    key, other = api_key(), api_key()
    api_keys.put_new(key)
    api_keys.put_new(other)
    revoked = api_keys.revoke(key.key_id)
    assert revoked == key.model_copy(update={"revoked": True}) == api_keys.get(key.key_hash)
    assert api_keys.get(other.key_hash).revoked is False
    assert api_keys.revoke(key.key_id).revoked is True, "revoking again changes nothing"
    assert api_keys.revoke("sr_unknown0") is None


def test_a_transition_conditioned_on_a_passed_start_deadline_loses_to_a_moved_deadline(orders, clock):
    order = new_order(clock, deadline_ms=1_000)
    orders.create(order)
    assert orders.extend_start_deadline(order, 9_000)
    with pytest.raises(StaleOrder):
        orders.save_transition(order, step(order, S.FAILED, clock), deadline_passed_at_ms=5_000)
    orders.save_transition(order, step(order, S.FAILED, clock), deadline_passed_at_ms=9_000)
    assert orders.get(order.orderId).status is S.FAILED


def test_a_revocation_is_known_by_the_keys_public_id_and_the_listing_shows_keys_only(api_keys):
    key, other = api_key(), api_key()
    api_keys.put_new(key)
    api_keys.put_new(other)
    assert not api_keys.is_revoked(key.key_id)
    api_keys.revoke(key.key_id)
    assert api_keys.is_revoked(key.key_id) and not api_keys.is_revoked(other.key_id)
    assert not api_keys.is_revoked("sr_unknown0")
    assert [k.key_id for k in api_keys.list() if k.key_id in (key.key_id, other.key_id)] == [key.key_id, other.key_id]
    assert api_keys.find(key.key_id).revoked is True


# ------------------------------------------------------------------ each key's WebSocket connections
@pytest.fixture
def key_connections(impl):
    kind, tables = impl
    clock = {"now": 1_000}
    now = lambda: clock["now"]  # noqa: E731
    store = InMemoryKeyConnections(now) if kind == "fake" else DynamoKeyConnections(tables("ConnectionsTable"), now)
    return store, clock


def _key() -> str:
    return f"sr_{next(_counter):08d}"


def test_a_key_keeps_at_most_so_many_connections_and_a_closed_one_frees_its_slot(key_connections):
    store, _ = key_connections
    key, other = _key(), _key()
    assert store.open(key, "c1", 2_000, 2) and store.open(key, "c2", 2_000, 2)
    assert not store.open(key, "c3", 2_000, 2), "one too many"
    assert store.open(other, "c3", 2_000, 2), "another key's connections are its own"
    store.close(key, "c1")
    store.close(key, "c1")  # reported twice: uncounted once
    store.close(key, "never-opened")
    assert store.open(key, "c4", 2_000, 2)
    assert not store.open(key, "c5", 2_000, 2)


def test_a_connection_whose_close_is_never_reported_stops_counting_once_it_has_ended(key_connections):
    store, clock = key_connections
    key = _key()
    assert store.open(key, "lost", 1_100, 2) and store.open(key, "live", 5_000, 2)  # "lost" ends at 1,100, unreported
    assert not store.open(key, "c3", 5_000, 2)
    clock["now"] = 1_200
    assert store.open(key, "c3", 6_000, 2), "the ended one no longer counts"
    assert not store.open(key, "c4", 6_000, 2)


def test_a_connection_that_ended_without_a_close_is_uncounted_once_even_if_its_close_comes_late(key_connections):
    store, clock = key_connections
    key = _key()
    assert store.open(key, "c1", 1_100, 1)
    clock["now"] = 1_200  # c1 ended without a reported close
    assert store.open(key, "c2", 5_000, 1)
    store.close(key, "c1")  # its close, after all: uncounted already
    assert not store.open(key, "c3", 5_000, 1), "c2 still counts"


def test_opening_closing_and_a_refusal_at_the_cap_are_one_call_each(moto_tables):
    table = CountingTable(moto_tables("ConnectionsTable"))
    store, key = DynamoKeyConnections(table, lambda: 1_000), _key()
    assert store.open(key, "c0", 2_000, 3)  # the key's first: a refused add, then the item made
    calls = []
    for step in (lambda: store.open(key, "c1", 2_000, 3), lambda: store.open(key, "c2", 2_000, 3),
                 lambda: store.open(key, "c3", 2_000, 3), lambda: store.close(key, "c1")):  # fmt: skip
        before = table.calls
        step()
        calls.append(table.calls - before)
    assert calls == [1, 1, 1, 1], "the refusal's answer holds the map: nothing is read to find no ended entry"


def _parent(clock, key: str, next_at_ms: int):
    from solroute.models.strategy import Strategy

    strategy = Strategy(kind="twap", slices=3, sliceAmount=Decimal("1"), intervalSeconds=30, startMs=clock.now_ms(), nextAtMs=next_at_ms)
    return new_limit_order(clock).model_copy(update={
        "type": "twap", "status": S.ACTIVE, "limitPrice": None, "keyId": key, "strategy": strategy,
        "history": [h.model_copy(update={"status": S.ACTIVE}) for h in new_limit_order(clock).history],
    })  # fmt: skip


def test_an_active_strategy_rides_in_the_open_index_with_when_it_is_next_due_and_counts_apart_from_open_orders(orders, clock):
    key = f"sr_s{clock.now_ms()}"
    parent, limit = _parent(clock, key, 123_000), new_limit_order(clock).model_copy(update={"keyId": key})
    for order in (parent, limit):
        orders.create(order)
    (watched,) = [w for w in _all_open(orders) if w.order_id == parent.orderId]
    assert (watched.strategy, watched.due_at_ms, watched.key_id) == ("twap", 123_000, key)
    assert orders.count_strategies(key, 10) == 1 and orders.count_open(key, 10) == 1, "a strategy is not an open limit order, nor the reverse"
    running = transition(parent, S.ACTIVE, "slot started", clock, strategy=parent.strategy.model_copy(update={"inflight": "c", "nextAtMs": 999_000}))
    orders.save_transition(parent, running)
    (watched,) = [w for w in _all_open(orders) if w.order_id == parent.orderId]
    assert watched.due_at_ms == 0, "a child in flight: due now (the trigger follows it each tick)"
    assert orders.get(parent.orderId) == running, "the index's attributes never leak into the order"
    ended = transition(running, S.COMPLETED, "done", clock, strategy=running.strategy.model_copy(update={"inflight": None, "nextAtMs": None}))
    orders.save_transition(running, ended)
    assert _open_ids(orders, [parent]) == set() and orders.count_strategies(key, 10) == 0, "an ended strategy leaves the index"
