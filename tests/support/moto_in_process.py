"""One DynamoDB call straight into a moto handler class, in this process (no server, no HTTP):
for tests that look at what the handler itself does with a request."""

from __future__ import annotations

import json

from moto.core.request import Request

URL = "http://127.0.0.1:5000/"
AUTH = "AWS4-HMAC-SHA256 Credential=t/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"


def dynamodb_call(handler: type, operation: str, payload: dict, target: str = "DynamoDB_20120810") -> tuple[int, dict]:
    """Status and parsed JSON answer of ``operation`` with ``payload``, served by ``handler``
    (``target``: "DynamoDBStreams_20120810" for a stream operation)."""
    headers = {"X-Amz-Target": f"{target}.{operation}", "Content-Type": "application/x-amz-json-1.0", "Authorization": AUTH, "Host": "127.0.0.1:5000"}
    body = json.dumps(payload).encode()
    status, _, content = handler.dispatch(Request.from_primitives("POST", URL, headers, body), URL, headers)
    return int(status), json.loads(content or "{}")
