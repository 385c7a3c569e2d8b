"""The HTTP API (API Gateway v2, payload format 2.0) in front of the template's functions."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import web

from localcloud.runtime import LocalFunction
from localcloud.template import ACCOUNT_ID

log = logging.getLogger("localcloud")
_TEXT_TYPES = re.compile(r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+json|[^;]*\+xml)")


@dataclass
class HttpRoute:
    method: str  # GET, POST, ..., or ANY
    path: str  # /api/orders/{orderId}, /{proxy+}
    function: str  # logical id

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def _pattern(self) -> re.Pattern:
        parts = []
        for segment in self.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                parts.append(f"(?P<{segment[1:-2]}>.+)")
            elif segment.startswith("{") and segment.endswith("}"):
                parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
            else:
                parts.append(re.escape(segment))
        return re.compile("^/" + "/".join(parts) + "$")

    def match(self, method: str, path: str) -> dict | None:
        if self.method not in ("ANY", method):
            return None
        found = self._pattern().match(path)
        return found.groupdict() if found else None

    @property
    def specificity(self) -> tuple:
        segments = self.path.strip("/").split("/")
        return (sum(not s.startswith("{") for s in segments), -sum(s.endswith("+}") for s in segments), len(segments), self.method != "ANY")


def _http_date(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")


async def build_event(request: web.Request, route: HttpRoute, path_parameters: dict, api_id: str) -> dict:
    raw = await request.read()
    text = _as_text(raw, request.headers.get("content-type", ""))
    is_text = not raw or text is not None
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key != "cookie":
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in request.query.items():
        query[name] = f"{query[name]},{value}" if name in query else value
    now_ms = int(time.time() * 1000)
    peer = request.remote or "127.0.0.1"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0].split(":")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
                "sourceIp": peer,
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": base64.b64encode(uuid.uuid4().bytes[:10]).decode().rstrip("="),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": _http_date(now_ms),
            "timeEpoch": now_ms,
        },
        "isBase64Encoded": not is_text,
    }
    cookies = request.headers.getall("cookie", [])
    if cookies:
        event["cookies"] = [c.strip() for header in cookies for c in header.split(";") if c.strip()]
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if raw:
        event["body"] = text if text is not None else base64.b64encode(raw).decode()
    return event


def _as_text(raw: bytes, content_type: str) -> str | None:
    """The body as text when API Gateway passes it as text: a text content type whose bytes
    are UTF-8. Anything else (binary types, or bytes that are not UTF-8 whatever the client
    claims) is binary, passed base64-encoded with isBase64Encoded true.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html"""
    if not _TEXT_TYPES.match(content_type.lower()):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def to_http_response(result: Any) -> web.Response:
    """API Gateway's mapping of a payload-2.0 function result to an HTTP response."""
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        response = web.Response(status=int(result["statusCode"]), body=data)
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = str(value)
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(name, str(value))
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        return response
    # No statusCode: API Gateway assumes 200 and a JSON body.
    body = result if isinstance(result, str) else json.dumps(result)
    return web.Response(status=200, body=body.encode(), content_type="application/json")


def _json_error(status: int, message: str) -> web.Response:
    return web.Response(status=status, body=json.dumps({"message": message}).encode(), content_type="application/json")


def make_app(
    routes: list[HttpRoute],
    functions: Callable[[str], LocalFunction],
    cors: dict | None,
    api_id: str,
    extra: Callable[[web.Application], None] | None = None,
) -> web.Application:
    ordered = sorted(routes, key=lambda r: r.specificity, reverse=True)

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
            return _json_error(404, "Not Found")
        event = await build_event(request, route, params, api_id)
        invocation = await functions(route.function).invoke(event)
        if not invocation.ok:
            return _json_error(500, "Internal Server Error")
        try:
            response = to_http_response(invocation.result)
        except (TypeError, ValueError):
            return _json_error(500, "Internal Server Error")
        response.headers.update(cors_headers(request))
        response.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        return response

    @web.middleware
    async def gateway_errors(request: web.Request, handler: Any) -> web.StreamResponse:
        """API Gateway answers its own errors in JSON; so does the local cloud, whatever went wrong."""
        try:
            return await handler(request)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            return _json_error(error.status, error.reason)
        except Exception:  # noqa: BLE001 - a bug here must not become a plain-text 500
            log.exception("HTTP API: %s %s failed in the local cloud", request.method, request.path)
            return _json_error(500, "Internal Server Error")

    # API Gateway's HTTP API payload limit is 10 MB.
    app = web.Application(client_max_size=10 * 1024 * 1024, middlewares=[gateway_errors])
    if extra:
        extra(app)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app
