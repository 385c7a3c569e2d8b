"""At least once (docs/webhooks.md), on a running local cloud with the template's own settings:
the webhook queue refuses the status changes of an order (its MaximumMessageSize lowered below
their size, as an operator's mistake would) for longer than the three stream retries the
template used to allow, and they still reach the receiver once it takes them again. With a
retry window short enough to run out, what is refused is set aside on WebhookStreamFailureQueue
(its place in the stream, not the records), and the operator's redrive, invoked through the
Lambda Invoke API as docs/webhooks.md says, brings every status change to the receiver."""

from __future__ import annotations

import json
import time

import aiohttp
import boto3
import pytest

from tests.support.cloud_client import run, submit, wait_final
from tests.support.cloud_process import FAST, start_cloud, stop_cloud
from tests.support.webhook_receiver import Receiver, until_every_status_delivered

KEYS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
SMALLEST = "1024"  # bytes: SQS's least MaximumMessageSize, below a delivery message with this URL
PADDING = "x" * 1200


@pytest.fixture(scope="module")
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def short_retry_cloud():
    """The stream gives a refused status change 2 s before it sets it aside (the template's
    least is 60 s on AWS; the local cloud takes any value, so the test need not wait a minute)."""
    running = start_cloud([*FAST, "WebhookStreamRetrySeconds=2"])
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def _queue(cloud, name: str) -> tuple:
    sqs = boto3.client("sqs", endpoint_url=cloud.sqs, **KEYS)
    (url,) = [u for u in sqs.list_queues()["QueueUrls"] if u.endswith("-" + name)]
    return sqs, url


def _until(check, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def _submit_refused(cloud, receiver) -> dict:
    """An order whose status changes the webhook queue refuses: confirmed all the same."""

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http, webhookUrl=f"{receiver.url}/refused?pad={PADDING}")
            return await wait_final(session, cloud.http, accepted["orderId"])

    return run(scenario())


def _delivered(cloud, receiver, order: dict) -> dict:
    """The order once each status change of its history shows a delivered attempt."""
    order = until_every_status_delivered(cloud, order, timeout=60)
    posted = {json.loads(b)["seq"] for p, _, b in receiver.requests if p.startswith("/refused") and json.loads(b)["orderId"] == order["orderId"]}
    assert sorted(posted) == sorted(h["seq"] for h in order["history"]), "every status change reached the receiver"
    return order


def test_a_status_change_refused_for_longer_than_three_stream_retries_still_reaches_the_receiver(cloud, receiver):
    """Before: MaximumRetryAttempts 3 and no destination: after the fourth invocation the status
    change was dropped for good (the receiver never got it)."""
    sqs, url = _queue(cloud, "WebhookQueue")
    size = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])["Attributes"]["MaximumMessageSize"]
    before = cloud.stats()
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": SMALLEST})
    try:
        order = _submit_refused(cloud, receiver)
        invoked = before["functions"]["WebhookFunction"]["invocations"]
        _until(lambda: cloud.stats()["functions"]["WebhookFunction"]["invocations"] >= invoked + 6)  # the first try, then 5 retries
        assert cloud.stats()["streamRecordsDiscarded"] == before["streamRecordsDiscarded"], "nothing given up"
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": size})
    order = _delivered(cloud, receiver, order)
    assert order["status"] == "confirmed"


def test_what_the_stream_sets_aside_is_redriven_by_the_operator(short_retry_cloud, receiver):
    cloud = short_retry_cloud
    sqs, url = _queue(cloud, "WebhookQueue")
    _, failures = _queue(cloud, "WebhookStreamFailureQueue")
    size = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])["Attributes"]["MaximumMessageSize"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": SMALLEST})
    try:
        order = _submit_refused(cloud, receiver)
        _until(lambda: cloud.stats()["streamRecordsDiscarded"] >= len(order["history"]))
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": size})
    peeked = sqs.receive_message(QueueUrl=failures, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    records = [json.loads(m["Body"]) for m in peeked]
    assert records and all(r["requestContext"]["condition"] == "RecordAgeExceeded" and "Records" not in r for r in records)
    assert sum(r["DDBStreamBatchInfo"]["batchSize"] for r in records) == len(order["history"]), "its place in the stream, each status change"
    assert not [b for _, _, b in receiver.requests if json.loads(b)["orderId"] == order["orderId"]], "nothing reached the receiver yet"

    # The operator, once the queue takes messages again (docs/webhooks.md, "At least once").
    lam = boto3.client("lambda", endpoint_url=cloud.lambda_endpoint, **KEYS)
    answer = json.loads(lam.invoke(FunctionName="solroute-dev-WebhookFunction", Payload=json.dumps({"redrive": {}}))["Payload"].read())
    assert answer == {"redriven": len(records), "deliveries": len(order["history"]), "unreadable": 0, "left": 0, "expired": [], "more": False}
    _delivered(cloud, receiver, order)
    attributes = sqs.get_queue_attributes(QueueUrl=failures, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
