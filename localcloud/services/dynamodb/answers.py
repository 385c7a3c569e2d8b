"""DynamoDB's item answers written as JSON at once, not walked through moto's shape serializer.

moto (checked against 5.2.6, the version pyproject allows: >=5.1,<6) answers every operation
through a serializer that walks the botocore output shape value by value, looking each member
up under several spellings (XFormedAttributePicker). That walk was over a quarter of the DynamoDB
process's CPU under load. An item operation's answer is already the wire's JSON (AttributeValue
maps, counts, keys) as a plain dict, so for those operations the answer here is that dict's
top-level members of the output shape, dumped with json. Anything the walk would change falls
back to moto's own serializer: a value json cannot write as is (a binary attribute is bytes,
which moto base64-encodes; a datetime), or a result that is not a dict.

tests/localcloud/test_dynamodb_answers.py holds the two to the same answer for every operation
named here, and fails when moto's internals this relies on change shape.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.core.utils import get_service_model

CONTENT_TYPE = "application/x-amz-json-1.0"
ITEM_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
)


@cache
def output_members(operation: str) -> frozenset[str]:
    """The member names of an operation's output shape (what moto's walk keeps at the top)."""
    return frozenset(get_service_model("dynamodb").operation_model(operation).output_shape.members)


def item_answer(operation: str, result: Any) -> str | None:
    """The JSON body of an item operation's answer, or None where moto's serializer must write it."""
    if operation not in ITEM_OPERATIONS or not isinstance(result, dict):
        return None
    members = output_members(operation)
    try:
        return json.dumps({k: v for k, v in result.items() if k in members and v is not None})
    except (TypeError, ValueError):
        return None


# The results that carry their answer as is (not PaginatedResult, EmptyResult: moto's walk adds to those).
_PLAIN_RESULTS = (ActionResult, DynamoResult)


class ItemAnswersHandler(DynamoHandler):
    """moto's DynamoDB handler, with item operations' answers written by item_answer()."""

    def lean_body(self, action_result: ActionResult) -> str | None:
        """The answer's body written here, or None where moto's serializer writes it."""
        if type(action_result) not in _PLAIN_RESULTS:
            return None
        return item_answer(self._get_action(), action_result.result)

    def serialized(self, action_result: ActionResult) -> Any:
        body = self.lean_body(action_result)
        if body is None:
            return super().serialized(action_result)
        # What moto's serialized() answers: its JSON serializer's headers, then the handler's.
        headers = {"Content-Type": CONTENT_TYPE, **self.response_headers, "status": 200}
        return 200, headers, body
