"""A request the local cloud's servers cannot even parse (a line over aiohttp's limit, bytes that
are not HTTP) is answered in JSON, as API Gateway answers its own errors, and echoes nothing back.

aiohttp answers such a request itself, before any middleware, with a plain-text 400 that quotes
the offending line, and logs a traceback. JsonErrorsRunner is aiohttp's AppRunner whose
connections answer {"message": "..."} instead: 413 "Request Entity Too Large" for a line too long
(the answer the HTTP API gives a request over its size limits, services/http/constants.py), 400
"Bad Request" for anything else, and log it at debug level only (a port scanner is not an error)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_protocol import RequestHandler

from localcloud.services.http.constants import REQUEST_TOO_LARGE_MESSAGE


# How long a connection answered with an error still reads (and drops) what its client sends.
LINGER_S = 2.0


def _close_after_the_answer(transport: asyncio.Transport) -> None:
    """Close a connection whose request was refused the way servers do (a lingering close): end
    the answer with a FIN, then read and drop the rest of the request until the client hangs up.
    Closed at once, with the request still arriving, the kernel resets the connection, and a reset
    can reach the client before it has read the answer (on Python 3.12, aiohttp answers before
    the rest of a long line has arrived)."""
    close = transport.close

    def lingering_close() -> None:
        transport.close = close  # type: ignore[method-assign] # a second close (the server stopping) is at once
        if transport.is_closing() or not transport.can_write_eof():
            close()
            return
        transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER_S, close)

    transport.close = lingering_close  # type: ignore[method-assign]


class _JsonErrorsHandler(RequestHandler):
    __slots__ = ()  # RequestHandler has slots: the class of a connection can then be swapped for this one

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: a response has begun, the connection is broken
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        if status >= 500:
            self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
        else:
            self.logger.debug("refused a request from %s that is not HTTP aiohttp can read", request.remote, exc_info=exc)
        if isinstance(exc, LineTooLong):
            status, text = 413, REQUEST_TOO_LARGE_MESSAGE
        else:
            text = "Internal Server Error" if status >= 500 else "Bad Request"
        response = web.Response(status=status, body=json.dumps({"message": text}).encode(), content_type="application/json")
        response.force_close()
        if self.transport is not None:
            _close_after_the_answer(self.transport)
        return response


class _JsonErrorsServer(web.Server):
    def __call__(self) -> RequestHandler:
        handler = super().__call__()
        handler.__class__ = _JsonErrorsHandler  # the same connection, answering its errors in JSON
        return handler


class JsonErrorsRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        if type(server) is not web.Server:
            raise RuntimeError("aiohttp's AppRunner no longer makes a plain web.Server: update localcloud.wire_errors")
        server.__class__ = _JsonErrorsServer
        return server


@web.middleware
async def json_not_found(request: web.Request, handler: Any) -> web.StreamResponse:
    """A path no route of a server has is a JSON 404 (aiohttp's own is plain text), as API
    Gateway and the AWS endpoints answer in JSON."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return web.json_response({"message": "Not Found"}, status=404)
    except web.HTTPMethodNotAllowed:
        return web.json_response({"message": "Method Not Allowed"}, status=405)
