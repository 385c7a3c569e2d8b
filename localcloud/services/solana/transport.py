"""JSON-RPC 2.0 over HTTP, as a Solana RPC node serves it: POST a request or a batch (an array)
to any path, get 200 with the result or the error object; GET /health answers "ok" (Agave's
health check), any other GET 405."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from localcloud.services.solana.errors import INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, RpcError
from localcloud.services.solana.validator import LocalValidator

logger = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 50 * 1024 * 1024  # Agave's MAX_REQUEST_BODY_SIZE


def _error(code: int, message: str, request_id: Any = None) -> dict:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": request_id}


def answer(validator: LocalValidator, request: Any) -> dict | None:
    """One request object's response; None for a notification (a request without an id)."""
    if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
        return _error(INVALID_REQUEST, "Invalid request", request.get("id") if isinstance(request, dict) else None)
    request_id = request.get("id")
    try:
        response = {"jsonrpc": "2.0", "result": validator.dispatch(request["method"], request.get("params")), "id": request_id}
    except RpcError as error:
        response = {"jsonrpc": "2.0", "error": error.as_json(), "id": request_id}
    except Exception:  # a bug here must not take the node down: the client gets -32603, the log the traceback
        logger.exception("the local validator failed on %s", request["method"])
        response = _error(INTERNAL_ERROR, "Internal error", request_id)
    return response if "id" in request else None


def app(validator: LocalValidator) -> web.Application:
    async def rpc(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response(_error(PARSE_ERROR, "Parse error"))
        if isinstance(body, list):
            if not body:
                return web.json_response(_error(INVALID_REQUEST, "Invalid request"))
            responses = [r for r in (answer(validator, item) for item in body) if r is not None]
            return web.json_response(responses) if responses else web.Response(status=200)
        response = answer(validator, body)
        return web.json_response(response) if response is not None else web.Response(status=200)

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def not_post(_: web.Request) -> web.Response:
        return web.Response(status=405, text="Used HTTP Method is not allowed. POST or OPTIONS is required")

    application = web.Application(client_max_size=MAX_REQUEST_BYTES)
    application.router.add_get("/health", health)
    application.router.add_post("/{tail:.*}", rpc)
    application.router.add_get("/{tail:.*}", not_post)
    return application
