"""The orders table's stream as webhooks read it: a record's order (status_change_of), and, for a
redrive, the records of a batch Lambda set aside, read back by the shard and sequence numbers its
on-failure record names, in the shape Lambda's stream events carry them."""

from __future__ import annotations

import base64
from datetime import datetime
from functools import cached_property
from typing import Any, Callable

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.items import is_status_change, item_to_order
from solroute.models.order import Order
from solroute.models.webhooks import StreamExpired

# What DynamoDB Streams answers for a position it no longer keeps (24 h) or a shard that is gone.
GONE = {"TrimmedDataAccessException", "ResourceNotFoundException", "ExpiredIteratorException"}
MAX_EMPTY_PAGES = 10  # an open shard may answer an empty page before later records: read on, within reason


def status_change_of(raw: dict) -> Order | None:
    """The order a stream record (as Lambda's event carries it) shows, when the record is a
    status change of an order with a webhook; None for any other record (the event source's
    filter drops those before an invocation; a redrive reads every record of a range). Raises
    for a record that cannot be read."""
    # Imported here: only the webhook function reads stream records, and every function imports this module.
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    record = DynamoDBRecord(raw)
    image = record.dynamodb.new_image if record.dynamodb else None
    if raw.get("eventName") not in ("INSERT", "MODIFY") or not image or not is_status_change(image) or not image.get("webhookUrl"):
        return None
    return item_to_order(image)


def _event_shaped(value: Any) -> Any:
    """Attribute values as a Lambda stream event carries them: binaries as base64 text."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _event_shaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_event_shaped(v) for v in value]
    return value


def _as_event_record(record: dict, stream_arn: str) -> dict:
    out = {**record, "eventSourceARN": stream_arn, "dynamodb": _event_shaped(record["dynamodb"])}
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        out["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    return out


class DynamoStreamReader:
    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client  # makes the dynamodbstreams client: only a redrive needs one

    @cached_property
    def client(self) -> Any:
        return self._client()

    def read(self, stream_arn: str, shard_id: str, first: str, last: str) -> list[dict]:
        """The records of ``shard_id`` from sequence number ``first`` to ``last``, both included."""
        records: list[dict] = []
        try:
            iterator = self.client.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first
            )["ShardIterator"]
            empty = 0
            while iterator and empty < MAX_EMPTY_PAGES:
                page = self.client.get_records(ShardIterator=iterator, Limit=1000)
                for record in page.get("Records", []):
                    if int(record["dynamodb"]["SequenceNumber"]) > int(last):
                        return records
                    records.append(_as_event_record(record, stream_arn))
                    if record["dynamodb"]["SequenceNumber"] == last:
                        return records
                empty = 0 if page.get("Records") else empty + 1
                iterator = page.get("NextShardIterator")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in GONE:
                raise StreamExpired(str(error)) from error
            raise
        return records
