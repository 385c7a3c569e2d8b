"""The client commands send an API key as `x-api-key`, on HTTP calls and on the WebSocket
handshake: --api-key, else SOLROUTE_API_KEY, else the local cloud's demo key (its health page).
Run against a stand-in for the API that records what it is sent."""

import json

import pytest
from aiohttp import web

from solroute_cli.main import main
from tests.support.background import serving

DEMO_KEY = "sr_" + "d" * 40
OWN_KEY = "sr_" + "o" * 40
ORDER_ID = "7f0c3d1e-0000-4000-8000-000000000001"


def stand_in_api(seen: list[tuple[str, str | None, dict]], demo_key: str | None = DEMO_KEY) -> web.Application:
    """Records (what, x-api-key, query) for every call; answers as the engine and the local cloud do."""

    def record(request: web.Request, what: str) -> None:
        seen.append((what, request.headers.get("x-api-key"), dict(request.query)))

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready", "endpoints": {}, "outputs": {}, "demoKey": demo_key})

    async def execute(request: web.Request) -> web.Response:
        record(request, "POST /api/orders/execute")
        ws = f"ws://{request.host}/ws"
        return web.json_response({"orderId": ORDER_ID, "status": "pending", "websocketUrl": ws}, status=202)

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        record(request, "WebSocket")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.receive()  # the subscribe message
        history = [{"status": "confirmed", "seq": 1, "message": "Confirmed"}]
        await socket.send_str(json.dumps({"type": "snapshot", "order": {"execution": {}}, "history": history}))
        await socket.close()
        return socket

    async def get_order(request: web.Request) -> web.Response:
        record(request, "GET /api/orders/{id}")
        return web.json_response({"orderId": ORDER_ID})

    async def list_orders(request: web.Request) -> web.Response:
        record(request, "GET /api/orders")
        return web.json_response({"orders": []})

    app = web.Application()
    app.router.add_get("/_localcloud/health", health)
    app.router.add_post("/api/orders/execute", execute)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/api/orders/{id}", get_order)
    app.router.add_get("/api/orders", list_orders)
    return app


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch):
    monkeypatch.delenv("SOLROUTE_API_KEY", raising=False)


def test_submit_sends_the_local_clouds_demo_key_on_the_order_and_the_websocket():
    seen: list = []
    with serving(stand_in_api(seen)) as api:
        code = main(["submit", "SOL", "USDC", "1.5", "--api", api])
    assert code == 0
    assert [(what, key) for what, key, _ in seen] == [("POST /api/orders/execute", DEMO_KEY), ("WebSocket", DEMO_KEY)]


def test_an_api_key_option_wins_over_the_demo_key():
    seen: list = []
    with serving(stand_in_api(seen)) as api:
        code = main(["get", ORDER_ID, "--api", api, "--api-key", OWN_KEY])
    assert code == 0
    assert [key for _, key, _ in seen] == [OWN_KEY]


def test_the_environment_gives_the_key_when_no_option_does(monkeypatch):
    monkeypatch.setenv("SOLROUTE_API_KEY", OWN_KEY)
    seen: list = []
    with serving(stand_in_api(seen)) as api:
        code = main(["submit", "SOL", "USDC", "1.5", "--api", api, "--no-watch"])
    assert code == 0
    assert [key for _, key, _ in seen] == [OWN_KEY]


def test_list_needs_no_wallet_and_sends_one_when_given():
    seen: list = []
    with serving(stand_in_api(seen)) as api:
        assert main(["list", "--api", api]) == 0
        assert main(["list", "--api", api, "--wallet", "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"]) == 0
    assert [(key, query.get("wallet")) for _, key, query in seen] == [
        (DEMO_KEY, None),
        (DEMO_KEY, "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"),
    ]


def test_without_any_key_the_command_says_how_to_get_one(capsys):
    seen: list = []
    with serving(stand_in_api(seen, demo_key=None)) as api:
        code = main(["get", ORDER_ID, "--api", api])
    err = capsys.readouterr().err
    assert code == 1
    assert seen == []  # nothing sent without a key
    assert "no API key" in err and "solroute keys create --name NAME" in err
