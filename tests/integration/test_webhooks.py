"""Webhooks on moto with the template's functions: the API stores the URL where the stream filter
sees it, the stream function queues the exact WebSocket message, and the sender POSTs it signed
to a real HTTP receiver, retries with backoff and records every attempt on the order."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from localcloud.services.awslambda.event_source_mappings.filters import passes
from localcloud.template import load_yaml
from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
from solroute.dal.dynamodb.webhooks import DynamoWebhookMaster, MASTER_KEY
from solroute.ports import Clock
from solroute.logic.keys import KeyAdmin
from solroute.logic.webhooks import SIGNATURE_HEADER, WebhookSecrets, verify
from solroute.ports import Clock

from localcloud.services.awslambda.event_source_mappings.filters import passes
from localcloud.template import load_yaml
from tests.lambdas import ROOT, event, stored
from tests.support.webhook_flow import item_of, queued, stream_event, submit


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.answers, Receiver.received = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/solroute"
    server.shutdown()
    server.server_close()


def sqs_event(message: dict, receive_count: int) -> dict:
    ev = event("webhook_sender_sqs.json")
    record = ev["Records"][0]
    record.update(messageId=message["MessageId"], receiptHandle=message["ReceiptHandle"], body=message["Body"])
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return ev


def test_a_bad_webhook_url_is_a_400_naming_the_field(cloud):
    response = submit(cloud, webhookUrl="http://example.com/hook")
    assert response["statusCode"] == 400
    error = json.loads(response["body"])["error"]
    assert error["details"][0]["field"] == "webhookUrl" and "https://" in error["details"][0]["message"]


def test_an_order_without_a_webhook_passes_no_filter_and_one_with_it_is_queued_as_the_websocket_message(cloud, receiver):
    source = load_yaml(ROOT / "template.yaml")["Resources"]["WebhookFunction"]["Properties"]["Events"]["StatusChanges"]["Properties"]
    plain = json.loads(submit(cloud)["body"])["orderId"]
    assert not {"webhookUrl", "webhookDeliveries"} & set(stored(item_of(cloud, plain))), "an order without a webhook stores no webhook (only its key, as every order)"
    assert not passes(source["FilterCriteria"], json.loads(json.dumps(stream_event(item_of(cloud, plain))["Records"][0])))

    hooked = json.loads(submit(cloud, webhookUrl=receiver)["body"])["orderId"]
    item = item_of(cloud, hooked)
    assert (item["webhookUrl"], item["webhookDeliveries"]) == (receiver, {})
    record = stream_event(item)
    assert passes(source["FilterCriteria"], json.loads(json.dumps(record["Records"][0])))
    assert cloud.fn("WebhookFunction")(record) == {"batchItemFailures": []}
    (message,) = queued(cloud)
    body = json.loads(message["Body"])
    assert (body["orderId"], body["seq"], body["status"], body["url"]) == (hooked, 1, "pending", receiver)
    payload = json.loads(body["payload"])
    assert payload["type"] == "status_update" and payload["status"] == "pending" and payload["message"] == "Order received"
    assert payload["data"] == {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", "slippage": "0.01", "type": "market"}


def test_the_sender_signs_retries_with_backoff_and_records_every_attempt(cloud, receiver, capsys):
    order_id = json.loads(submit(cloud, webhookUrl=receiver)["body"])["orderId"]
    cloud.fn("WebhookFunction")(stream_event(item_of(cloud, order_id)))
    (message,) = queued(cloud)
    Receiver.answers = [500, 500, 200]
    sender = cloud.fn("WebhookSenderFunction", WEBHOOK_BACKOFF_BASE_SECONDS="1", WEBHOOK_ALLOW_LOOPBACK="true")
    answers = [sender(sqs_event(message, n)) for n in (1, 2, 3)]
    assert answers[:2] == [{"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}] * 2
    assert answers[2] == {"batchItemFailures": []}
    assert len(Receiver.received) == 3
    # WebhookFailureRateAlarm's two counts, per invocation: two failed attempts of three.
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    counts = [(doc.get("WebhookAttempts"), doc.get("WebhookAttemptsFailed")) for doc in emitted if "WebhookAttempts" in doc]
    assert counts == [([1.0], [1.0]), ([1.0], [1.0]), ([1.0], [0.0])]
    # The secret a key's owner gets from `solroute keys webhook-secret`: the master made on first use.
    secret = WebhookSecrets(DynamoWebhookMaster(cloud.table("ApiKeysTable"))).secret_for(stored(item_of(cloud, order_id))["keyId"])
    for n, (headers, body) in enumerate(Receiver.received, start=1):
        assert verify(secret, body, headers[SIGNATURE_HEADER.lower()], int(time.time()))
        assert headers["x-solroute-attempt"] == str(n) and headers["x-solroute-delivery"] == f"{order_id}:1"
        assert json.loads(body) == json.loads(json.loads(message["Body"])["payload"])
    item = item_of(cloud, order_id)
    attempts = item["webhookDeliveries"]["1"]
    assert [(a["attempt"], a["httpStatus"], a["outcome"]) for a in attempts] == [(1, 500, "retrying"), (2, 500, "retrying"), (3, 200, "delivered")]
    assert item["lastChange"] == "webhook" and item["status"] == "pending" and item["seq"] == 1, "recording is not a status change"
    order = json.loads(cloud.fn("ApiFunction")(event("api_get_order.json", **{"3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60": order_id}))["body"])
    assert order["webhookUrl"] == receiver and [a["outcome"] for a in order["webhookDeliveries"]["1"]] == ["retrying", "retrying", "delivered"]


def test_a_receiver_that_is_gone_is_given_up_after_the_last_attempt(cloud):
    ev = event("webhook_sender_sqs.json")
    body = json.loads(ev["Records"][0]["body"])
    order_id = json.loads(submit(cloud, webhookUrl="http://127.0.0.1:9/nothing-listens")["body"])["orderId"]
    ev["Records"][0]["body"] = json.dumps({**body, "orderId": order_id, "seq": 1, "url": "http://127.0.0.1:9/nothing-listens"})
    ev["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"  # WebhookMaxAttempts
    assert cloud.fn("WebhookSenderFunction", WEBHOOK_ALLOW_LOOPBACK="true")(ev) == {"batchItemFailures": []}
    (attempt,) = item_of(cloud, order_id)["webhookDeliveries"]["1"]
    assert attempt["outcome"] == "gave up" and attempt["attempt"] == 5 and "httpStatus" not in attempt and attempt["error"]


def test_a_keys_default_webhook_reaches_the_order_through_the_authorizer(cloud, receiver):
    admin = KeyAdmin(DynamoApiKeyStore(cloud.table("ApiKeysTable")), Clock(), default_rate_per_minute=60)
    issued = admin.create("hooked", webhook_url=receiver)
    ev = event("authorizer_http.json", **{"sr_EXAMPLEKEYexampleKEYexampleKEYexampleKEY": issued.api_key})
    context = cloud.fn("AuthorizerFunction")(ev)["context"]
    assert context["webhookUrl"] == receiver
    order_id = json.loads(submit(cloud, context)["body"])["orderId"]
    assert item_of(cloud, order_id)["webhookUrl"] == receiver
    # The signing master shares the keys table: listing keys still lists keys only.
    DynamoWebhookMaster(cloud.table("ApiKeysTable")).get_or_create(b"x" * 32)
    assert cloud.table("ApiKeysTable").get_item(Key={"keyHash": MASTER_KEY}).get("Item")
    assert [k.key_id for k in admin.list()] == [issued.record.key_id]


def test_one_url_that_cannot_be_parsed_is_given_up_and_the_rest_of_its_batch_is_delivered(cloud, receiver):
    """A %00 in the host (accepted before the URL rule refused it, so it may be stored) used to
    crash every delivery of its batch; now it is given up at once with a coarse reason."""
    good = json.loads(submit(cloud, webhookUrl=receiver)["body"])["orderId"]
    bad = json.loads(submit(cloud, webhookUrl=receiver)["body"])["orderId"]
    ev = event("webhook_sender_sqs.json")
    template = ev["Records"][0]
    body = json.loads(template["body"])
    ev["Records"] = [
        {**template, "messageId": f"m-{n}", "body": json.dumps({**body, "orderId": order_id, "seq": 1, "url": url, "keyId": "sr_AbCdEfGh"})}
        for n, (order_id, url) in enumerate([(bad, "https://exa%00mple.com/hook"), (good, receiver)])
    ]
    assert cloud.fn("WebhookSenderFunction", WEBHOOK_ALLOW_LOOPBACK="true")(ev) == {"batchItemFailures": []}, "nothing crashed, nothing to retry"
    (given_up,) = item_of(cloud, bad)["webhookDeliveries"]["1"]
    assert (given_up["outcome"], given_up["error"]) == ("gave up", "refused: not a valid webhook URL")
    (delivered,) = item_of(cloud, good)["webhookDeliveries"]["1"]
    assert delivered["outcome"] == "delivered" and len(Receiver.received) == 1
