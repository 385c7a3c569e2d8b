"""What a WebSocket connection may do, per frame and per API key: a subscribe frame names a
bounded number of orders, a key keeps a bounded number of connections open, and a revoked key's
connection subscribes to nothing more (it is told why, and closed)."""

from __future__ import annotations

import pytest
from solroute.logic.broadcast import CONNECTION_TTL_SECONDS
from solroute.logic.keys import Revocations
from solroute.logic.subscriptions import MAX_ORDERS_PER_SUBSCRIBE, Subscriptions
from solroute.models.errors import OrderNotFound, TooManyConnections
from solroute.models.keys import Connector
from tests.fakes import TEST_OWNER, InMemoryApiKeys, InMemoryConnections, InMemoryKeyConnections, InMemorySubscribers, RecordingNotifier
from tests.support.owner_key import CALLER, KEY



class World:
    def __init__(self, engine, max_connections_per_key: int = 3) -> None:
        now_s = lambda: engine.clock.now_ms() // 1000  # noqa: E731
        self.engine = engine
        self.subscribers = InMemorySubscribers(engine.orders, now_seconds=now_s)
        self.keys = InMemoryApiKeys()
        self.keys.put_new(KEY)
        self.key_connections = InMemoryKeyConnections(now_s)
        self.notifier = RecordingNotifier()
        self.subscriptions = Subscriptions(
            self.subscribers, InMemoryConnections(now_s), self.notifier, engine.clock, self.key_connections,
            Revocations(self.keys, engine.clock, ttl_s=0), max_connections_per_key,
        )  # fmt: skip

    def frames(self, connection_id: str = "c1") -> list[dict]:
        return [message for c, message in self.notifier.sent if c == connection_id]


@pytest.fixture
def world(engine) -> World:
    return World(engine)


# ------------------------------------------------------------------ orders per subscribe frame
def test_a_frame_naming_more_orders_than_allowed_is_refused_whole_and_costs_no_read_or_write(world):
    orders = [world.engine.submit().orderId for _ in range(MAX_ORDERS_PER_SUBSCRIBE + 1)]
    reads = world.keys.reads
    world.subscriptions.subscribe("c1", orders, CALLER)
    (frame,) = world.frames()
    assert frame["type"] == "error" and frame["error"]["code"] == "TOO_MANY_ORDER_IDS"
    assert f"at most {MAX_ORDERS_PER_SUBSCRIBE} orders" in frame["error"]["message"]
    assert frame["error"]["details"] == {"max": MAX_ORDERS_PER_SUBSCRIBE, "named": MAX_ORDERS_PER_SUBSCRIBE + 1}
    assert all(world.subscribers.of(o) == () for o in orders), "nothing subscribed"
    assert world.keys.reads == reads, "refused before the key is even looked up"


def test_a_frame_of_the_most_orders_allowed_subscribes_each_once(world):
    orders = [world.engine.submit().orderId for _ in range(MAX_ORDERS_PER_SUBSCRIBE)]
    world.subscriptions.subscribe("c1", orders + orders[:1], CALLER)  # a repeat is not a second order
    assert [f["type"] for f in world.frames()] == ["error"], "eleven ids named: refused"
    world.notifier.sent.clear()
    world.subscriptions.subscribe("c1", orders, CALLER)
    assert [f["type"] for f in world.frames()] == ["snapshot"] * MAX_ORDERS_PER_SUBSCRIBE
    assert all(world.subscribers.of(o) == ("c1",) for o in orders)


def test_a_subscription_records_the_key_it_was_made_with(world):
    order = world.engine.submit()
    world.subscriptions.subscribe("c1", [order.orderId], CALLER)
    assert world.subscribers.keys_of(order.orderId) == {"c1": KEY.key_id}


# ------------------------------------------------------------------ connections per key
def test_a_key_may_keep_only_so_many_connections_and_a_closed_one_frees_its_slot(world):
    for connection_id in ("c1", "c2", "c3"):
        world.subscriptions.connect(connection_id, None, CALLER)
    with pytest.raises(TooManyConnections) as refused:
        world.subscriptions.connect("c4", None, CALLER)
    assert "3 WebSocket connections" in refused.value.message and refused.value.details == {"max": 3}
    world.subscriptions.connect("other-key", None, Connector(owner=TEST_OWNER, key_id="sr_OTHERKEY"))  # its own count
    world.subscriptions.disconnect("c2", CALLER)
    world.subscriptions.connect("c4", None, CALLER)
    assert sorted(c for (k, c) in world.key_connections.items if k == KEY.key_id) == ["c1", "c3", "c4"]


def test_a_refused_connection_takes_no_slot(world):
    for connection_id in ("c1", "c2", "c3"):
        with pytest.raises(OrderNotFound):
            world.subscriptions.connect(connection_id, "00000000-0000-4000-8000-000000000000", CALLER)
    with pytest.raises(TooManyConnections):
        for connection_id in ("c4", "c5", "c6", "c7"):
            world.subscriptions.connect(connection_id, None, CALLER)
    assert sorted(c for (_, c) in world.key_connections.items) == ["c4", "c5", "c6"]


def test_a_connection_whose_close_was_never_reported_stops_counting_when_it_would_have_expired(world):
    for connection_id in ("c1", "c2", "c3"):
        world.subscriptions.connect(connection_id, None, CALLER)  # API Gateway loses their $disconnect
    world.engine.clock.sleep(CONNECTION_TTL_SECONDS + 1)  # API Gateway ends a connection after 2 hours
    world.subscriptions.connect("c4", None, CALLER)


# ------------------------------------------------------------------ a revoked key
def test_a_revoked_keys_connection_subscribes_to_nothing_is_told_why_and_closed(world):
    order = world.engine.submit()
    world.subscriptions.connect("c1", None, CALLER)
    world.keys.revoke(KEY.key_id)
    world.subscriptions.subscribe("c1", [order.orderId], CALLER)
    (frame,) = world.frames()
    assert frame["error"]["code"] == "UNAUTHORIZED" and "revoked" in frame["error"]["message"]
    assert world.notifier.closed == ["c1"]
    assert world.subscribers.of(order.orderId) == ()
