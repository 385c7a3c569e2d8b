"""What the event source tests share: waiting for a condition, the batches a fixture function
logged, and a DynamoDB table's stream read through the local cloud's StreamEventSource."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import boto3

from localcloud.services.awslambda.event_source_mappings import StreamEventSource
from tests.support.local_function import function, run

REPORTS_FAILURES = {"FunctionResponseTypes": ["ReportBatchItemFailures"]}


async def until(condition, timeout_s: float = 30) -> None:
    """Wait for a condition (polled), failing after a generous deadline."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def logged_batches(path) -> list[list[str]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


KEYS = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
_tables = iter(range(1_000_000))


def table_with(url: str, items: list[dict]) -> str:
    """A new table holding ``items`` (written in this order); its stream's ARN."""
    client = boto3.client("dynamodb", endpoint_url=url, **KEYS)
    name = f"t{next(_tables)}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    for item in items:
        client.put_item(TableName=name, Item=item)
    return client.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def dynamo_item(key: str, **extra: str) -> dict:
    return {"id": {"S": key}, **{name: {"S": value} for name, value in extra.items()}}


def read_stream(url, tmp_path, items: list[dict], properties: dict, done, handler="batches.stream", env=None, **options) -> tuple[list[list[str]], int]:
    """Reads the stream of a table holding ``items`` from its start until ``done(batches logged,
    records discarded)``; the batches the function got, and the records discarded."""
    log = tmp_path / "batches.jsonl"

    async def scenario():
        fn = function(handler, env={"LOG_TO": str(log), **(env or {})})
        streams = boto3.client("dynamodbstreams", endpoint_url=url, **KEYS)
        pool = ThreadPoolExecutor(4)
        source = StreamEventSource(fn, streams, table_with(url, items), {"StartingPosition": "TRIM_HORIZON", **properties}, pool, **options)
        await source.start()
        try:
            await until(lambda: done(logged_batches(log), source.stats().records_discarded))
        finally:
            await source.stop()
            await fn.stop()
            pool.shutdown(wait=False)  # a long poll left in GetRecords ends with the endpoint
        return logged_batches(log), source.stats().records_discarded

    return run(scenario())


def poisoned_items() -> list[dict]:
    return [dynamo_item("a"), {**dynamo_item("b"), "poison": {"BOOL": True}}, dynamo_item("c"), dynamo_item("d")]
