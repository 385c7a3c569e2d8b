from solroute.logic.broadcast import Broadcaster, snapshot, status_update
from solroute.logic.orders import OrderQueries
from solroute.logic.subscriptions import Subscriptions
from solroute.models.errors import OrderNotFound
from tests.fakes import InMemoryConnections, RecordingNotifier

import pytest


def _confirmed(engine):
    order = engine.submit()
    engine.run(order.orderId)
    return engine.orders.get(order.orderId)


def test_the_status_update_carries_the_written_timestamp_and_the_result(engine):
    order = _confirmed(engine)
    message = status_update(order)
    assert message["type"] == "status_update" and message["status"] == "confirmed" and message["seq"] == 5
    assert message["timestampMs"] == order.statusAtMs
    assert message["data"]["txHash"] == order.execution.txHash
    assert message["data"]["amountOut"] == str(order.execution.amountOut)  # decimal string, not float


def test_every_subscriber_gets_it_and_a_gone_or_broken_one_does_not_stop_the_rest(engine):
    order = _confirmed(engine)
    connections = InMemoryConnections()
    for c in ("a", "gone", "broken", "b"):
        connections.add(c, order.orderId, expires_at=10)
    notifier = RecordingNotifier(gone={"gone"}, broken={"broken"})
    report = Broadcaster(connections, notifier).broadcast(order)
    assert sorted(c for c, _ in notifier.sent) == ["a", "b"]
    assert (report.sent, report.gone, report.errors) == (2, 1, 1)
    assert sorted(connections.connections_for(order.orderId)) == ["a", "b", "broken"]


def test_expired_subscriptions_are_not_posted_to(engine):
    order = _confirmed(engine)
    connections = InMemoryConnections(now_seconds=lambda: 100)
    connections.add("old", order.orderId, expires_at=99)
    notifier = RecordingNotifier()
    Broadcaster(connections, notifier).broadcast(order)
    assert notifier.sent == []


def test_a_late_subscriber_gets_the_snapshot_with_the_whole_history(engine):
    order = _confirmed(engine)
    connections, notifier = InMemoryConnections(), RecordingNotifier()
    subs = Subscriptions(OrderQueries(engine.orders), connections, notifier, engine.clock)
    subs.connect("c1", order.orderId)
    subs.subscribe("c1", [])
    (connection_id, message), = notifier.sent
    assert message == snapshot(order)
    assert [h["status"] for h in message["history"]] == ["pending", "routing", "building", "submitted", "confirmed"]


def test_connecting_to_an_unknown_order_is_refused_and_subscribing_to_one_is_an_error_message(engine):
    connections, notifier = InMemoryConnections(), RecordingNotifier()
    subs = Subscriptions(OrderQueries(engine.orders), connections, notifier, engine.clock)
    with pytest.raises(OrderNotFound):
        subs.connect("c1", "00000000-0000-4000-8000-000000000000")
    subs.subscribe("c1", ["00000000-0000-4000-8000-000000000000"])
    assert notifier.sent[0][1]["error"]["code"] == "ORDER_NOT_FOUND"
    assert connections.items == {}


def test_disconnect_removes_every_subscription_of_the_connection(engine):
    a, b = engine.submit(), engine.submit()
    connections, notifier = InMemoryConnections(), RecordingNotifier()
    subs = Subscriptions(OrderQueries(engine.orders), connections, notifier, engine.clock)
    subs.subscribe("c1", [a.orderId, b.orderId])
    subs.disconnect("c1")
    assert connections.items == {}


def test_a_batch_is_grouped_by_order_and_each_orders_statuses_arrive_in_seq_order(engine):
    order = _confirmed(engine)
    steps = [order.model_copy(update={"status": h.status, "seq": h.seq, "history": order.history[: h.seq]}) for h in order.history]
    connections, notifier = InMemoryConnections(), RecordingNotifier()
    connections.add("c1", order.orderId, expires_at=10)
    lookups = []
    real = connections.connections_for
    connections.connections_for = lambda oid: lookups.append(oid) or real(oid)
    report, failed = Broadcaster(connections, notifier).broadcast_all(list(reversed(steps)))
    assert [m["seq"] for _, m in notifier.sent] == [1, 2, 3, 4, 5]
    assert lookups == [order.orderId] and report.sent == 5 and failed == set()


def test_an_order_whose_subscribers_cannot_be_looked_up_is_reported_for_retry(engine):
    order = _confirmed(engine)
    connections, notifier = InMemoryConnections(), RecordingNotifier()

    def broken(order_id):
        raise RuntimeError("table unavailable")

    connections.connections_for = broken
    _, failed = Broadcaster(connections, notifier).broadcast_all([order])
    assert failed == {order.orderId}


def test_a_410_during_connect_does_not_remove_the_subscription_just_made(engine):
    """API Gateway answers 410 to a post while the client's $connect is still running; that
    client is about to be connected, so its fresh subscription must survive."""
    from solroute.logic.broadcast import CONNECTION_TTL_SECONDS

    order, now = _confirmed(engine), 1_000_000
    connections = InMemoryConnections(now_seconds=lambda: now)
    connections.add("connecting", order.orderId, expires_at=now - 2 + CONNECTION_TTL_SECONDS)  # subscribed 2 s ago
    connections.add("long-gone", order.orderId, expires_at=now - 600 + CONNECTION_TTL_SECONDS)  # 10 minutes ago
    notifier = RecordingNotifier(gone={"connecting", "long-gone"})
    report = Broadcaster(connections, notifier, now_seconds=lambda: now).broadcast(order)
    assert report.gone == 2
    assert connections.connections_for(order.orderId) == ["connecting"]
