"""The WebSocket API on the wire (aiohttp): a client's socket at /{stage}, held to API Gateway's frame
and message limits, and the @connections endpoint at /{stage}/@connections/{id}. What a message
or a close means is api.py's business."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import WebSocketError, WSMsgType, web

from localcloud.services.websocket.connection import Handshake, Refusal
from localcloud.services.websocket.constants import CLOSE_MESSAGE_TOO_BIG, CLOSE_UNSUPPORTED_DATA, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES
from localcloud.services.websocket.errors import ManagementApiError, PayloadTooLargeException

if TYPE_CHECKING:
    from localcloud.services.websocket.api import WebSocketApi

ABNORMAL_CLOSE = 1006  # the socket ended with no close frame (RFC 6455, section 7.1.5)


def _frame_header(buffer: bytes, start: int) -> tuple[int, int] | None:
    """(header length, payload length) of the frame at `start`; None until its header is whole."""
    available = len(buffer) - start
    if available < 2:
        return None
    second = buffer[start + 1]
    length = second & 0x7F
    extended = {126: 2, 127: 8}.get(length, 0)
    header = 2 + extended + (4 if second & 0x80 else 0)
    if available < header:
        return None
    if extended:
        length = int.from_bytes(buffer[start + 2 : start + 2 + extended], "big")
    return header, length


class _FrameLimit:
    """Stands before aiohttp's frame reader, which limits only whole messages: reads each frame's
    header as its bytes arrive and fails the connection at a data frame over MAX_FRAME_BYTES, with
    the 1009 API Gateway closes with (aiohttp's own way for a message too big)."""

    def __init__(self, reader: Any, queue: Any) -> None:
        self._reader, self._queue = reader, queue
        self._partial_header = b""
        self._payload_left = 0  # bytes of the current frame still to come
        self._failed = False

    def feed_eof(self) -> None:
        self._reader.feed_eof()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        oversized = self._oversized_frame(bytes(data))
        if oversized is not None:
            self._failed = True
            self._queue.set_exception(WebSocketError(CLOSE_MESSAGE_TOO_BIG, f"a frame of {oversized} bytes; the limit is {MAX_FRAME_BYTES}"))
            return True, b""
        return self._reader.feed_data(data)

    def _oversized_frame(self, data: bytes) -> int | None:
        buffer, position = self._partial_header + data, 0
        while position < len(buffer):
            if self._payload_left:
                step = min(self._payload_left, len(buffer) - position)
                position, self._payload_left = position + step, self._payload_left - step
                continue
            header = _frame_header(buffer, position)
            if header is None:
                break
            header_length, payload_length = header
            is_data_frame = buffer[position] & 0x0F < 0x8  # text, binary or a continuation
            if is_data_frame and payload_length > MAX_FRAME_BYTES:
                return payload_length
            position, self._payload_left = position + header_length, payload_length
        self._partial_header = buffer[position:]
        return None


class GatewaySocket(web.WebSocketResponse):
    """aiohttp's server socket with API Gateway's limits. No compression extension is offered: API
    Gateway's documentation names none, and its limits count the bytes a client sends."""

    def __init__(self) -> None:
        # aiohttp refuses a message of max_msg_size bytes or more; API Gateway takes 128 KB itself.
        super().__init__(autoping=True, heartbeat=None, compress=False, max_msg_size=MAX_MESSAGE_BYTES + 1)

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        super()._post_start(request, protocol, writer)
        handler = request.protocol
        # aiohttp gives the request's protocol this socket's frame reader; the limit goes in front.
        if handler._payload_parser is not self._parser:
            raise RuntimeError("aiohttp no longer feeds a WebSocket's bytes through its _payload_parser: update _FrameLimit")
        handler._payload_parser = _FrameLimit(self._parser, self._reader)


def _handshake(request: web.Request) -> Handshake:
    return Handshake(
        headers=list(request.headers.items()),
        query=list(request.query.items()),
        source_ip=request.remote or "127.0.0.1",
        user_agent=request.headers.get("user-agent", ""),
        host=request.host,
    )


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:  # over aiohttp's own limit (1 MiB), so over API Gateway's too
        raise PayloadTooLargeException() from None


def websocket_app(api: WebSocketApi) -> web.Application:
    async def socket(request: web.Request) -> web.StreamResponse:
        if request.match_info["stage"] != api.stage:
            return web.Response(status=404, text="Not Found")
        connection = await api.connect(_handshake(request))
        if isinstance(connection, Refusal):
            return web.Response(status=connection.status, text=connection.body)
        client = GatewaySocket()
        await client.prepare(request)
        api.open(connection, client)
        code = None
        try:
            async for message in client:
                if message.type == WSMsgType.TEXT:
                    await api.receive(connection, message.data)
                elif message.type == WSMsgType.BINARY:
                    await api.close(connection, CLOSE_UNSUPPORTED_DATA)
                elif message.type == WSMsgType.ERROR:  # a limit, or a protocol error
                    code = getattr(message.data, "code", ABNORMAL_CLOSE)
        finally:
            await api.closed(connection, code or client.close_code or ABNORMAL_CLOSE)
        return client

    async def management(request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        try:
            if request.method == "POST":
                await api.post_to_connection(connection_id, await _body(request))
                return web.Response(status=200)
            if request.method == "DELETE":
                await api.delete_connection(connection_id)
                return web.Response(status=204)
            return web.json_response(api.get_connection(connection_id))
        except ManagementApiError as error:
            body = json.dumps({"message": error.message}).encode()
            return web.Response(status=error.status, body=body, content_type="application/json", headers={"x-amzn-ErrorType": error.code})

    app = web.Application()
    for method in ("POST", "GET", "DELETE"):
        app.router.add_route(method, "/{stage}/@connections/{connection_id}", management)
    app.router.add_get("/{stage}", socket)
    return app
