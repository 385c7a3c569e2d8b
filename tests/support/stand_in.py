"""A stand-in for the engine's HTTP and WebSocket API and the local cloud's health page, served
for real on 127.0.0.1. It answers with what the engine really produces (orders run by the
in-memory engine, its snapshots and quotes) and records every call it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from aiohttp import web
from solroute.logic.broadcast import snapshot, status_update
from solroute.logic.quotes import QuoteService
from solroute.logic.wallets import NO_WALLETS, WalletDesk
from solroute.models.api import order_view
from solroute.models.order import Order
from solroute.models.requests import TradeRequest
from solroute.models.wallet import FundRequest

from tests.support.engine import build_engine
from tests.support.wallets import InMemoryWallets

DEMO_KEY = "sr_" + "d" * 40
OWN_KEY = "sr_" + "o" * 40
STAND_IN_KEY_ID = "sr_standin"  # the key id every wallet call is made as


def run_order(**request: str) -> Order:
    """An order as the engine leaves it once it is final (confirmed, or failed)."""
    engine = build_engine()
    order = engine.submit(**request)
    engine.run(order.orderId)
    return engine.orders.get(order.orderId)


def as_json(value: object) -> dict:
    return json.loads(json.dumps(value))


def order_json(order: Order) -> dict:
    """The order as GET /api/orders/{id} answers it."""
    return order_view(order).model_dump(mode="json")


def snapshot_frame(order: Order) -> dict:
    return as_json(snapshot(order))


def live_frame(order: Order) -> dict:
    return as_json(status_update(order))


def quote_answer(token_in: str, token_out: str, amount: int) -> dict:
    engine = build_engine()
    request = TradeRequest(tokenIn=token_in, tokenOut=token_out, amountIn=Decimal(amount))
    return QuoteService(engine.executor.router, engine.clock).quote(request).model_dump(mode="json")


@dataclass
class StandIn:
    """What the API answers; ``seen`` is (what, x-api-key, query) for every call but the health page."""

    orders: dict[str, dict] = field(default_factory=dict)
    # Sent on the WebSocket after the subscribe message, in order; it then stays open until the client leaves.
    frames: list[dict] = field(default_factory=list)
    # Instead of frames: what the k-th subscribe message (counted over every connection) is answered
    # with; a subscribe past the list is answered with nothing (every push lost). A connection
    # whose answer has been sent is closed by the server when its index is in close_after.
    replies: list[list[dict]] | None = None
    close_after: set[int] = field(default_factory=set)
    max_connections: int | None = None  # a handshake past it is refused with 503 (the API is away)
    quote: dict | None = None
    page: dict = field(default_factory=lambda: {"orders": [], "cursor": None})
    demo_key: str | None = DEMO_KEY
    health_names_the_websocket: bool = True
    seen: list[tuple[str, str | None, dict]] = field(default_factory=list)
    subscribed: list[dict] = field(default_factory=list)
    # (status, body): what every /api/ call is answered with instead (an error, in the shape a test picks).
    refusal: tuple[int, object] | None = None
    # The key's wallet, as the engine's WalletDesk answers over these wallets; None: the stack runs
    # the ledger chain (the API's 404 NO_WALLETS).
    wallets: InMemoryWallets | None = None
    funds: list[dict] = field(default_factory=list)  # every POST /api/wallet/fund body

    def app(self) -> web.Application:
        @web.middleware
        async def refusing(request: web.Request, handler):  # noqa: ANN001, ANN202 - aiohttp's middleware signature
            if self.refusal is None or not request.path.startswith("/api/"):
                return await handler(request)
            status, body = self.refusal
            return web.json_response(body, status=status) if not isinstance(body, str) else web.Response(status=status, text=body)

        app = web.Application(middlewares=[refusing])
        app.router.add_get("/_localcloud/health", self.health)
        app.router.add_post("/api/orders/execute", self.execute)
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/api/orders/{id}", self.get_order)
        app.router.add_delete("/api/orders/{id}", self.cancel)
        app.router.add_get("/api/orders", self.list_orders)
        app.router.add_get("/api/quote", self.quote_route)
        app.router.add_get("/api/wallet", self.wallet)
        app.router.add_post("/api/wallet/fund", self.fund)
        return app

    def record(self, request: web.Request, what: str) -> None:
        self.seen.append((what, request.headers.get("x-api-key"), dict(request.query)))

    async def health(self, request: web.Request) -> web.Response:
        endpoints = {"websocket": f"ws://{request.host}/ws"} if self.health_names_the_websocket else {}
        return web.json_response({"status": "ready", "endpoints": endpoints, "outputs": {}, "demoKey": self.demo_key})

    async def execute(self, request: web.Request) -> web.Response:
        self.record(request, "POST /api/orders/execute")
        order_id = next(iter(self.orders), "7f0c3d1e-0000-4000-8000-000000000001")
        return web.json_response({"orderId": order_id, "status": "pending", "websocketUrl": f"ws://{request.host}/ws"}, status=202)

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        self.record(request, "WebSocket")
        if self.max_connections is not None and [what for what, _, _ in self.seen].count("WebSocket") > self.max_connections:
            return web.Response(status=503, text="Service Unavailable")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        if self.replies is None:
            self.subscribed.append(json.loads((await socket.receive()).data))
            for frame in self.frames:
                await socket.send_str(json.dumps(frame))
        async for message in socket:  # until the client closes
            if self.replies is None:
                continue
            self.subscribed.append(json.loads(message.data))
            index = len(self.subscribed) - 1
            for frame in self.replies[index] if index < len(self.replies) else []:
                await socket.send_str(json.dumps(frame))
            if index in self.close_after:
                await socket.close(code=1001)
        return socket

    async def get_order(self, request: web.Request) -> web.Response:
        self.record(request, "GET /api/orders/{id}")
        order = self.orders.get(request.match_info["id"])
        if order is None:
            return web.json_response({"error": {"code": "ORDER_NOT_FOUND", "message": "no such order"}}, status=404)
        return web.json_response(order)

    async def cancel(self, request: web.Request) -> web.Response:
        self.record(request, "DELETE /api/orders/{id}")
        order = self.orders[request.match_info["id"]]
        if order["status"] not in ("open", "pending"):
            message = f"order {order['orderId']} is already {order['status']}"
            return web.json_response({"error": {"code": "ORDER_NOT_CANCELLABLE", "message": message}}, status=409)
        history = [*order["history"], {**order["history"][-1], "status": "cancelled", "seq": order["seq"] + 1}]
        return web.json_response({**order, "status": "cancelled", "history": history})

    async def list_orders(self, request: web.Request) -> web.Response:
        self.record(request, "GET /api/orders")
        return web.json_response(self.page)

    async def quote_route(self, request: web.Request) -> web.Response:
        self.record(request, "GET /api/quote")
        return web.json_response(self.quote)

    def _no_wallets(self) -> web.Response:
        return web.json_response({"error": {"code": "NO_WALLETS", "message": NO_WALLETS, "details": {"chain": "ledger"}}}, status=404)

    async def wallet(self, request: web.Request) -> web.Response:
        self.record(request, "GET /api/wallet")
        if self.wallets is None:
            return self._no_wallets()
        return web.json_response(WalletDesk(self.wallets).show(STAND_IN_KEY_ID).model_dump(mode="json"))

    async def fund(self, request: web.Request) -> web.Response:
        self.record(request, "POST /api/wallet/fund")
        if self.wallets is None:
            return self._no_wallets()
        self.funds.append(await request.json())
        funded = WalletDesk(self.wallets).fund(STAND_IN_KEY_ID, FundRequest.model_validate(self.funds[-1]))
        return web.json_response(funded.model_dump(mode="json"))
