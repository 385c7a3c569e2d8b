"""The Lambda Invoke API (POST /2015-03-31/functions/{FunctionName}/invocations), so that
boto3's lambda client or the aws cli can run any function of the template on demand."""

from __future__ import annotations

import json
import re
from typing import Callable

from aiohttp import web

from localcloud.services.awslambda.async_invoke import AsyncInvoker
from localcloud.services.awslambda.constants import ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT
from localcloud.services.awslambda.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    InvokeError,
    RequestTooLargeException,
    ResourceNotFoundException,
)
from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.template import ACCOUNT_ID, REGION

# A function name, a partial ARN (123456789012:function:name) or a full ARN, with an optional
# qualifier: the Invoke API's FunctionName.
_FUNCTION_NAME = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9_.-]+)(?::([$a-zA-Z0-9_.-]+))?$"
)


def _error(error: InvokeError) -> web.Response:
    body = json.dumps({"Type": "User", "message": error.message}).encode()
    return web.Response(status=error.status, body=body, content_type="application/json", headers={"x-amzn-ErrorType": error.code})


class LambdaApi:
    def __init__(self, functions: dict[str, LocalFunction], invokers: Callable[[str], AsyncInvoker]) -> None:
        self.functions = functions  # by logical id (filled once the template's functions exist)
        self.invokers = invokers  # logical id -> its asynchronous invocation

    def resolve(self, function_name: str) -> str | None:
        """The logical id of a FunctionName (name, partial or full ARN; or, a convenience the
        real API lacks, the logical id), if the template has that function."""
        found = _FUNCTION_NAME.match(function_name)
        if not found or found.group(2) not in (None, "$LATEST"):
            return None
        name = found.group(1)
        by_physical_name = {f.function_name: logical_id for logical_id, f in self.functions.items()}
        return by_physical_name.get(name) or (name if name in self.functions else None)

    async def invoke(self, request: web.Request) -> web.Response:
        function_name = request.match_info["function_name"]
        logical_id = self.resolve(function_name)
        if logical_id is None:
            arn = function_name if function_name.startswith("arn:") else f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
            return _error(ResourceNotFoundException(arn))
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            return _error(InvalidParameterValueException(f"Unsupported invocation type: {invocation_type}"))
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        try:
            payload = await request.read()  # the app refuses bodies over the synchronous limit
        except web.HTTPRequestEntityTooLarge:
            payload = None
        if payload is None or len(payload) > limit:
            return _error(RequestTooLargeException(limit))
        try:
            event = json.loads(payload) if payload.strip() else {}
        except ValueError as error:  # includes bytes that are not UTF-8
            return _error(InvalidRequestContentException(error))
        if invocation_type == "DryRun":
            return web.Response(status=204)
        if invocation_type == "Event":
            request_id = self.invokers(logical_id).submit(event)
            return web.Response(status=202, headers={"x-amzn-RequestId": request_id})
        invocation = await self.functions[logical_id].invoke(event)
        headers = {"x-amzn-RequestId": invocation.request_id, "X-Amz-Executed-Version": "$LATEST"}
        if invocation.ok:
            body = invocation.result
        else:  # a function error is still a 200: the error is the payload, flagged by a header
            body = {**invocation.error, "requestId": invocation.request_id}
            headers["X-Amz-Function-Error"] = "Unhandled"
        return web.Response(status=200, body=json.dumps(body).encode(), content_type="application/json", headers=headers)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=SYNC_PAYLOAD_LIMIT)
        app.router.add_post("/2015-03-31/functions/{function_name}/invocations", self.invoke)
        return app
