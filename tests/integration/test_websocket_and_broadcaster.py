"""WebSocket routes, the broadcaster and the DLQ function, against moto and (for 410 Gone,
which moto never answers) a real HTTP server speaking API Gateway's management API."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from solroute.dal.dynamodb.items import subscribers_in
from solroute.logic.broadcast import CONNECTION_TTL_SECONDS
from tests.lambdas import event, stored
from tests.support.order_flow import deliver, receive, submit

SAMPLE_ORDER = "3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60"
CONNECTION = "Ab12CdEFIAMCJnQ="
# Expiry of a subscription made a minute ago (a 410 spares only the last few seconds' ones).
SUBSCRIBED_A_MINUTE_AGO = int(time.time()) - 60 + CONNECTION_TTL_SECONDS


def posted(connection_id):
    """Messages moto's management API received for a connection (it concatenates them)."""
    connections = apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections
    data = connections[quote(connection_id, safe="")].data.decode()  # moto keys by the URL-encoded id
    decoder, messages, index = json.JSONDecoder(), [], 0
    while index < len(data):
        message, index = decoder.raw_decode(data, index)
        messages.append(message)
    return messages


def subscriptions(cloud):
    """What connections named at $connect (for a later subscribe that names none); not the
    keys' open connections (key#<keyId>) the same table holds."""
    items = cloud.table("ConnectionsTable").scan()["Items"]
    return {(i["connectionId"], i["orderId"]) for i in items if not i["connectionId"].startswith("key#")}


def subscribers(cloud, order_id):
    """Who follows the order: kept on its item, so each status write carries them."""
    return set(subscribers_in(cloud.table("OrdersTable").get_item(Key={"orderId": order_id})["Item"], 0))


def stream_event(subs):
    """The sample stream record, with these subscribers on the order's image (subscribed a minute ago)."""
    ev = event("broadcaster_stream.json")
    ev["Records"][0]["dynamodb"]["NewImage"]["subs"] = {"M": {c: {"N": str(SUBSCRIBED_A_MINUTE_AGO)} for c in subs}}
    return ev


def test_connect_to_a_real_order_is_accepted_and_subscribes_at_once(cloud):
    order_id = submit(cloud)
    response = cloud.fn("WebSocketFunction")(event("websocket_connect.json", **{SAMPLE_ORDER: order_id}))
    assert response["statusCode"] == 200
    assert subscribers(cloud, order_id) == {CONNECTION}
    assert subscriptions(cloud) == {(CONNECTION, order_id)}
    items = {i["connectionId"]: i for i in cloud.table("ConnectionsTable").scan()["Items"]}
    assert set(items) == {CONNECTION, "key#sr_EXAMPLEK"}, "what it follows, and its key's open connections"
    assert items[CONNECTION]["expiresAt"] > 0 and set(items["key#sr_EXAMPLEK"]["open"]) == {CONNECTION}


@pytest.mark.parametrize("order_id, status", [(SAMPLE_ORDER, 404), ("not-a-uuid", 400)])
def test_connect_to_an_unknown_or_malformed_order_is_refused(cloud, order_id, status):
    response = cloud.fn("WebSocketFunction")(event("websocket_connect.json", **{SAMPLE_ORDER: order_id}))
    assert response["statusCode"] == status
    assert subscriptions(cloud) == set()


def as_other_owner(ev):
    """The event of a connection whose $connect authorizer found another owner's key."""
    ev["requestContext"]["authorizer"] = {"principalId": "owner-b", "owner": "owner-b", "keyId": "sr_OTHERKEY", "ratePerMinute": 60}
    return ev


UNKNOWN_ORDER = "0d9a7c1e-0d4a-4c55-9a57-1b2c3d4e5f61"


def test_connect_with_another_owners_order_is_refused_exactly_as_an_unknown_one_and_follows_nothing(cloud):
    order_id = submit(cloud)
    ws = cloud.fn("WebSocketFunction")
    theirs = ws(as_other_owner(event("websocket_connect.json", **{SAMPLE_ORDER: order_id})))
    unknown = ws(as_other_owner(event("websocket_connect.json", **{SAMPLE_ORDER: UNKNOWN_ORDER})))
    assert theirs["statusCode"] == unknown["statusCode"] == 404
    assert theirs["body"].replace(order_id, "ID") == unknown["body"].replace(UNKNOWN_ORDER, "ID")
    assert subscribers(cloud, order_id) == set() and subscriptions(cloud) == set()


@pytest.mark.parametrize("final", [False, True])
def test_subscribing_to_another_owners_order_is_the_error_frame_of_an_unknown_one_and_no_snapshot(cloud, final):
    order_id = submit(cloud)
    if final:
        deliver(cloud, cloud.fn("OrderConsumerFunction"), receive(cloud))
    ws = cloud.fn("WebSocketFunction")
    ws(as_other_owner(event("websocket_subscribe.json", **{SAMPLE_ORDER: order_id})))
    ws(as_other_owner(event("websocket_subscribe.json", **{SAMPLE_ORDER: UNKNOWN_ORDER})))
    theirs, unknown = posted(CONNECTION)
    assert theirs["type"] == "error" and theirs["error"]["code"] == "ORDER_NOT_FOUND" and "history" not in json.dumps(theirs)
    assert json.dumps(theirs).replace(order_id, "ID") == json.dumps(unknown).replace(UNKNOWN_ORDER, "ID")
    assert subscribers(cloud, order_id) == set()


@pytest.mark.parametrize("sample", ["websocket_connect.json", "websocket_subscribe.json"])
def test_a_connection_without_an_owner_is_refused(cloud, sample):
    order_id = submit(cloud)
    ev = event(sample, **{SAMPLE_ORDER: order_id})
    ev["requestContext"].pop("authorizer")
    response = cloud.fn("WebSocketFunction")(ev)
    if sample == "websocket_connect.json":
        assert response["statusCode"] == 401
    else:
        assert posted(CONNECTION)[0]["error"]["code"] == "UNAUTHORIZED"
    assert subscribers(cloud, order_id) == set()


def test_subscribe_sends_the_snapshot_with_history_at_once(cloud):
    order_id = submit(cloud)
    deliver(cloud, cloud.fn("OrderConsumerFunction"), receive(cloud))
    assert cloud.fn("WebSocketFunction")(event("websocket_subscribe.json", **{SAMPLE_ORDER: order_id}))["statusCode"] == 200
    (snapshot,) = posted(CONNECTION)
    assert snapshot["type"] == "snapshot" and snapshot["status"] == "confirmed" and snapshot["seq"] == 5
    assert [h["status"] for h in snapshot["history"]] == ["pending", "routing", "building", "submitted", "confirmed"]
    assert subscribers(cloud, order_id) == set(), "a final order changes no more: nobody need follow it"


def test_subscribing_to_a_live_order_records_the_subscriber_on_the_order(cloud):
    order_id = submit(cloud)
    assert cloud.fn("WebSocketFunction")(event("websocket_subscribe.json", **{SAMPLE_ORDER: order_id}))["statusCode"] == 200
    (snapshot,) = posted(CONNECTION)
    assert snapshot["status"] == "pending"
    assert subscribers(cloud, order_id) == {CONNECTION}


def test_an_unknown_action_gets_an_error_message(cloud):
    cloud.fn("WebSocketFunction")(event("websocket_default.json"))
    assert posted(CONNECTION)[0]["error"]["code"] == "UNKNOWN_ACTION"


def test_the_broadcaster_posts_the_sample_status_change_to_subscribers(cloud):
    result = cloud.fn("BroadcasterFunction")(stream_event(["c-1"]))
    assert result == {"batchItemFailures": []}
    (message,) = posted("c-1")
    assert message["type"] == "status_update" and message["status"] == "routing" and message["seq"] == 2
    assert message["timestampMs"] == 1795262400250 and message["message"] == "Comparing Raydium and Meteora quotes"


def test_the_broadcaster_ignores_a_write_that_did_not_change_the_status(cloud):
    ev = stream_event(["c-1"])
    ev["Records"][0]["dynamodb"]["NewImage"]["lastChange"] = {"S": "attempt"}
    cloud.fn("BroadcasterFunction")(ev)
    assert "c-1" not in apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections


class _ApiGateway(BaseHTTPRequestHandler):
    """POST /dev/@connections/{id}: 410 for gone ids, 200 for live ones (as API Gateway);
    DELETE (DeleteConnection) is recorded and answered 204."""

    gone = {"gone-1"}
    received: list = []
    deleted: list = []

    def do_DELETE(self):  # noqa: N802
        self.deleted.append(unquote(self.path.rsplit("/", 1)[-1]))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):  # noqa: N802
        connection_id = self.path.rsplit("/", 1)[-1]
        self.received.append((connection_id, self.rfile.read(int(self.headers["content-length"]))))
        status = 410 if connection_id in self.gone else 200
        body = b'{"message": "Gone"}' if status == 410 else b""
        self.send_response(status)
        if status == 410:
            self.send_header("x-amzn-ErrorType", "GoneException")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def api_gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ApiGateway)
    _ApiGateway.received, _ApiGateway.deleted = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{server.server_port}/dev"
    server.shutdown()


def test_a_410_gone_connection_is_unsubscribed_and_the_batch_still_succeeds(cloud, api_gateway, capsys):
    order_id = submit(cloud)
    ws = cloud.fn("WebSocketFunction")
    for connection_id in ("gone-1", "live-1"):
        ws(event("websocket_connect.json", **{SAMPLE_ORDER: order_id, CONNECTION: connection_id}))
    table = cloud.table("OrdersTable")
    table.update_item(Key={"orderId": order_id}, UpdateExpression="SET subs = :s", ExpressionAttributeValues={":s": {"gone-1": SUBSCRIBED_A_MINUTE_AGO, "live-1": SUBSCRIBED_A_MINUTE_AGO}})
    broadcaster = cloud.fn("BroadcasterFunction")
    broadcaster.env["WEBSOCKET_URL"] = api_gateway
    ev = stream_event(["gone-1", "live-1"])
    ev["Records"][0]["dynamodb"]["NewImage"]["orderId"] = {"S": order_id}
    assert broadcaster(ev) == {"batchItemFailures": []}
    assert sorted(c for c, _ in _ApiGateway.received) == ["gone-1", "live-1"]
    assert subscribers(cloud, order_id) == {"live-1"}
    # The dashboard's WebSocket posts and 410s.
    (doc,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ConnectionPosts"' in line]
    assert (doc["ConnectionPosts"], doc["ConnectionsGone"]) == ([2.0], [1.0])


def test_the_dead_letter_function_fails_a_stuck_order_and_leaves_a_final_one(cloud):
    stuck = submit(cloud)
    dlq = cloud.fn("DeadLetterFunction")
    assert dlq(event("dead_letter_sqs.json", **{SAMPLE_ORDER: stuck})) == {"batchItemFailures": []}
    item = stored(cloud.table("OrdersTable").get_item(Key={"orderId": stuck})["Item"])
    assert item["status"] == "failed" and item["failureReason"].startswith("processing crashed")
    assert dlq(event("dead_letter_sqs.json", **{SAMPLE_ORDER: stuck})) == {"batchItemFailures": []}
    assert cloud.table("OrdersTable").get_item(Key={"orderId": stuck})["Item"]["seq"] == item["seq"]


# ------------------------------------------------------------------ a key's connections, a frame's orders
def as_key(ev, key_id, connection_id=CONNECTION):
    ev["requestContext"]["authorizer"]["keyId"] = key_id
    ev["requestContext"]["connectionId"] = connection_id
    return ev


def test_a_key_may_keep_only_so_many_connections_open_and_disconnect_frees_one(cloud):
    cloud.template.override(WebSocketConnectionsPerKey="2")
    ws = cloud.fn("WebSocketFunction")
    connect = lambda c: ws(as_key(event("websocket_connect.json"), "sr_LIMITED1", c))  # noqa: E731
    assert [connect(c)["statusCode"] for c in ("c-1", "c-2")] == [404, 404], "unknown order: refused, no slot kept"
    del_order = lambda ev: (ev.pop("queryStringParameters", None), ev)[1]  # noqa: E731
    opened = [ws(del_order(as_key(event("websocket_connect.json"), "sr_LIMITED1", c)))["statusCode"] for c in ("c-1", "c-2", "c-3")]
    assert opened == [200, 200, 429]
    refused = ws(del_order(as_key(event("websocket_connect.json"), "sr_LIMITED1", "c-3")))
    assert refused["statusCode"] == 429 and "2 WebSocket connections open" in refused["body"]
    assert ws(del_order(as_key(event("websocket_connect.json"), "sr_OTHERKEY", "c-9")))["statusCode"] == 200, "another key's are its own"
    assert ws(as_key(event("websocket_disconnect.json"), "sr_LIMITED1", "c-1"))["statusCode"] == 200
    assert ws(del_order(as_key(event("websocket_connect.json"), "sr_LIMITED1", "c-3")))["statusCode"] == 200


def test_a_subscribe_frame_naming_too_many_orders_is_refused_whole(cloud):
    order_id = submit(cloud)
    ev = event("websocket_subscribe.json")
    ev["body"] = json.dumps({"action": "subscribe", "orderIds": [order_id] + [SAMPLE_ORDER] * 499})
    cloud.fn("WebSocketFunction")(ev)
    (frame,) = posted(CONNECTION)
    assert frame["error"]["code"] == "TOO_MANY_ORDER_IDS" and "at most 10 orders" in frame["error"]["message"]
    assert subscribers(cloud, order_id) == set()


def test_a_subscribe_frame_nested_too_deeply_to_read_is_answered_not_crashed(cloud):
    """Acceptance trial: a 2 KB frame nested 990 deep raised RecursionError (the connection dropped)."""
    ev = event("websocket_subscribe.json")
    ev["body"] = '{"action": "subscribe", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    assert cloud.fn("WebSocketFunction")(ev)["statusCode"] == 200
    (frame,) = posted(CONNECTION)
    assert frame["type"] == "error" and frame["error"]["code"] in ("NO_ORDER", "ORDER_NOT_FOUND"), frame


# ------------------------------------------------------------------ a revoked key
@pytest.fixture
def admin(cloud):
    from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
    from solroute.logic.keys import KeyAdmin
    from solroute.ports import Clock

    return KeyAdmin(DynamoApiKeyStore(cloud.table("ApiKeysTable")), Clock(), default_rate_per_minute=60)


def test_a_revoked_keys_connection_cannot_subscribe_is_told_why_and_closed(cloud, admin, api_gateway):
    order_id = submit(cloud)
    issued = admin.create("browser")
    ws = cloud.fn("WebSocketFunction", WEBSOCKET_URL=api_gateway)
    subscribe = as_key(event("websocket_subscribe.json", **{SAMPLE_ORDER: order_id}), issued.record.key_id)
    ws(subscribe)
    assert subscribers(cloud, order_id) == {CONNECTION}
    admin.revoke(issued.record.key_id)
    ws(subscribe)
    frames = [json.loads(body) for _, body in _ApiGateway.received]
    assert [f["type"] for f in frames] == ["snapshot", "error"]
    assert frames[1]["error"]["code"] == "UNAUTHORIZED" and "revoked" in frames[1]["error"]["message"]
    assert _ApiGateway.deleted == [CONNECTION]


def test_the_broadcaster_closes_a_revoked_keys_subscriber_instead_of_pushing_to_it(cloud, admin, api_gateway):
    order_id = submit(cloud)
    revoked, valid = admin.create("revoked"), admin.create("valid")
    admin.revoke(revoked.record.key_id)
    ev = stream_event([f"live-1 {revoked.record.key_id}", f"live-2 {valid.record.key_id}"])
    ev["Records"][0]["dynamodb"]["NewImage"]["orderId"] = {"S": order_id}
    broadcaster = cloud.fn("BroadcasterFunction", WEBSOCKET_URL=api_gateway)
    assert broadcaster(ev) == {"batchItemFailures": []}
    sent = [(c, json.loads(body)["type"]) for c, body in _ApiGateway.received]
    assert sorted(sent) == [("live-1", "error"), ("live-2", "status_update")]
    assert _ApiGateway.deleted == ["live-1"]


@pytest.mark.parametrize("delay", ["30", "0"])
def test_the_broadcaster_takes_a_key_it_found_valid_as_valid_for_the_revocation_delay_only(cloud, admin, delay):
    """RevocationDelaySeconds bounds the broadcaster's key check as it bounds the HTTP authorizer's
    cache: within it a key checked once is not read again; with 0 every push reads it."""
    from solroute import services

    issued = admin.create("cached")
    cloud.fn("BroadcasterFunction", REVOCATION_DELAY_SECONDS=delay)._activate()  # its container's settings
    revocations = services.broadcaster().revocations
    assert revocations.revoked(issued.record.key_id) is False  # read, and found valid
    admin.revoke(issued.record.key_id)
    assert revocations.revoked(issued.record.key_id) is (delay == "0")
