"""The answers API Gateway's HTTP API gives itself, in JSON as it does, and the error for a function
response it cannot send."""

from __future__ import annotations

import json

from aiohttp import web

from localcloud.services.http.constants import FORBIDDEN_MESSAGE, INTERNAL_ERROR_MESSAGE, NOT_FOUND_MESSAGE, UNAUTHORIZED_MESSAGE


class MalformedResponse(ValueError):
    """The function answered, but not in the payload 2.0 response format: API Gateway answers 500."""


def gateway_error(status: int, message: str) -> web.Response:
    return web.Response(status=status, body=json.dumps({"message": message}).encode(), content_type="application/json")


def not_found() -> web.Response:
    return gateway_error(404, NOT_FOUND_MESSAGE)


def internal_error() -> web.Response:
    return gateway_error(500, INTERNAL_ERROR_MESSAGE)


def unauthorized() -> web.Response:
    return gateway_error(401, UNAUTHORIZED_MESSAGE)


def forbidden() -> web.Response:
    return gateway_error(403, FORBIDDEN_MESSAGE)
