"""The local cloud's DynamoDB endpoint (moto behind localcloud/services/dynamodb/server.py), as a
real process on a free port: AWS answers, the stream long poll, and the bill it keeps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import boto3
import pytest

from localcloud.services.dynamodb.bill import index_write_units, write_units
from localcloud.services.dynamodb.endpoint import wait_until_up
from localcloud.services.dynamodb.long_poll import STREAM_WAIT_HEADER
from tests.support.cloud_process import free_port

KEYS = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}


@pytest.fixture(scope="module")
def endpoint():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "localcloud.services.dynamodb.server", "127.0.0.1", str(port), "--meter"])
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/", process=process)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _table(endpoint: str, name: str) -> tuple:
    client = boto3.client("dynamodb", endpoint_url=endpoint, **KEYS)
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "sweep", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "bySweep", "KeySchema": [{"AttributeName": "sweep", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return client, client.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def _usage(endpoint: str, table: str) -> tuple[float, float]:
    with urllib.request.urlopen(f"{endpoint}/_localcloud/usage") as response:
        usage = json.loads(response.read())
    return usage["wru"].get(table, 0), usage["rru"].get(table, 0)


def test_it_answers_as_dynamodb_does_errors_included(endpoint):
    client, _ = _table(endpoint, "answers")
    client.put_item(TableName="answers", Item={"id": {"S": "a"}, "doc": {"B": b"\x00\xff"}})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName="answers", Item={"id": {"S": "a"}}, ConditionExpression="attribute_not_exists(id)")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_item(TableName="nowhere", Key={"id": {"S": "a"}})
    assert client.get_item(TableName="answers", Key={"id": {"S": "a"}})["Item"]["doc"] == {"B": b"\x00\xff"}


def test_writes_are_billed_by_the_larger_item_with_index_writes_and_failed_conditions(endpoint):
    client, _ = _table(endpoint, "billed")
    big = {"B": os.urandom(1500)}  # 2 KB with its key: 2 write units
    client.put_item(TableName="billed", Item={"id": {"S": "a"}, "doc": big, "sweep": {"S": "p"}})  # 2 + 1 (index entry)
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName="billed", Item={"id": {"S": "a"}}, ConditionExpression="attribute_not_exists(id)")  # 2
    client.update_item(TableName="billed", Key={"id": {"S": "a"}}, UpdateExpression="REMOVE sweep, doc")  # before: 2, index delete: 1
    client.get_item(TableName="billed", Key={"id": {"S": "a"}}, ConsistentRead=True)  # 1
    client.get_item(TableName="billed", Key={"id": {"S": "a"}})  # 0.5
    assert _usage(endpoint, "billed") == (8, 1.5)


def test_an_index_entry_costs_a_write_when_it_appears_changes_or_goes_and_nothing_otherwise():
    index = {"KeySchema": [{"AttributeName": "sweep", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}
    pending, other = {"id": {"S": "a"}, "sweep": {"S": "p"}}, {"id": {"S": "a"}, "sweep": {"S": "q"}}
    assert index_write_units(None, pending, index, ["id"]) == 1
    assert index_write_units(pending, {**pending, "doc": {"S": "x"}}, index, ["id"]) == 0, "not projected"
    assert index_write_units(pending, other, index, ["id"]) == 2, "a moved key: delete and put"
    assert index_write_units(pending, {"id": {"S": "a"}}, index, ["id"]) == 1
    assert index_write_units({"id": {"S": "a"}}, {"id": {"S": "a"}, "doc": {"S": "x"}}, index, ["id"]) == 0, "sparse"
    assert write_units(0) == 1 and write_units(1024) == 1 and write_units(1025) == 2


def test_a_long_polled_read_of_an_idle_stream_answers_the_moment_a_record_is_written(endpoint):
    client, arn = _table(endpoint, "streamed")
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, **KEYS)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    streams.meta.events.register("before-send.dynamodb-streams.GetRecords", lambda request, **_: request.headers.__setitem__(STREAM_WAIT_HEADER, "20000"))
    written = threading.Event()

    def write_when_the_read_waits():
        time.sleep(0.5)  # the read below is waiting by now (were it not, it would find the record at once: the test still passes)
        client.put_item(TableName="streamed", Item={"id": {"S": "a"}})
        written.set()

    threading.Thread(target=write_when_the_read_waits).start()
    started = time.monotonic()
    records = streams.get_records(ShardIterator=iterator)["Records"]
    # The record can come back before the writer thread has run its next line: wait for that line.
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records] == ["a"] and written.wait(10)
    assert time.monotonic() - started < 15, "answered when the record came, not at the end of the wait"


def test_a_read_without_the_header_answers_at_once_as_on_aws(endpoint):
    client, arn = _table(endpoint, "plain")
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, **KEYS)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    started = time.monotonic()
    assert streams.get_records(ShardIterator=iterator)["Records"] == []
    assert time.monotonic() - started < 5
