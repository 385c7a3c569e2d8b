"""At least once, on moto with the template's WebhookFunction: a stream record that cannot be
read is set aside whole (its batch goes on); a batch Lambda set aside (its place in the orders
stream, as the local cloud's event source records it, like Lambda) is read back from the stream
and queued again when an operator invokes the function with {"redrive": {}}."""

from __future__ import annotations

import json

import boto3
import pytest

from localcloud.services.awslambda.event_source_mappings.destinations import RETRIES_EXHAUSTED, stream_failure_record
from localcloud.services.awslambda.event_source_mappings.events import stream_record
from tests.support.moto_cloud import deployed_in_moto
from tests.support.webhook_flow import item_of, queued, stream_event, submit

RECEIVER = "https://hooks.example.com/solroute"


@pytest.fixture
def deployment(parameters):
    """A deployment for each test: a redrive reads the orders stream from its start, where the
    previous tests' writes and the emptying of their tables would be too."""
    with deployed_in_moto(parameters) as deployed:
        yield deployed


def set_aside(cloud) -> list[dict]:
    url = cloud.queue_url("WebhookStreamFailureQueue")
    return [json.loads(m["Body"]) for m in cloud.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])]


def unreadable_record() -> dict:
    record = {"eventName": "MODIFY", "eventSource": "aws:dynamodb", "dynamodb": {"SequenceNumber": "99", "NewImage": {
        "orderId": {"S": "o-bad"}, "lastChange": {"S": "status"}, "webhookUrl": {"S": RECEIVER}, "doc": {"B": "bm90IGFuIG9yZGVy"},
    }}}  # fmt: skip
    return record


def test_an_unreadable_record_is_set_aside_whole_and_the_rest_of_its_batch_is_queued(cloud):
    """Before: the function raised on it, so its batch (and with no retry limit, its shard) was stuck."""
    order_id = json.loads(submit(cloud, webhookUrl=RECEIVER)["body"])["orderId"]
    good = stream_event(item_of(cloud, order_id))["Records"][0]
    answer = cloud.fn("WebhookFunction")({"Records": [unreadable_record(), good]})
    assert answer == {"batchItemFailures": []}
    ((message,),) = [queued(cloud)]
    assert json.loads(message["Body"])["orderId"] == order_id
    (aside,) = set_aside(cloud)
    assert aside["requestContext"]["condition"] == "UnreadableRecord" and aside["record"] == unreadable_record()


def test_a_batch_lambda_set_aside_is_read_back_from_the_stream_and_queued_by_the_operators_redrive(cloud):
    order_id = json.loads(submit(cloud, webhookUrl=RECEIVER)["body"])["orderId"]
    streams = boto3.client("dynamodbstreams")
    arn = cloud.dynamodb.meta.client.describe_table(TableName=cloud.table("OrdersTable").name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = [stream_record(r, arn) for r in streams.get_records(ShardIterator=iterator)["Records"]]
    assert any(r["dynamodb"]["NewImage"].get("webhookUrl") for r in records)
    lambdas_record = stream_failure_record("arn:aws:lambda:us-east-1:123456789012:function:f", arn, shard, records, RETRIES_EXHAUSTED, 4, None)
    cloud.sqs.send_message(QueueUrl=cloud.queue_url("WebhookStreamFailureQueue"), MessageBody=json.dumps(lambdas_record))

    answer = cloud.fn("WebhookFunction")({"redrive": {}})
    assert answer == {"redriven": 1, "deliveries": 1, "unreadable": 0, "left": 0, "expired": [], "more": False}
    ((message,),) = [queued(cloud)]
    body = json.loads(message["Body"])
    assert (body["orderId"], body["seq"], body["status"], body["url"]) == (order_id, 1, "pending", RECEIVER)
    assert set_aside(cloud) == [], "redriven: no longer set aside"


def test_a_record_set_aside_whole_is_redriven_once_it_can_be_read_and_left_while_it_cannot(cloud):
    order_id = json.loads(submit(cloud, webhookUrl=RECEIVER)["body"])["orderId"]
    url = cloud.queue_url("WebhookStreamFailureQueue")
    readable = {"version": "1.0", "requestContext": {"condition": "UnreadableRecord"}, "record": stream_event(item_of(cloud, order_id))["Records"][0]}
    still_bad = {**readable, "record": unreadable_record()}
    for body in (readable, still_bad):
        cloud.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    answer = cloud.fn("WebhookFunction")({"redrive": {}})
    assert (answer["redriven"], answer["deliveries"], answer["left"]) == (1, 1, 1)
    assert json.loads(queued(cloud)[0]["Body"])["orderId"] == order_id
    attributes = cloud.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1", "the unreadable one stays set aside, for a later run"


def test_the_template_retries_until_the_window_ends_and_sets_aside_what_it_gives_up():
    from localcloud.template import load_yaml
    from localcloud.services.awslambda.constants import STREAM_RETENTION_S, UNLIMITED
    from tests.lambdas import ROOT

    raw = load_yaml(ROOT / "template.yaml")
    source = raw["Resources"]["WebhookFunction"]["Properties"]["Events"]["StatusChanges"]["Properties"]
    assert source["MaximumRetryAttempts"] == UNLIMITED and source["MaximumRecordAgeInSeconds"] == {"Ref": "WebhookStreamRetrySeconds"}
    assert source["DestinationConfig"]["OnFailure"] == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["WebhookStreamFailureQueue", "Arn"]}}
    window = raw["Parameters"]["WebhookStreamRetrySeconds"]
    assert 60 <= window["MinValue"] <= window["Default"] <= window["MaxValue"] <= STREAM_RETENTION_S - 3600, "an hour at least to redrive"
    env = raw["Resources"]["WebhookFunction"]["Properties"]["Environment"]["Variables"]
    assert env["WEBHOOK_STREAM_FAILURE_QUEUE_URL"] == {"Ref": "WebhookStreamFailureQueue"}


def test_a_position_the_stream_no_longer_keeps_reads_as_expired():
    import pytest
    from botocore.stub import Stubber
    from solroute.dal.dynamodb.streams import DynamoStreamReader
    from solroute.models.webhooks import StreamExpired

    client = boto3.client("dynamodbstreams", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("get_shard_iterator", "TrimmedDataAccessException", "older than 24 hours")
        with pytest.raises(StreamExpired):
            DynamoStreamReader(lambda: client).read(
                "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-12-07T00:00:00.000", "shardId-00000001541626099285-f35f62ef",
                "1100000000017454423009", "1100000000017454423010",
            )
