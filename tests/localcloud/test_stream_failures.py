"""What a DynamoDB stream event source does with records it cannot deliver, as Lambda does it:
with MaximumRetryAttempts -1 it retries until they would expire; what it discards is recorded on
its OnFailure destination as the batch's place in the stream (shard, first and last sequence
numbers; never the records), from which they can be read again while the stream keeps them."""

import json
import time

import boto3
import pytest

from tests.support.stream_reading import KEYS, REPORTS_FAILURES, dynamo_item, poisoned_items, read_stream

UNTIL_EXPIRY = {"MaximumRetryAttempts": -1, "MaximumRecordAgeInSeconds": -1}


class Destination:
    """An on-failure destination that keeps what it is sent."""

    url = "https://sqs.us-east-1.amazonaws.com/123456789012/failures"

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, body: str) -> None:
        self.sent.append(json.loads(body))


def _reread(url: str, info: dict) -> list[str]:
    """The ids of the records a failure record names, read again from the stream."""
    streams = boto3.client("dynamodbstreams", endpoint_url=url, **KEYS)
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"], ShardId=info["shardId"], ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=info["startSequenceNumber"]
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    last = int(info["endSequenceNumber"])
    return [r["dynamodb"]["NewImage"]["id"]["S"] for r in records if int(r["dynamodb"]["SequenceNumber"]) <= last]


def test_with_unlimited_retries_a_batch_refused_longer_than_three_retries_still_arrives(dynamodb, tmp_path):
    batches, discarded = read_stream(
        dynamodb, tmp_path, [dynamo_item("a"), dynamo_item("b")], UNTIL_EXPIRY, lambda logged, discarded: len(logged) >= 7 or discarded,
        handler="batches.stream_failing_first", env={"FAIL_FIRST": "6"},
    )  # fmt: skip
    assert (batches, discarded) == ([["a", "b"]] * 7, 0), "six failed invocations, then the one that worked; nothing discarded"


def test_a_discarded_batch_is_recorded_on_the_destination_by_its_place_in_the_stream(dynamodb, tmp_path):
    destination = Destination()
    properties = {"BisectBatchOnFunctionError": True, "MaximumRetryAttempts": 1}
    _, discarded = read_stream(dynamodb, tmp_path, poisoned_items(), properties, lambda logged, discarded: discarded and "d" in logged[-1], on_failure=destination)
    assert discarded == 1
    ((failure),) = destination.sent
    assert failure["version"] == "1.0" and failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2 and failure["requestContext"]["functionArn"].endswith(":function:test-batches.stream")
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    info = failure["DDBStreamBatchInfo"]
    shard = boto3.client("dynamodbstreams", endpoint_url=dynamodb, **KEYS).describe_stream(StreamArn=info["streamArn"])["StreamDescription"]["Shards"][0]
    assert info["shardId"] == shard["ShardId"] and info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["approximateArrivalOfFirstRecord"].endswith("Z") and "Records" not in failure, "its place, not its records"
    assert _reread(dynamodb, info) == ["b"], "the discarded record, read again from the stream"


def test_records_cut_at_a_partial_response_are_recorded_from_the_checkpoint_on(dynamodb, tmp_path):
    destination = Destination()
    items = [dynamo_item("a"), {**dynamo_item("b"), "fails": {"BOOL": True}}, dynamo_item("c")]
    properties = {"MaximumRetryAttempts": 1, **REPORTS_FAILURES}
    read_stream(dynamodb, tmp_path, items, properties, lambda logged, discarded: discarded, on_failure=destination)
    ((failure),) = destination.sent
    assert "functionError" not in failure["responseContext"], "the function answered: some records failed"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2 and _reread(dynamodb, failure["DDBStreamBatchInfo"]) == ["b", "c"]


@pytest.mark.parametrize("properties, age_h", [({"MaximumRecordAgeInSeconds": 60}, 1), (UNTIL_EXPIRY, 25)], ids=["maximum-age", "stream-retention"])
def test_records_too_old_are_recorded_as_record_age_exceeded_without_an_invocation(dynamodb, tmp_path, properties, age_h):
    destination = Destination()

    def later() -> float:  # the source's clock
        return time.time() + age_h * 3600

    batches, discarded = read_stream(dynamodb, tmp_path, [dynamo_item("a"), dynamo_item("b")], properties, lambda logged, d: d, clock=later, on_failure=destination)
    assert (batches, discarded) == ([], 2)
    ((failure),) = destination.sent
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded" and failure["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in failure and _reread(dynamodb, failure["DDBStreamBatchInfo"]) == ["a", "b"]
