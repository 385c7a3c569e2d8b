"""The HTTP API on the wire (aiohttp): CORS preflights, route matching, the function's invocation,
and API Gateway's own answers in JSON, whatever goes wrong."""

from __future__ import annotations

import logging
from typing import Any, Callable

from aiohttp import web

from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.services.http.authorizers import HttpAuthorizers
from localcloud.services.http.constants import (
    DECOMPRESSES_REQUESTS,
    MAX_LINE_BYTES,
    MAX_PAYLOAD_BYTES,
    MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES,
    REQUEST_TOO_LARGE_MESSAGE,
)
from localcloud.services.http.errors import MalformedResponse, gateway_error, internal_error, not_found
from localcloud.services.http.payload import build_event, to_http_response
from localcloud.services.http.routes import HttpRoute

log = logging.getLogger("localcloud")


def make_app(
    routes: list[HttpRoute],
    functions: Callable[[str], LocalFunction],
    cors: dict | None,
    api_id: str,
    extra: Callable[[web.Application], None] | None = None,
) -> web.Application:
    ordered = sorted(routes, key=lambda r: r.specificity, reverse=True)
    authorizers = HttpAuthorizers(functions, api_id)

    def cors_headers(request: web.Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        allowed = (cors or {}).get("AllowOrigins") or []
        if not origin or not allowed or not ("*" in allowed or origin in allowed):
            return {}
        return {"Access-Control-Allow-Origin": "*" if "*" in allowed else origin}

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.method == "OPTIONS" and cors and request.headers.get("access-control-request-method"):
            headers = cors_headers(request)
            headers["Access-Control-Allow-Methods"] = ",".join(cors.get("AllowMethods") or ["*"])
            headers["Access-Control-Allow-Headers"] = ",".join(cors.get("AllowHeaders") or ["*"])
            return web.Response(status=204, headers=headers)
        for route in ordered:
            params = route.match(request.method, request.path)
            if params is not None:
                break
        else:
            return not_found()
        event = await build_event(request, route, params, api_id)
        if route.authorizer is not None:
            authorized = await authorizers.authorize(route.authorizer, event)
            if isinstance(authorized, web.Response):
                authorized.headers.update(cors_headers(request))
                return authorized
            event["requestContext"]["authorizer"] = authorized
        invocation = await functions(route.function).invoke(event)
        if not invocation.ok:
            return internal_error()
        try:
            response = to_http_response(invocation.result)
        except MalformedResponse as malformed:
            log.warning("HTTP API: %s answered %s %s with a response API Gateway cannot send: %s", route.function, request.method, request.path, malformed)
            return internal_error()
        response.headers.update(cors_headers(request))
        response.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        return response

    @web.middleware
    async def request_size(request: web.Request, handler: Any) -> web.StreamResponse:
        line = len(request.method) + len(request.raw_path) + len(" HTTP/1.1") + 1
        if line + sum(len(value) for _, value in request.raw_headers) > MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES:
            return gateway_error(413, REQUEST_TOO_LARGE_MESSAGE)
        return await handler(request)

    @web.middleware
    async def gateway_errors(request: web.Request, handler: Any) -> web.StreamResponse:
        """API Gateway answers its own errors in JSON; so does the local cloud, whatever went wrong."""
        try:
            return await handler(request)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            return gateway_error(error.status, error.reason)
        except Exception:  # noqa: BLE001 - a bug here must not become a plain-text 500
            log.exception("HTTP API: %s %s failed in the local cloud", request.method, request.path)
            return internal_error()

    # aiohttp answers 413 to a body over client_max_size, and the middleware makes it API Gateway's JSON.
    handler_args = {"auto_decompress": DECOMPRESSES_REQUESTS, "max_line_size": MAX_LINE_BYTES, "max_field_size": MAX_LINE_BYTES}
    app = web.Application(client_max_size=MAX_PAYLOAD_BYTES, middlewares=[request_size, gateway_errors], handler_args=handler_args)
    if extra:
        extra(app)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app
