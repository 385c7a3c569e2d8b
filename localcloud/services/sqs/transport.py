"""SQS over HTTP: the AWS JSON 1.0 protocol that boto3 speaks to SQS (the older query protocol,
form-encoded, is not served: no client here uses it).

A request names its operation in `X-Amz-Target: AmazonSQS.<Operation>` and carries its
parameters as a JSON object; errors are answered as SQS's are (see errors.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from localcloud.services.sqs.constants import MAX_BATCH_PAYLOAD_BYTES
from localcloud.services.sqs.errors import InvalidAction, InvalidParameterValue, MissingParameter, SqsError

CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "AmazonSQS."
# A full batch is 1 MiB of payload; JSON escaping can make it several times longer on the wire.
MAX_REQUEST_BYTES = 8 * MAX_BATCH_PAYLOAD_BYTES


class Operations(Protocol):
    def operation(self, name: str) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None: ...


def _response(status: int, body: dict, headers: dict[str, str]) -> web.Response:
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), **headers}
    return web.Response(status=status, body=json.dumps(body).encode(), content_type=CONTENT_TYPE, headers=headers)


def _error_response(error: SqsError) -> web.Response:
    body = {"__type": f"com.amazonaws.sqs#{error.code}", "message": error.message}
    return _response(error.status, body, {"x-amzn-query-error": f"{error.query_code};Sender"})


async def _answer(sqs: Operations, request: web.Request) -> dict:
    target = request.headers.get("X-Amz-Target", "")
    name = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
    operation = sqs.operation(name)
    if operation is None:
        raise InvalidAction(name or target)
    try:
        return await operation(json.loads(await request.read() or b"{}"))
    except KeyError as missing:
        raise MissingParameter(str(missing.args[0])) from missing
    except (ValueError, TypeError) as error:
        raise InvalidParameterValue(f"invalid request: {error}") from error


def app(sqs: Operations) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        try:
            return _response(200, await _answer(sqs, request), {})
        except SqsError as error:
            return _error_response(error)

    application = web.Application(client_max_size=MAX_REQUEST_BYTES)
    application.router.add_post("/{tail:.*}", handle)
    return application
