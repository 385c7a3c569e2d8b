"""The local cloud's SQS, driven by a real boto3 client over HTTP."""

import asyncio
import hashlib
import json
import threading
import time

import boto3
import pytest
from aiohttp import web
from botocore.exceptions import ClientError

from localcloud.sqs import LocalSqs


@pytest.fixture(scope="module")
def sqs():
    loop = asyncio.new_event_loop()
    service = LocalSqs()
    runner = web.AppRunner(service.app())
    ready = threading.Event()

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        service.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(10)
    client = boto3.client("sqs", endpoint_url=service.base_url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    yield client
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)


_names = iter(range(10_000))


def new_queue(sqs, **attributes):
    return sqs.create_queue(QueueName=f"q{next(_names)}", Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def test_send_receive_delete_with_checksums_and_attributes(sqs):
    url = new_queue(sqs)
    sent = sqs.send_message(QueueUrl=url, MessageBody='{"orderId": "1"}', MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}})
    assert sent["MD5OfMessageBody"] == hashlib.md5(b'{"orderId": "1"}').hexdigest()
    (message,) = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == '{"orderId": "1"}' and message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["MessageAttributes"]["kind"]["StringValue"] == "order"  # botocore verified MD5OfMessageAttributes
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # in flight: invisible
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs):
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    started = time.monotonic()
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    waited = time.monotonic() - started
    assert messages[0]["Body"] == "later" and 0.8 <= waited <= 1.3


def test_visibility_timeout_and_change_message_visibility(sqs):
    url = new_queue(sqs, VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    (first,) = sqs.receive_message(QueueUrl=url)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=1)
    started = time.monotonic()
    (again,) = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert 0.8 <= time.monotonic() - started <= 1.3
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    with pytest.raises(ClientError):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="bogus", VisibilityTimeout=1)


def test_messages_received_too_often_move_to_the_dead_letter_queue(sqs):
    dlq = new_queue(sqs)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = new_queue(sqs, VisibilityTimeout=0, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # a third receive moves it
    (dead,) = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"]
    assert dead["Body"] == "poison"


def test_batches_and_errors_look_like_sqs(sqs):
    url = new_queue(sqs)
    sent = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    assert len(sent["Successful"]) == 3
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == ["m0", "m1", "m2"]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)])
    assert len(deleted["Successful"]) == 3
    with pytest.raises(ClientError) as missing:
        sqs.send_message(QueueUrl=url + "-nope", MessageBody="x")
    assert "NonExistentQueue" in missing.value.response["Error"]["Code"] or missing.value.response["Error"]["Code"] == "QueueDoesNotExist"
    with pytest.raises(ClientError):
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
