"""DynamoDB's item answers (and stream reads) written as JSON at once, not walked through moto's
shape serializer.

moto (checked against 5.2.6, the version pyproject allows: >=5.1,<6) answers every operation
through a serializer that walks the botocore output shape value by value, looking each member
up under several spellings (XFormedAttributePicker). That walk was over a quarter of the DynamoDB
process's CPU under load (the stream reads, every record with both images, a fifth of it). An
item operation's answer is already the wire's JSON (AttributeValue maps, counts, keys) as a plain
dict, so for those operations the answer here is that dict's top-level members of the output
shape, dumped with json; a stream record's time is written as the walk writes it (epoch seconds,
to the millisecond). Anything else the walk would change falls back to moto's own serializer: a
value json cannot write as is (a binary attribute is bytes, which moto base64-encodes), or a
result that is not a dict.

tests/localcloud/test_dynamodb_answers.py holds the two to the same answer for every operation
named here, and fails when moto's internals this relies on change shape.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from botocore.utils import parse_to_aware_datetime
from moto.core.responses import ActionResult
from moto.core.serialize import TimestampSerializer
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

CONTENT_TYPE = "application/x-amz-json-1.0"
ITEM_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
)
STREAM_OPERATIONS = frozenset({"GetRecords"})  # each stream reader reads every record, with both images


@cache
def output_members(service: str, operation: str) -> frozenset[str]:
    """The member names of an operation's output shape (what moto's walk keeps at the top)."""
    return frozenset(get_service_model(service).operation_model(operation).output_shape.members)


def _timestamp(value: Any) -> Any:
    """A datetime as moto's JSON walk writes it (epoch seconds, to the millisecond); nothing else."""
    if isinstance(value, datetime):
        return TimestampSerializer._timestamp_unixtimestamp(parse_to_aware_datetime(value))
    raise TypeError(type(value).__name__)


def item_answer(operation: str, result: Any, service: str = "dynamodb") -> str | None:
    """The JSON body of an item operation's (or a stream read's) answer, or None where moto's
    serializer must write it."""
    if operation not in (ITEM_OPERATIONS if service == "dynamodb" else STREAM_OPERATIONS) or not isinstance(result, dict):
        return None
    members = output_members(service, operation)
    try:
        return json.dumps({k: v for k, v in result.items() if k in members and v is not None}, default=_timestamp)
    except (TypeError, ValueError):
        return None


# The results that carry their answer as is (not PaginatedResult, EmptyResult: moto's walk adds to those).
_PLAIN_RESULTS = (ActionResult, DynamoResult)


class _LeanAnswers:
    """Answers written by item_answer() where it can, else by moto's serializer."""

    service = "dynamodb"

    def lean_body(self, action_result: ActionResult) -> str | None:
        """The answer's body written here, or None where moto's serializer writes it."""
        if type(action_result) not in _PLAIN_RESULTS:
            return None
        return item_answer(self._get_action(), action_result.result, self.service)  # type: ignore[attr-defined]

    def serialized(self, action_result: ActionResult) -> Any:
        body = self.lean_body(action_result)
        if body is None:
            return super().serialized(action_result)  # type: ignore[misc]
        # What moto's serialized() answers: its JSON serializer's headers, then the handler's.
        headers = {"Content-Type": CONTENT_TYPE, **self.response_headers, "status": 200}  # type: ignore[attr-defined]
        return 200, headers, body


class ItemAnswersHandler(_LeanAnswers, DynamoHandler):
    """moto's DynamoDB handler, with item operations' answers written by item_answer()."""


class StreamAnswersHandler(_LeanAnswers, DynamoDBStreamsHandler):
    """moto's DynamoDB Streams handler, with GetRecords' answers written by item_answer()."""

    service = "dynamodbstreams"
