"""Event source mappings as Lambda runs them: which records a batch response deletes or retries,
and how a stream batch that fails is split, retried and given up on. The functions run as real
processes; a stream is read from the local cloud's own DynamoDB endpoint."""

import asyncio
import json
import time

import pytest

from localcloud.services.awslambda.event_source_mappings import InProcessQueue, SqsEventSource
from localcloud.services.sqs import LocalSqs
from tests.support.local_function import function, run
from tests.support.stream_reading import REPORTS_FAILURES, dynamo_item, logged_batches, poisoned_items, read_stream, until

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"


# ---------------------------------------------------------------- SQS
class OneBatchQueue:
    """The queue behind an SQS source: hands out one batch, then long-polls empty; keeps what the
    source deletes."""

    url = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
    idle_short_poll_s = None

    def __init__(self, messages: list[dict]) -> None:
        self._batch = messages
        self.deleted: list[str] = []
        self.delete_calls: list[int] = []

    async def receive(self, max_messages: int, wait_s: int) -> list[dict]:
        batch, self._batch = self._batch, []
        if not batch:
            await asyncio.sleep(wait_s)  # an empty long poll
        return batch

    async def delete(self, handles: list[str]) -> list[dict]:
        assert len(handles) <= 10, "DeleteMessageBatch takes at most 10 entries"
        self.deleted += handles
        self.delete_calls.append(len(handles))
        return []


def _message(message_id: str, asks: dict) -> dict:
    body = json.dumps(asks)
    return {"MessageId": message_id, "ReceiptHandle": f"handle-{message_id}", "Body": body, "Attributes": {"ApproximateReceiveCount": "1"}}


def _deliver_one_batch(tmp_path, asks: dict, properties: dict) -> list[str]:
    """Two messages (m1 asks for the response) in one batch; the receipt handles deleted after it."""

    async def scenario():
        fn = function("batches.queue", env={"LOG_TO": str(tmp_path / "batches.jsonl")})
        queue = OneBatchQueue([_message("m1", asks), _message("m2", {})])
        source = SqsEventSource(fn, queue, QUEUE_ARN, properties)
        await source.start()
        try:
            await until(lambda: fn.stats.invocations >= 1)
            await source.stop()  # the batch being delivered finishes first
            return queue.deleted
        finally:
            await fn.stop()

    return run(scenario())


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "not-in-the-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"id": "m2"}]},
        {"batchItemFailures": "m2"},
        "not an EventResponse",
    ],
    ids=["unknown-id", "one-unknown-id", "empty-id", "null-id", "bad-key-name", "not-a-list", "not-an-object"],
)
def test_an_invalid_batch_response_fails_the_whole_batch_and_deletes_nothing(tmp_path, response):
    assert _deliver_one_batch(tmp_path, {"answer": response}, REPORTS_FAILURES) == []


def test_a_batch_of_more_than_ten_is_deleted_ten_at_a_time(tmp_path):
    async def scenario():
        fn = function("batches.queue", env={"LOG_TO": str(tmp_path / "batches.jsonl")})
        queue = OneBatchQueue([_message(f"m{i}", {}) for i in range(25)])
        source = SqsEventSource(fn, queue, QUEUE_ARN, {"BatchSize": 25, "MaximumBatchingWindowInSeconds": 1})
        await source.start()
        try:
            await until(lambda: fn.stats.invocations >= 1)
            await source.stop()
            return queue
        finally:
            await fn.stop()

    queue = run(scenario())
    assert sorted(queue.deleted) == sorted(f"handle-m{i}" for i in range(25)) and queue.delete_calls == [10, 10, 5]


def test_a_function_error_deletes_nothing(tmp_path):
    assert _deliver_one_batch(tmp_path, {"raise": "bad input"}, REPORTS_FAILURES) == []


@pytest.mark.parametrize(
    "response, deleted",
    [
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, ["handle-m1"]),
        ({"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}, []),
        ({"batchItemFailures": []}, ["handle-m1", "handle-m2"]),
        ({"batchItemFailures": None}, ["handle-m1", "handle-m2"]),
        ({}, ["handle-m1", "handle-m2"]),
        (None, ["handle-m1", "handle-m2"]),
    ],
    ids=["one-failed", "all-failed", "empty-list", "null-list", "empty-response", "null-response"],
)
def test_a_valid_batch_response_deletes_every_message_it_does_not_name(tmp_path, response, deleted):
    assert _deliver_one_batch(tmp_path, {"answer": response}, REPORTS_FAILURES) == deleted


def test_without_report_batch_item_failures_the_response_is_not_read(tmp_path):
    response = {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}
    assert _deliver_one_batch(tmp_path, {"answer": response}, {}) == ["handle-m1", "handle-m2"]


def test_a_batch_failed_by_its_response_reappears_after_the_visibility_timeout_and_runs_again(tmp_path):
    """Through the local SQS: nothing is deleted, the message comes back once its visibility
    timeout is over, and the second delivery (which succeeds) deletes it."""
    log = tmp_path / "batches.jsonl"
    asks = {"answer": {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}, "answerOnRedelivery": None}

    async def scenario():
        sqs = LocalSqs("http://127.0.0.1:9")
        url = (await sqs.CreateQueue({"QueueName": "orders", "Attributes": {"VisibilityTimeout": "1"}}))["QueueUrl"]
        await sqs.SendMessage({"QueueUrl": url, "MessageBody": json.dumps(asks)})
        fn = function("batches.queue", env={"LOG_TO": str(log)})
        source = SqsEventSource(fn, InProcessQueue(sqs, url), QUEUE_ARN, REPORTS_FAILURES)
        await source.start()
        try:
            await until(lambda: fn.stats.invocations >= 2)
            await source.stop()
            attributes = await sqs.GetQueueAttributes({"QueueUrl": url, "AttributeNames": ["All"]})
            return source.stats(), attributes["Attributes"]
        finally:
            await fn.stop()

    stats, attributes = run(scenario())
    assert len(logged_batches(log)) == 2 and logged_batches(log)[0] == logged_batches(log)[1], "the same message, delivered twice"
    assert (stats.batches, stats.failed_batches) == (2, 1)
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


# ---------------------------------------------------------------- DynamoDB streams (the `dynamodb` endpoint: conftest.py)
def test_bisect_splits_a_failed_batch_until_the_bad_record_is_alone_and_splitting_is_not_a_retry(dynamodb, tmp_path):
    properties = {"BisectBatchOnFunctionError": True, "MaximumRetryAttempts": 1}
    batches, discarded = read_stream(dynamodb, tmp_path, poisoned_items(), properties, lambda logged, discarded: discarded and "d" in logged[-1])
    assert batches == [["a", "b", "c", "d"], ["a", "b"], ["a"], ["b"], ["b"], ["c", "d"]]
    assert discarded == 1, "only the poison record, after its one retry"


def test_without_bisect_a_failed_batch_is_retried_whole_then_discarded(dynamodb, tmp_path):
    batches, discarded = read_stream(dynamodb, tmp_path, poisoned_items(), {"MaximumRetryAttempts": 1}, lambda logged, discarded: discarded)
    assert batches == [["a", "b", "c", "d"]] * 2
    assert discarded == 4


def test_a_partial_response_with_bisect_retries_from_the_reported_record(dynamodb, tmp_path):
    items = [dynamo_item("a"), {**dynamo_item("b"), "fails": {"BOOL": True}}, dynamo_item("c")]
    properties = {"BisectBatchOnFunctionError": True, "MaximumRetryAttempts": 1, **REPORTS_FAILURES}
    batches, discarded = read_stream(dynamodb, tmp_path, items, properties, lambda logged, discarded: discarded)
    assert batches == [["a", "b", "c"], ["b", "c"]]
    assert discarded == 2, "the records from the checkpoint on"


@pytest.mark.parametrize(
    "response",
    [{"batchItemFailures": [{"itemIdentifier": "1"}]}, {"batchItemFailures": [{"itemIdentifier": ""}]}, {"batchItemFailures": [{"itemIdentifier": None}]}, {"batchItemFailures": [{"id": "1"}]}, "ok"],
    ids=["unknown-sequence-number", "empty-id", "null-id", "bad-key-name", "not-an-object"],
)
def test_an_invalid_stream_batch_response_retries_the_whole_batch(dynamodb, tmp_path, response):
    items = [dynamo_item("a", answer=json.dumps(response)), dynamo_item("b")]
    batches, discarded = read_stream(dynamodb, tmp_path, items, {"MaximumRetryAttempts": 1, **REPORTS_FAILURES}, lambda logged, discarded: discarded or len(logged) > 1)
    assert batches == [["a", "b"]] * 2
    assert discarded == 2


def test_records_older_than_the_maximum_age_are_discarded_without_an_invocation(dynamodb, tmp_path):
    def in_an_hour() -> float:  # the source's clock: both records are an hour old by it
        return time.time() + 3600

    batches, discarded = read_stream(dynamodb, tmp_path, [dynamo_item("a"), dynamo_item("b")], {"MaximumRecordAgeInSeconds": 60}, lambda logged, discarded: discarded, clock=in_an_hour)
    assert batches == []
    assert discarded == 2
