"""API Gateway's WebSocket API, apart from the wire: which route a message takes, the event each
route's function receives, the connections and their lifetimes, and the @connections operations
the functions call. transport.py speaks the WebSocket and HTTP protocols and calls in here."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import time
from datetime import datetime, timezone
from typing import Any, Callable, Coroutine

from aiohttp import web

from localcloud.services.awslambda.runtime import Invocation, LocalFunction
from localcloud.services.websocket import constants as aws
from localcloud.services.websocket.authorizer import authorize
from localcloud.services.websocket.connection import Connection, Handshake, Refusal, new_connection_id
from localcloud.services.websocket.errors import GoneException, PayloadTooLargeException, gateway_frame
from localcloud.services.websocket.transport import websocket_app
from localcloud.template import AuthorizerSpec


def _new_request_id() -> str:
    return base64.b64encode(os.urandom(10)).decode()[:14] + "="


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def select_route(expression: str, body: str | None) -> str | None:
    """Evaluate `$request.body.<path>` against a message; None when it does not resolve."""
    prefix = "$request.body."
    if not expression.startswith(prefix) or body is None:
        return None
    try:
        value: Any = json.loads(body)
    except (ValueError, RecursionError):  # a frame nested too deeply to read has no route key either
        return None
    for key in expression[len(prefix):].split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, str) else None


class WebSocketApi:
    def __init__(
        self,
        routes: dict[str, str],
        route_selection_expression: str,
        stage: str,
        functions: Callable[[str], LocalFunction],
        api_id: str,
        lose_disconnects: bool = False,
        idle_timeout_s: float = aws.IDLE_TIMEOUT_S,
        max_duration_s: float = aws.MAX_CONNECTION_DURATION_S,
        authorizer: AuthorizerSpec | None = None,
    ) -> None:
        self.routes = routes  # route key -> function logical id
        self.expression = route_selection_expression
        self.stage = stage
        self.functions = functions
        self.api_id = api_id
        # API Gateway delivers $disconnect only on a best-effort basis; losing them on purpose
        # shows that 410 Gone cleanup keeps the connections table right anyway.
        self.lose_disconnects = lose_disconnects
        self.idle_timeout_s = idle_timeout_s
        self.max_duration_s = max_duration_s
        self.authorizer = authorizer  # $connect's Lambda REQUEST authorizer
        self.connections: dict[str, Connection] = {}
        self._tasks: set[asyncio.Task] = set()
        self.stats = {"connected": 0, "refused": 0, "messagesIn": 0, "messagesOut": 0, "gone": 0, "connectionSeconds": 0.0, "connectionMinutesBilled": 0}

    def app(self) -> web.Application:
        return websocket_app(self)

    # ------------------------------------------------------------ routing and events
    def route_of(self, body: str) -> str | None:
        """The route a client's message takes; None when API Gateway would answer Forbidden."""
        key = select_route(self.expression, body)
        if key in self.routes and key not in aws.LIFECYCLE_ROUTES:
            return key
        return aws.DEFAULT_ROUTE if aws.DEFAULT_ROUTE in self.routes else None

    def _context(self, connection: Connection, route_key: str, event_type: str) -> dict:
        now = time.time()
        request_id = _new_request_id()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": datetime.fromtimestamp(now, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": int(connection.connected_at * 1000),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": connection.handshake.source_ip, "userAgent": connection.handshake.user_agent},
            "requestId": request_id,
            "domainName": connection.handshake.host,
            "connectionId": connection.connection_id,
            "apiId": self.api_id,
            **({"authorizer": dict(connection.authorizer)} if connection.authorizer is not None else {}),
        }

    async def _invoke(self, route_key: str, event: dict) -> Invocation | None:
        function_id = self.routes.get(route_key)
        if function_id is None:
            return None
        return await self.functions(function_id).invoke(event)

    # ------------------------------------------------------------ a connection's life
    async def connect(self, handshake: Handshake) -> Connection | Refusal:
        """Run $connect: a connection to open, or the handshake's refusal."""
        connection = Connection(new_connection_id(), handshake)
        if aws.CONNECT_ROUTE not in self.routes and self.authorizer is None:
            return connection
        event: dict[str, Any] = {
            "headers": dict(handshake.headers),
            "multiValueHeaders": _multi(handshake.headers),
            "requestContext": self._context(connection, aws.CONNECT_ROUTE, "CONNECT"),
            "isBase64Encoded": False,
        }
        if handshake.query:
            event["queryStringParameters"] = dict(handshake.query)
            event["multiValueQueryStringParameters"] = _multi(handshake.query)
        if self.authorizer is not None:
            authorized = await authorize(self.authorizer, self.functions, event, handshake, self.api_id, self.stage)
            if isinstance(authorized, Refusal):
                self.stats["refused"] += 1
                return authorized
            connection.authorizer = authorized
            event["requestContext"]["authorizer"] = dict(authorized)
        invocation = await self._invoke(aws.CONNECT_ROUTE, event)
        if invocation is None:  # an authorizer, but no $connect integration
            return connection
        result = invocation.result if invocation.ok and isinstance(invocation.result, dict) else {}
        status = int(result.get("statusCode", 200)) if invocation.ok else 500
        if status >= 300:
            self.stats["refused"] += 1
            return Refusal(status, str(result.get("body") or "Forbidden"))
        return connection

    def open(self, connection: Connection, socket: ClientSocket) -> None:
        """The handshake is done: the connection takes messages, and its clocks start."""
        connection.socket = socket
        self.connections[connection.connection_id] = connection
        self.stats["connected"] += 1
        loop = asyncio.get_running_loop()
        connection.lifetime_timer = loop.call_later(self.max_duration_s, self._expire, connection)
        self._touch(connection)

    def _touch(self, connection: Connection) -> None:
        """A message went either way: the idle clock starts again."""
        connection.last_active_at = time.time()
        if connection.idle_timer:
            connection.idle_timer.cancel()
        connection.idle_timer = asyncio.get_running_loop().call_later(self.idle_timeout_s, self._expire, connection)

    def _expire(self, connection: Connection) -> None:
        self._spawn(self.close(connection, aws.CLOSE_GOING_AWAY))

    async def close(self, connection: Connection, code: int) -> None:
        """The API ends a connection (its $disconnect reports this code)."""
        if connection.close_code is None:
            connection.close_code = code
        if connection.socket is not None and not connection.socket.closed:
            await connection.socket.close(code=code)

    async def receive(self, connection: Connection, body: str) -> None:
        """A client's text message: to its route's function, or a Forbidden frame back."""
        self._touch(connection)
        self.stats["messagesIn"] += 1
        route_key = self.route_of(body)
        context = self._context(connection, route_key or aws.DEFAULT_ROUTE, "MESSAGE")
        context["messageId"] = base64.b64encode(os.urandom(8)).decode()[:11] + "="
        if route_key is None:
            await self._send_error(connection, aws.NO_ROUTE_MESSAGE, context["requestId"])
            return
        event = {"requestContext": context, "body": body, "isBase64Encoded": False}
        # Each message is its own invocation, as in API Gateway: a slow one does not block the socket.
        self._spawn(self._route(connection, route_key, event))

    async def _route(self, connection: Connection, route_key: str, event: dict) -> None:
        invocation = await self._invoke(route_key, event)
        if invocation is not None and not invocation.ok:
            await self._send_error(connection, aws.INTEGRATION_FAILED_MESSAGE, event["requestContext"]["requestId"])

    async def _send_error(self, connection: Connection, message: str, request_id: str) -> None:
        if connection.socket is None or connection.socket.closed:
            return
        try:
            await connection.socket.send_str(gateway_frame(message, connection.connection_id, request_id))
        except ConnectionResetError:
            pass  # the client left meanwhile

    async def closed(self, connection: Connection, code: int) -> None:
        """The socket is closed, by either side: forget the connection, then run $disconnect."""
        for timer in (connection.idle_timer, connection.lifetime_timer):
            if timer:
                timer.cancel()
        self.connections.pop(connection.connection_id, None)
        lasted = time.time() - connection.connected_at
        self.stats["connectionSeconds"] += lasted
        self.stats["connectionMinutesBilled"] += max(1, math.ceil(lasted / 60))
        if aws.DISCONNECT_ROUTE not in self.routes or self.lose_disconnects:
            return
        code = connection.close_code or code
        context = self._context(connection, aws.DISCONNECT_ROUTE, "DISCONNECT")
        context["disconnectStatusCode"] = code
        context["disconnectReason"] = "" if code == aws.NORMAL_CLOSE else "Going away"
        await self._invoke(aws.DISCONNECT_ROUTE, {"headers": {"Host": connection.handshake.host}, "requestContext": context, "isBase64Encoded": False})

    # ------------------------------------------------------------ @connections
    def _live(self, connection_id: str) -> Connection:
        connection = self.connections.get(connection_id)
        if connection is None or connection.socket is None or connection.socket.closed:
            self.stats["gone"] += 1
            raise GoneException()
        return connection

    async def post_to_connection(self, connection_id: str, data: bytes) -> None:
        if len(data) > aws.MAX_POST_BYTES:
            raise PayloadTooLargeException()
        connection = self._live(connection_id)
        assert connection.socket is not None
        try:
            text = data.decode()
        except UnicodeDecodeError:
            text = None
        try:
            await (connection.socket.send_str(text) if text is not None else connection.socket.send_bytes(data))
        except (ConnectionResetError, RuntimeError):
            self.stats["gone"] += 1
            raise GoneException() from None
        self._touch(connection)
        self.stats["messagesOut"] += 1

    def get_connection(self, connection_id: str) -> dict:
        connection = self._live(connection_id)
        return {  # the wire names of API Gateway's GetConnection response
            "connectedAt": _iso(connection.connected_at),
            "identity": {"sourceIp": connection.handshake.source_ip, "userAgent": connection.handshake.user_agent},
            "lastActiveAt": _iso(connection.last_active_at),
        }

    async def delete_connection(self, connection_id: str) -> None:
        connection = self._live(connection_id)
        assert connection.socket is not None
        await connection.socket.close()

    # ------------------------------------------------------------ housekeeping
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close_all(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        sockets = [c.socket for c in list(self.connections.values()) if c.socket is not None]
        await asyncio.gather(*(s.close(code=aws.CLOSE_GOING_AWAY, message=b"server shutting down") for s in sockets), return_exceptions=True)


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return values
