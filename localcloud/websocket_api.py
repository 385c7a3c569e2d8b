"""The WebSocket API (API Gateway v2 WEBSOCKET): $connect/$disconnect/route selection, and the
management endpoint (POST/GET/DELETE /{stage}/@connections/{id}) the functions post through."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import WSMsgType, web

from localcloud.runtime import LocalFunction


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_connection_id() -> str:
    return base64.b64encode(os.urandom(10)).decode()[:15] + "="


def select_route(expression: str, body: str | None) -> str | None:
    """Evaluate `$request.body.<path>` against a message; None when it does not resolve."""
    prefix = "$request.body."
    if not expression.startswith(prefix) or body is None:
        return None
    try:
        value: Any = json.loads(body)
    except ValueError:
        return None
    for key in expression[len(prefix):].split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, str) else None


@dataclass
class Connection:
    connection_id: str
    socket: web.WebSocketResponse
    source_ip: str
    user_agent: str
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = field(default_factory=time.time)


class WebSocketApi:
    def __init__(
        self,
        routes: dict[str, str],
        route_selection_expression: str,
        stage: str,
        functions: Callable[[str], LocalFunction],
        api_id: str,
        lose_disconnects: bool = False,
    ) -> None:
        # API Gateway delivers $disconnect only on a best-effort basis; losing them on purpose
        # shows that 410 Gone cleanup keeps the connections table right anyway.
        self.lose_disconnects = lose_disconnects
        self.routes = routes  # route key -> function logical id
        self.expression = route_selection_expression
        self.stage = stage
        self.functions = functions
        self.api_id = api_id
        self.connections: dict[str, Connection] = {}
        self._tasks: set[asyncio.Task] = set()
        self.stats = {"connected": 0, "refused": 0, "messagesIn": 0, "messagesOut": 0, "gone": 0, "connectionSeconds": 0.0, "connectionMinutesBilled": 0}

    # ------------------------------------------------------------ events
    def _context(self, request: web.Request, connection_id: str, route_key: str, event_type: str) -> dict:
        now = time.time()
        request_id = base64.b64encode(os.urandom(10)).decode()[:14] + "="
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": datetime.fromtimestamp(now, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": int(self.connections[connection_id].connected_at * 1000) if connection_id in self.connections else int(now * 1000),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": request.remote or "127.0.0.1", "userAgent": request.headers.get("user-agent", "")},
            "requestId": request_id,
            "domainName": request.host,
            "connectionId": connection_id,
            "apiId": self.api_id,
        }

    async def _invoke(self, route_key: str, event: dict) -> Any:
        function_id = self.routes.get(route_key)
        if function_id is None:
            return None
        return await self.functions(function_id).invoke(event)

    # ------------------------------------------------------------ client side
    async def handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["stage"] != self.stage:
            return web.Response(status=404, text="Not Found")
        connection_id = new_connection_id()
        if "$connect" in self.routes:
            event = {
                "headers": dict(request.headers),
                "multiValueHeaders": {k: request.headers.getall(k) for k in request.headers.keys()},
                "requestContext": self._context(request, connection_id, "$connect", "CONNECT"),
                "isBase64Encoded": False,
            }
            if request.query:
                event["queryStringParameters"] = {k: request.query.getall(k)[-1] for k in request.query.keys()}
                event["multiValueQueryStringParameters"] = {k: request.query.getall(k) for k in request.query.keys()}
            invocation = await self._invoke("$connect", event)
            status = self._connect_status(invocation)
            if status >= 300:
                self.stats["refused"] += 1
                body = (invocation.result or {}).get("body", "") if invocation.ok and isinstance(invocation.result, dict) else ""
                return web.Response(status=status, text=str(body or "Forbidden"))
        socket = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=128 * 1024)
        await socket.prepare(request)
        connection = Connection(connection_id, socket, request.remote or "127.0.0.1", request.headers.get("user-agent", ""))
        self.connections[connection_id] = connection
        self.stats["connected"] += 1
        close_code = 1000
        try:
            async for message in socket:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    connection.last_active_at = time.time()
                    self.stats["messagesIn"] += 1
                    await self._on_message(request, connection, message)
                elif message.type == WSMsgType.ERROR:
                    close_code = 1006
        finally:
            self.connections.pop(connection_id, None)
            lasted = time.time() - connection.connected_at
            self.stats["connectionSeconds"] += lasted
            self.stats["connectionMinutesBilled"] += max(1, math.ceil(lasted / 60))
            await self._on_disconnect(request, connection_id, socket.close_code or close_code)
        return socket

    @staticmethod
    def _connect_status(invocation: Any) -> int:
        if invocation is None:
            return 200
        if not invocation.ok:
            return 500
        result = invocation.result
        return int(result.get("statusCode", 200)) if isinstance(result, dict) else 200

    async def _on_message(self, request: web.Request, connection: Connection, message: Any) -> None:
        is_text = message.type == WSMsgType.TEXT
        body = message.data if is_text else base64.b64encode(message.data).decode()
        route_key = select_route(self.expression, body if is_text else None)
        if route_key not in self.routes:
            route_key = "$default" if "$default" in self.routes else None
        context = self._context(request, connection.connection_id, route_key or "$default", "MESSAGE")
        context["messageId"] = base64.b64encode(os.urandom(8)).decode()[:11] + "="
        if route_key is None:
            forbidden = {"message": "Forbidden", "connectionId": connection.connection_id, "requestId": context["requestId"]}
            await connection.socket.send_str(json.dumps(forbidden))
            return
        event = {"requestContext": context, "body": body, "isBase64Encoded": not is_text}
        # Each message is its own invocation, as in API Gateway: a slow one does not block the socket.
        task = asyncio.create_task(self._invoke(route_key, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_disconnect(self, request: web.Request, connection_id: str, code: int) -> None:
        if "$disconnect" not in self.routes or self.lose_disconnects:
            return
        context = self._context(request, connection_id, "$disconnect", "DISCONNECT")
        context["disconnectStatusCode"] = code
        context["disconnectReason"] = "" if code == 1000 else "Going away"
        await self._invoke("$disconnect", {"headers": {"Host": request.host}, "requestContext": context, "isBase64Encoded": False})

    # ------------------------------------------------------------ management API
    def _gone(self) -> web.Response:
        self.stats["gone"] += 1
        return web.Response(status=410, body=b'{"message":null}', content_type="application/json", headers={"x-amzn-ErrorType": "GoneException"})

    async def handle_management(self, request: web.Request) -> web.Response:
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None or connection.socket.closed:
            return self._gone()
        if request.method == "POST":
            data = await request.read()
            try:
                await connection.socket.send_str(data.decode()) if _is_utf8(data) else await connection.socket.send_bytes(data)
            except (ConnectionResetError, RuntimeError):
                return self._gone()
            self.stats["messagesOut"] += 1
            return web.Response(status=200)
        if request.method == "DELETE":
            await connection.socket.close()
            return web.Response(status=204)
        info = {  # the wire names of API Gateway's GetConnection response
            "connectedAt": _iso(connection.connected_at),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "lastActiveAt": _iso(connection.last_active_at),
        }
        return web.json_response(info)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("POST", "/{stage}/@connections/{connection_id}", self.handle_management)
        app.router.add_route("GET", "/{stage}/@connections/{connection_id}", self.handle_management)
        app.router.add_route("DELETE", "/{stage}/@connections/{connection_id}", self.handle_management)
        app.router.add_get("/{stage}", self.handle_socket)
        return app

    async def close_all(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.gather(*(c.socket.close(code=1001, message=b"server shutting down") for c in list(self.connections.values())), return_exceptions=True)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
        return True
    except UnicodeDecodeError:
        return False
