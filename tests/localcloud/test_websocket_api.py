"""The WebSocket API behaves as API Gateway's does: routes, limits, lifetimes and error frames,
over real connections (aiohttp's client, or a bare one where a test must shape the frames)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from pathlib import Path

import aiohttp
import boto3
import pytest
from aiohttp import WSMsgType
from botocore.config import Config

from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.services.websocket import WebSocketApi
from localcloud.services.websocket.constants import (
    CLOSE_GOING_AWAY,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_UNSUPPORTED_DATA,
    INTEGRATION_FAILED_MESSAGE,
    MAX_FRAME_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_POST_BYTES,
    NO_ROUTE_MESSAGE,
)
from localcloud.template import FunctionSpec
from tests.support.loopback import serve
from tests.support.route_function import WAIT_S, RouteFunction, route_key, run

FAILING = Path(__file__).parent / "fixture_websocket_function"
EVERY_ROUTE = {"$connect": "f", "$disconnect": "f", "$default": "f", "subscribe": "f"}
NO_DEFAULT = {"$connect": "f", "$disconnect": "f", "subscribe": "f"}


class Gateway:
    """A WebSocket API served on a free loopback port, with its function(s)."""

    def __init__(self, routes: dict[str, str], function=None, **limits) -> None:
        self.function = function or RouteFunction()
        self.api = WebSocketApi(routes, "$request.body.action", "dev", lambda _: self.function, "wsapi", **limits)

    async def __aenter__(self) -> "Gateway":
        self.runner, base = await serve(self.api.app())
        self.url = base.replace("http://", "ws://") + "/dev"
        self.management = base + "/dev"
        return self

    async def __aexit__(self, *exc) -> None:
        await self.api.close_all()
        await self.runner.cleanup()
        if isinstance(self.function, LocalFunction):
            await self.function.stop()


async def closed(socket: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The close frame the server sends (text frames before it are skipped)."""
    while True:
        message = await socket.receive(timeout=WAIT_S)
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            return message


# ------------------------------------------------------------------ routes


@pytest.mark.parametrize("reserved", ["$disconnect", "$connect"])
def test_a_client_cannot_call_connect_or_disconnect_its_frame_goes_to_default(reserved):
    async def scenario():
        async with Gateway(EVERY_ROUTE) as gateway, aiohttp.ClientSession() as session:
            async with session.ws_connect(gateway.url) as socket:
                await socket.send_str(json.dumps({"action": reserved}))
                routed = await gateway.function.first(route_key("$default"))
                await socket.send_str(json.dumps({"action": "subscribe"}))
                await gateway.function.first(route_key("subscribe"))  # the connection lives on
                lifecycle_while_open = [e["requestContext"]["eventType"] for e in gateway.function.events if "body" not in e]
            return routed, lifecycle_while_open

    routed, lifecycle_while_open = run(scenario())
    assert routed["body"] == json.dumps({"action": reserved})
    assert lifecycle_while_open == ["CONNECT"]


def test_a_client_frame_for_disconnect_with_no_default_route_gets_forbidden_and_keeps_its_subscriptions():
    async def scenario():
        async with Gateway(NO_DEFAULT) as gateway, aiohttp.ClientSession() as session:
            async with session.ws_connect(gateway.url) as socket:
                connected = await gateway.function.first(lambda e: e["requestContext"]["eventType"] == "CONNECT")
                await socket.send_str(json.dumps({"action": "$disconnect"}))
                answer = await socket.receive(timeout=WAIT_S)
                await socket.send_str(json.dumps({"action": "subscribe"}))
                await gateway.function.first(route_key("subscribe"))
                disconnects_while_open = gateway.function.of("DISCONNECT")
            return connected["requestContext"]["connectionId"], answer, disconnects_while_open

    connection_id, answer, disconnects_while_open = run(scenario())
    assert answer.type == WSMsgType.TEXT
    frame = json.loads(answer.data)
    assert frame["message"] == NO_ROUTE_MESSAGE
    assert frame["connectionId"] == connection_id
    assert frame["requestId"]
    assert disconnects_while_open == []


# ------------------------------------------------------------------ limits


class BareSocket:
    """A WebSocket client that sends frames exactly as told, fragments included (aiohttp's client
    always sends a message as one frame)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, url: str) -> "BareSocket":
        address = url.removeprefix("ws://")
        host_port, path = address.split("/", 1)
        host, port = host_port.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_S)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        mask = os.urandom(4)
        header = bytes([(0x80 if fin else 0) | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 1 << 16:
            header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + len(payload).to_bytes(8, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(header + mask + masked)

    def send_fragmented(self, text: str, fragment_bytes: int) -> None:
        data = text.encode()
        pieces = [data[i : i + fragment_bytes] for i in range(0, len(data), fragment_bytes)]
        for index, piece in enumerate(pieces):
            self.send_frame(0x1 if index == 0 else 0x0, piece, fin=index == len(pieces) - 1)

    async def close_code(self) -> int:
        """Reads frames until the server's close frame; its status code."""
        while True:
            first, second = await asyncio.wait_for(self.reader.readexactly(2), WAIT_S)
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(await self.reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(length)
            if first & 0x0F == 0x8:
                return int.from_bytes(payload[:2], "big")

    def close(self) -> None:
        self.writer.close()


def test_a_frame_up_to_32_kb_passes_and_a_larger_one_closes_the_connection_with_1009():
    async def scenario():
        async with Gateway(EVERY_ROUTE) as gateway, aiohttp.ClientSession() as session:
            async with session.ws_connect(gateway.url) as socket:
                await socket.send_str("a" * MAX_FRAME_BYTES)
                delivered = await gateway.function.first(route_key("$default"))
                await socket.send_str("b" * (MAX_FRAME_BYTES + 1))
                close = await closed(socket)
            return delivered, close, await gateway.function.disconnect(), gateway.function

    delivered, close, disconnect, function = run(scenario())
    assert len(delivered["body"]) == MAX_FRAME_BYTES
    assert (close.type, close.data) == (WSMsgType.CLOSE, CLOSE_MESSAGE_TOO_BIG)
    assert disconnect["requestContext"]["disconnectStatusCode"] == CLOSE_MESSAGE_TOO_BIG
    assert not any(e.get("body", "").startswith("b") for e in function.of("MESSAGE"))


def test_a_128_kb_message_in_32_kb_fragments_passes_and_one_byte_more_closes_with_1009():
    async def scenario():
        async with Gateway(EVERY_ROUTE) as gateway:
            client = await BareSocket.connect(gateway.url)
            try:
                client.send_fragmented("c" * MAX_MESSAGE_BYTES, MAX_FRAME_BYTES)
                delivered = await gateway.function.first(route_key("$default"))
                client.send_fragmented("d" * (MAX_MESSAGE_BYTES + 1), MAX_FRAME_BYTES)
                return delivered, await client.close_code()
            finally:
                client.close()

    delivered, code = run(scenario())
    assert delivered["body"] == "c" * MAX_MESSAGE_BYTES
    assert code == CLOSE_MESSAGE_TOO_BIG


def test_a_fragment_over_32_kb_closes_the_connection_even_when_the_message_is_small_enough():
    async def scenario():
        async with Gateway(EVERY_ROUTE) as gateway:
            client = await BareSocket.connect(gateway.url)
            try:
                client.send_fragmented("e" * (2 * MAX_FRAME_BYTES + 2), MAX_FRAME_BYTES + 1)
                return await client.close_code(), gateway.function.of("MESSAGE")
            finally:
                client.close()

    code, messages = run(scenario())
    assert code == CLOSE_MESSAGE_TOO_BIG
    assert messages == []


def test_a_binary_frame_closes_the_connection_with_1003():
    async def scenario():
        async with Gateway(EVERY_ROUTE) as gateway, aiohttp.ClientSession() as session:
            async with session.ws_connect(gateway.url) as socket:
                await socket.send_bytes(b"\x00\x01")
                close = await closed(socket)
            return close, await gateway.function.disconnect(), gateway.function.of("MESSAGE")

    close, disconnect, messages = run(scenario())
    assert (close.type, close.data) == (WSMsgType.CLOSE, CLOSE_UNSUPPORTED_DATA)
    assert disconnect["requestContext"]["disconnectStatusCode"] == CLOSE_UNSUPPORTED_DATA
    assert messages == []


def _management(endpoint: str):
    config = Config(region_name="us-east-1", retries={"max_attempts": 1})
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t", config=config)


def test_a_connections_post_over_128_kb_is_payload_too_large_and_the_connection_stays():
    async def scenario():
        async with Gateway(EVERY_ROUTE) as gateway, aiohttp.ClientSession() as session:
            async with session.ws_connect(gateway.url) as socket:
                connected = await gateway.function.first(lambda e: e["requestContext"]["eventType"] == "CONNECT")
                connection_id = connected["requestContext"]["connectionId"]
                management = _management(gateway.management)
                with pytest.raises(management.exceptions.PayloadTooLargeException) as too_large:
                    await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b"x" * (MAX_POST_BYTES + 1))
                await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b"y" * MAX_POST_BYTES)
                received = await socket.receive(timeout=WAIT_S)
            return too_large.value, received

    too_large, received = run(scenario())
    assert too_large.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert too_large.response["Error"]["Code"] == "PayloadTooLargeException"
    assert (received.type, received.data) == (WSMsgType.TEXT, "y" * MAX_POST_BYTES)


# ------------------------------------------------------------------ lifetimes


def test_an_idle_connection_is_closed_and_disconnect_is_invoked():
    idle_s = 0.3

    async def scenario():
        async with Gateway(EVERY_ROUTE, idle_timeout_s=idle_s) as gateway, aiohttp.ClientSession() as session:
            opened = time.monotonic()  # before the handshake: the server's clock starts after it
            async with session.ws_connect(gateway.url) as socket:
                close = await closed(socket)
                lived = time.monotonic() - opened
            return close, lived, await gateway.function.disconnect()

    close, lived, disconnect = run(scenario())
    assert (close.type, close.data) == (WSMsgType.CLOSE, CLOSE_GOING_AWAY)
    assert lived >= idle_s
    assert disconnect["requestContext"]["disconnectStatusCode"] == CLOSE_GOING_AWAY


def test_messages_keep_a_connection_open_past_the_idle_timeout_until_its_maximum_duration():
    idle_s, duration_s = 0.5, 1.5

    async def scenario():
        gateway = Gateway(EVERY_ROUTE, idle_timeout_s=idle_s, max_duration_s=duration_s)
        async with gateway, aiohttp.ClientSession() as session:
            opened = time.monotonic()
            async with session.ws_connect(gateway.url) as socket:
                close = asyncio.create_task(closed(socket))
                sent = 0
                while not close.done():  # one message at a time, each once the last reached the function
                    sent += 1
                    with contextlib.suppress(ConnectionResetError):
                        await socket.send_str(f"ping {sent}")
                    reached = asyncio.create_task(gateway.function.first(lambda e, n=sent: e.get("body") == f"ping {n}"))
                    await asyncio.wait({reached, close}, return_when=asyncio.FIRST_COMPLETED)
                    reached.cancel()
                lived = time.monotonic() - opened
            return close.result(), lived, sent, await gateway.function.disconnect()

    close, lived, sent, disconnect = run(scenario())
    assert (close.type, close.data) == (WSMsgType.CLOSE, CLOSE_GOING_AWAY)
    assert lived >= duration_s  # open well past the idle timeout, kept so by the messages
    assert sent > 1
    assert disconnect["requestContext"]["disconnectStatusCode"] == CLOSE_GOING_AWAY


# ------------------------------------------------------------------ integration failures


def _failing(handler: str, timeout_s: int = 3) -> LocalFunction:
    spec = FunctionSpec(handler.replace(".", "_"), FAILING, handler, "python3.11", timeout_s, 128, None, {}, [])
    return LocalFunction(spec, {}, "http://127.0.0.1:9", f"test-{handler}", lambda *a: None)


@pytest.mark.parametrize("handler, timeout_s", [("app.fail", 3), ("app.hang", 1)])
def test_a_route_whose_function_fails_or_times_out_answers_internal_server_error(handler, timeout_s):
    async def scenario():
        async with Gateway({"$default": "f"}, function=_failing(handler, timeout_s)) as gateway, aiohttp.ClientSession() as session:
            async with session.ws_connect(gateway.url) as socket:
                await socket.send_str(json.dumps({"action": "anything"}))
                return await socket.receive(timeout=WAIT_S), list(gateway.api.connections)

    answer, connection_ids = run(scenario())
    assert answer.type == WSMsgType.TEXT
    frame = json.loads(answer.data)
    assert frame["message"] == INTEGRATION_FAILED_MESSAGE
    assert frame["connectionId"] == connection_ids[0]
    assert frame["requestId"]
