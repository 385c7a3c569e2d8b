"""What the local SQS does beyond the conformance suite (test_sqs_conformance.py, run on moto too):
its long polls wake the moment a message becomes visible, and it enforces MessageRetentionPeriod,
checked here with an injected clock because AWS's shortest period is a minute."""

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud.services.sqs import LocalSqs
from tests.support.sqs_endpoints import client, local_sqs


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    with local_sqs() as url:
        yield client(url)


_names = iter(range(10_000))


def new_queue(sqs, **attributes):
    return sqs.create_queue(QueueName=f"q{next(_names)}", Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def test_a_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs):
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    started = time.monotonic()
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    waited = time.monotonic() - started

    assert messages[0]["Body"] == "later"
    assert 0.8 <= waited <= 1.3


def test_a_long_poll_wakes_when_a_visibility_timeout_ends(sqs):
    url = new_queue(sqs, VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    (first,) = sqs.receive_message(QueueUrl=url)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=1)
    started = time.monotonic()
    (again,) = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MessageSystemAttributeNames=["ApproximateReceiveCount"])[
        "Messages"
    ]

    assert 0.8 <= time.monotonic() - started <= 1.3
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


# ---------------------------------------------------------------- retention, on a hand-moved clock


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_700_000_000 + self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def call(clock: FakeClock) -> Iterator[Callable[..., dict]]:
    """Calls an operation of a LocalSqs on the fake clock, in process: call("SendMessage", QueueUrl=...)."""
    sqs, loop = LocalSqs(clock=clock), asyncio.new_event_loop()

    def call(operation: str, **request: Any) -> dict:
        return loop.run_until_complete(getattr(sqs, operation)(request))

    call.sqs = sqs  # type: ignore[attr-defined]
    yield call
    loop.close()


def bodies(answer: dict) -> list[str]:
    return [m["Body"] for m in answer.get("Messages", [])]


def test_messages_older_than_the_retention_period_are_deleted_and_never_delivered(clock, call):
    url = call("CreateQueue", QueueName="kept", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    call("SendMessage", QueueUrl=url, MessageBody="old")
    clock.now += 30
    call("SendMessage", QueueUrl=url, MessageBody="young")
    (in_flight,) = call("ReceiveMessage", QueueUrl=url, VisibilityTimeout=300)["Messages"]

    clock.now += 30  # "old" is 60 s old, "young" 30 s

    assert in_flight["Body"] == "old"
    assert (
        call("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
        == "0"
    )
    assert bodies(call("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10)) == ["young"]
    assert call("DeleteMessage", QueueUrl=url, ReceiptHandle=in_flight["ReceiptHandle"]) == {}  # deleting it again succeeds


def test_a_shorter_retention_period_applies_to_messages_already_queued(clock, call):
    url = call("CreateQueue", QueueName="shortened")["QueueUrl"]
    call("SendMessage", QueueUrl=url, MessageBody="m")
    clock.now += 120
    call("SetQueueAttributes", QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})

    assert bodies(call("ReceiveMessage", QueueUrl=url)) == []


def test_a_dead_letter_keeps_its_original_enqueue_time(clock, call):
    # "the expiration of a message is always based on its original enqueue timestamp"
    # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html)
    dead = call("CreateQueue", QueueName="dead", Attributes={"MessageRetentionPeriod": "120"})["QueueUrl"]
    dead_arn = call("GetQueueAttributes", QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 1})
    url = call("CreateQueue", QueueName="source", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    call("SendMessage", QueueUrl=url, MessageBody="poison")
    call("ReceiveMessage", QueueUrl=url, VisibilityTimeout=0)
    clock.now += 100
    assert bodies(call("ReceiveMessage", QueueUrl=url)) == []  # moved to the dead-letter queue, 100 s old

    clock.now += 20

    assert call("GetQueueAttributes", QueueUrl=dead, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {
        "ApproximateNumberOfMessages": "0"
    }


def test_deleted_messages_do_not_pile_up_waiting_for_their_retention_to_end(clock, call):
    url = call("CreateQueue", QueueName="busy", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    for _ in range(3_000):
        call("SendMessage", QueueUrl=url, MessageBody="m")
        (message,) = call("ReceiveMessage", QueueUrl=url)["Messages"]
        call("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    call("SendMessage", QueueUrl=url, MessageBody="last")

    clock.now += 60

    assert len(call.sqs.backend.queue_named("busy").arrivals) < 2_100  # what retention still tracks
    assert bodies(call("ReceiveMessage", QueueUrl=url)) == []


def test_a_dead_letter_names_the_queue_it_was_moved_from(clock, call):
    """DeadLetterQueueSourceArn: what `solroute ops redrive` sends a dead letter back to (the
    orders and settle queues share one dead-letter queue)."""
    dead = call("CreateQueue", QueueName="dead")["QueueUrl"]
    dead_arn = call("GetQueueAttributes", QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = call("CreateQueue", QueueName="settle", Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 1})})["QueueUrl"]
    source_arn = call("GetQueueAttributes", QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    call("SendMessage", QueueUrl=url, MessageBody="poison")
    call("ReceiveMessage", QueueUrl=url, VisibilityTimeout=0)
    assert bodies(call("ReceiveMessage", QueueUrl=url)) == []  # moved
    (moved,) = call("ReceiveMessage", QueueUrl=dead, MessageSystemAttributeNames=["All"])["Messages"]
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == source_arn
    call("SendMessage", QueueUrl=dead, MessageBody="sent here")
    (sent,) = [m for m in call("ReceiveMessage", QueueUrl=dead, MessageSystemAttributeNames=["All"])["Messages"] if m["Body"] == "sent here"]
    assert "DeadLetterQueueSourceArn" not in sent["Attributes"]
