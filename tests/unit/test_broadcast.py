import pytest
from solroute.logic.broadcast import Broadcaster, StatusChange, snapshot, status_update
from solroute.logic.keys import Revocations
from solroute.logic.subscriptions import Subscriptions
from solroute.models.errors import OrderNotFound
from tests.fakes import TEST_OWNER, InMemoryApiKeys, InMemoryConnections, InMemoryKeyConnections, InMemorySubscribers, RecordingNotifier
from tests.support.owner_key import CALLER, KEY


def _subscriptions(engine, subscribers, connections=None, notifier=None) -> Subscriptions:
    keys = InMemoryApiKeys()
    return Subscriptions(
        subscribers, connections or InMemoryConnections(), notifier or RecordingNotifier(), engine.clock,
        InMemoryKeyConnections(), Revocations(keys, engine.clock, ttl_s=0), max_connections_per_key=100,
    )  # fmt: skip


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


def _subscribers(engine, now=0):
    return InMemorySubscribers(engine.orders, now_seconds=lambda: now)


def test_every_subscriber_gets_it_and_a_gone_or_broken_one_does_not_stop_the_rest(engine):
    order = _confirmed(engine)
    subscribers = _subscribers(engine)
    subscribers.items[order.orderId] = {c: 10 for c in ("a", "gone", "broken", "b")}
    notifier = RecordingNotifier(gone={"gone"}, broken={"broken"})
    report = Broadcaster(subscribers, notifier).broadcast(StatusChange(order, subscribers.of(order.orderId)))
    assert sorted(c for c, _ in notifier.sent) == ["a", "b"]
    assert (report.sent, report.gone, report.errors) == (2, 1, 1)
    assert subscribers.of(order.orderId) == ("a", "b", "broken")


def test_the_subscribers_come_from_the_change_itself_so_broadcasting_reads_nothing(engine):
    order = _confirmed(engine)
    notifier = RecordingNotifier()
    Broadcaster(None, notifier).broadcast(StatusChange(order, ("x", "y")))  # no store to read
    assert [c for c, _ in notifier.sent] == ["x", "y"]


def test_a_late_subscriber_gets_the_snapshot_with_the_whole_history(engine):
    order = _confirmed(engine)
    connections, notifier = InMemoryConnections(), RecordingNotifier()
    subs = _subscriptions(engine, _subscribers(engine), connections, notifier)
    subs.connect("c1", order.orderId, CALLER)
    subs.subscribe("c1", [], CALLER)
    (connection_id, message), = notifier.sent
    assert message == snapshot(order)
    assert [h["status"] for h in message["history"]] == ["pending", "routing", "building", "submitted", "confirmed"]


def test_a_final_order_is_not_subscribed_to_since_nothing_will_change(engine):
    order = _confirmed(engine)
    subscribers = _subscribers(engine)
    _subscriptions(engine, subscribers).subscribe("c1", [order.orderId], CALLER)
    assert subscribers.of(order.orderId) == ()


def test_a_live_order_is_subscribed_to_and_the_snapshot_is_the_order_as_subscribed(engine):
    order = engine.submit()
    subscribers, notifier = _subscribers(engine), RecordingNotifier()
    _subscriptions(engine, subscribers, notifier=notifier).subscribe("c1", [order.orderId], CALLER)
    assert subscribers.of(order.orderId) == ("c1",)
    assert notifier.sent == [("c1", snapshot(order))]


def test_an_order_keeps_a_bounded_number_of_subscribers(engine):
    from solroute.ports import MAX_SUBSCRIBERS

    order = engine.submit()
    subscribers, notifier = _subscribers(engine), RecordingNotifier()
    subs = _subscriptions(engine, subscribers, notifier=notifier)
    for i in range(MAX_SUBSCRIBERS + 1):
        subs.subscribe(f"c{i}", [order.orderId], CALLER)
    subs.subscribe("c0", [order.orderId], CALLER)  # one already subscribed may subscribe again
    assert len(subscribers.of(order.orderId)) == MAX_SUBSCRIBERS
    codes = [m.get("error", {}).get("code") for _, m in notifier.sent]
    assert codes.count("TOO_MANY_SUBSCRIBERS") == 1 and codes[-1] is None


def test_connecting_to_an_unknown_order_is_refused_and_subscribing_to_one_is_an_error_message(engine):
    connections, notifier = InMemoryConnections(), RecordingNotifier()
    subs = _subscriptions(engine, _subscribers(engine), connections, notifier)
    with pytest.raises(OrderNotFound):
        subs.connect("c1", "00000000-0000-4000-8000-000000000000", CALLER)
    subs.subscribe("c1", ["00000000-0000-4000-8000-000000000000"], CALLER)
    assert notifier.sent[0][1]["error"]["code"] == "ORDER_NOT_FOUND"
    assert connections.items == {}


def test_a_batch_is_grouped_by_order_and_each_orders_statuses_arrive_in_seq_order(engine):
    order = _confirmed(engine)
    steps = [order.model_copy(update={"status": h.status, "seq": h.seq, "history": order.history[: h.seq]}) for h in order.history]
    notifier = RecordingNotifier()
    report, failed = Broadcaster(_subscribers(engine), notifier).broadcast_all([StatusChange(s, ("c1",)) for s in reversed(steps)])
    assert [m["seq"] for _, m in notifier.sent] == [1, 2, 3, 4, 5]
    assert report.sent == 5 and failed == set()


def test_an_order_whose_gone_subscriber_cannot_be_removed_is_reported_for_retry(engine):
    order = _confirmed(engine)

    class Broken:
        def unsubscribe(self, *args, **kwargs):
            raise RuntimeError("table unavailable")

    other = engine.submit()
    changes = [StatusChange(order, ("gone",)), StatusChange(other, ("c1",))]
    _, failed = Broadcaster(Broken(), RecordingNotifier(gone={"gone"})).broadcast_all(changes)
    assert failed == {order.orderId}


def test_a_410_during_connect_does_not_remove_the_subscription_just_made(engine):
    """API Gateway answers 410 to a post while the client's $connect is still running; that
    client is about to be connected, so its fresh subscription must survive."""
    from solroute.logic.broadcast import CONNECTION_TTL_SECONDS

    order, now = engine.submit(), 1_000_000
    subscribers = _subscribers(engine, now)
    subscribers.items[order.orderId] = {
        "connecting": now - 2 + CONNECTION_TTL_SECONDS,  # subscribed 2 s ago
        "long-gone": now - 600 + CONNECTION_TTL_SECONDS,  # 10 minutes ago
    }
    notifier = RecordingNotifier(gone={"connecting", "long-gone"})
    report = Broadcaster(subscribers, notifier, now_seconds=lambda: now).broadcast(StatusChange(order, subscribers.of(order.orderId)))
    assert report.gone == 2
    assert subscribers.of(order.orderId) == ("connecting",)


# ------------------------------------------------------------------ a revoked key's subscribers
def _keys(*revoked: str) -> InMemoryApiKeys:
    keys = InMemoryApiKeys()
    keys.put_new(KEY)
    for key_id in revoked:
        keys.revoke(key_id)
    return keys


def test_a_revoked_keys_subscriber_gets_no_update_but_why_and_is_closed_and_unsubscribed_while_others_get_it(engine):
    order = _confirmed(engine)
    subscribers, keys = _subscribers(engine), _keys(KEY.key_id)
    for connection_id, key_id in (("mine", KEY.key_id), ("theirs", "sr_OTHERKEY"), ("old", None)):
        subscribers.items.setdefault(order.orderId, {})[connection_id] = 10
        if key_id:
            subscribers.keys.setdefault(order.orderId, {})[connection_id] = key_id
    notifier = RecordingNotifier()
    broadcaster = Broadcaster(subscribers, notifier, revocations=Revocations(keys, engine.clock, ttl_s=30))
    report = broadcaster.broadcast(StatusChange(order, subscribers.of(order.orderId), subscribers.keys_of(order.orderId)))
    assert sorted(c for c, m in notifier.sent if m["type"] == "status_update") == ["old", "theirs"]  # a subscription of before keys were recorded: pushed
    (told,) = [m for c, m in notifier.sent if c == "mine"]
    assert told["type"] == "error" and told["error"]["code"] == "UNAUTHORIZED" and "revoked" in told["error"]["message"]
    assert notifier.closed == ["mine"] and subscribers.of(order.orderId) == ("old", "theirs")
    assert (report.sent, report.revoked) == (2, 1)


def test_a_key_is_looked_up_once_per_ttl_so_a_revocation_stops_the_pushes_within_it(engine):
    order = engine.submit()
    subscribers, keys, notifier = _subscribers(engine), _keys(), RecordingNotifier()
    subscribers.subscribe("mine", order.orderId, 10**10, TEST_OWNER, KEY.key_id)
    broadcaster = Broadcaster(subscribers, notifier, revocations=Revocations(keys, engine.clock, ttl_s=30))

    def push() -> str:
        notifier.sent.clear()
        broadcaster.broadcast(StatusChange(order, subscribers.of(order.orderId), subscribers.keys_of(order.orderId)))
        return ",".join(m["type"] for _, m in notifier.sent) or "nothing"

    reads = keys.reads
    assert [push() for _ in range(5)] == ["status_update"] * 5
    assert keys.reads - reads == 1, "one read for five pushes within the TTL"
    keys.revoke(KEY.key_id)
    engine.clock.sleep(29)
    assert push() == "status_update", "still within the TTL of the last look-up"
    engine.clock.sleep(1)
    assert push() == "error" and notifier.closed == ["mine"]
    assert push() == "nothing"
