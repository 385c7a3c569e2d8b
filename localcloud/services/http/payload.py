"""Payload format 2.0 both ways: the event a request becomes, and the HTTP response a function's
result becomes (or MalformedResponse, which API Gateway answers with a 500)."""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from localcloud.services.http.constants import FORBIDDEN_IN_HEADER_VALUE, HEADER_NAME, STAGE, TEXT_CONTENT_TYPES
from localcloud.services.http.errors import MalformedResponse
from localcloud.services.http.routes import HttpRoute
from localcloud.template import ACCOUNT_ID


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
            "stage": STAGE,
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
    claims) is binary, passed base64-encoded with isBase64Encoded true."""
    if not TEXT_CONTENT_TYPES.match(content_type.lower()):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def to_http_response(result: Any) -> web.Response:
    """API Gateway's mapping of a payload-2.0 function result to an HTTP response."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway assumes 200 and a JSON body.
        body = result if isinstance(result, str) else json.dumps(result)
        return web.Response(status=200, body=body.encode(), content_type="application/json")
    response = web.Response(status=_status(result["statusCode"]), body=_body(result))
    for name, value in _object(result, "headers").items():
        response.headers[_header_name(name)] = _header_value(value)
    for name, values in _object(result, "multiValueHeaders").items():
        for value in values if isinstance(values, list) else [values]:
            response.headers.add(_header_name(name), _header_value(value))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResponse("cookies must be a list of strings")
    for cookie in cookies:
        response.headers.add("Set-Cookie", _header_value(cookie))
    return response


def _status(value: Any) -> int:
    try:
        status = int(value)
    except (TypeError, ValueError):
        raise MalformedResponse(f"statusCode {value!r} is not a number") from None
    if not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status} is not an HTTP status")
    return status


def _body(result: dict) -> bytes:
    body = result.get("body") or ""
    try:
        return base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    except (binascii.Error, ValueError) as error:  # not base64, or text with lone surrogates
        raise MalformedResponse(f"body: {error}") from None


def _object(result: dict, field: str) -> dict:
    value = result.get(field) or {}
    if not isinstance(value, dict):
        raise MalformedResponse(f"{field} must be an object")
    return value


def _header_name(name: str) -> str:
    if not HEADER_NAME.match(name):
        raise MalformedResponse(f"header name {name!r} is not an HTTP token")
    return name


def _header_value(value: Any) -> str:
    text = str(value)
    if FORBIDDEN_IN_HEADER_VALUE.search(text):
        raise MalformedResponse("a header value holds a line break or NUL")
    return text
