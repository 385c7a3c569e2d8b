"""End-to-end: the local cloud started as `solroute up` on free ports, driven only over real
HTTP and WebSocket clients (and boto3 against its AWS endpoint, for looking behind it)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Awaitable, Callable, TypeVar

import aiohttp
import pytest
from solroute.models.status import FINAL_STATUS_NAMES as FINAL

from localcloud.services.dynamodb.endpoint import wait_until_up
from tests.support.cloud_process import RunningCloud, free_port, start_cloud, stop_cloud  # noqa: F401 - used by the e2e modules

T = TypeVar("T")

# Short simulated delays keep the suite fast; the seed keeps prices reproducible. The demo key
# every test shares may submit as fast as the tests do (their keys' own limits are tested apart).
FAST = [
    "QuoteDelayMs=20", "SwapDelayMinMs=200", "SwapDelayMaxMs=300", "FailureRate=0", "SimulationSeed=3", "RateLimitPerMinute=0",
    "KeyRatePerMinute=10000",
]  # fmt: skip


@pytest.fixture(scope="session")
def cloud():
    running = start_cloud(FAST)
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="session")
def failing_cloud():
    """Every quote fails (so every attempt fails), retries start at 1 s, $disconnect is lost."""
    params = [p for p in FAST if not p.startswith("FailureRate")] + ["FailureRate=1", "BackoffBaseSeconds=1"]
    running = start_cloud(params, "--lose-disconnects")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="session")
def lossy_cloud():
    """Every WebSocket post is lost (chaos mode's ws-gone=1): snapshots and updates alike. A client
    reaches an order's final status only by reading it."""
    running = start_cloud([*FAST, "FaultInjection=ws-gone=1"])
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="session")
def idle_cloud():
    """API Gateway's idle close after 2 s instead of 10 minutes: a connection that nobody sends on
    is closed by the server while the order it follows is still open."""
    running = start_cloud(FAST, "--ws-idle-timeout", "2")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def run(coroutine):
    return asyncio.run(coroutine)


@contextmanager
def moto_server() -> Iterator[tuple[str, int]]:
    """A plain moto server on a free port: an AWS endpoint the local cloud did not start.
    Yields its URL and port."""
    port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(endpoint, timeout_s=60, process=moto)  # a loaded machine imports moto slowly
        yield endpoint, port
    finally:
        moto.terminate()
        moto.wait(10)


def final_order(cloud: RunningCloud, **fields) -> dict:
    """Submit one order (with the cloud's demo key) and return it once it is final."""

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http, **fields)
            return await wait_final(session, cloud.http, accepted["orderId"])

    return run(scenario())


async def submit(session: aiohttp.ClientSession, http: str, **fields) -> dict:
    body = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", **fields}
    async with session.post(f"{http}/api/orders/execute", json=body) as response:
        assert response.status == 202, await response.text()
        return await response.json()


async def get_order(session: aiohttp.ClientSession, http: str, order_id: str) -> dict:
    async with session.get(f"{http}/api/orders/{order_id}") as response:
        assert response.status == 200
        return await response.json()


async def wait_final(session: aiohttp.ClientSession, http: str, order_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = await get_order(session, http, order_id)
        if order["status"] in FINAL:
            return order
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {order_id} not final after {timeout} s")


async def watch(
    session: aiohttp.ClientSession, url: str, order_id: str, timeout: float = 60, until_snapshot: bool = False
) -> list[dict]:
    """Connect, subscribe, and collect messages until the order is final (and, with
    ``until_snapshot``, until the subscription's snapshot has come too: a broadcast of the final
    status can arrive before it, as the client merges them by seq)."""
    messages = []
    async with session.ws_connect(url) as socket:
        await socket.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
        deadline = time.monotonic() + timeout
        while True:
            message = await socket.receive(timeout=max(0.1, deadline - time.monotonic()))
            assert message.type == aiohttp.WSMsgType.TEXT, message
            messages.append(json.loads(message.data))
            final = any(m.get("status") in FINAL for m in messages)
            if final and (not until_snapshot or any(m.get("type") == "snapshot" for m in messages)):
                return messages


CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


async def receive_until(
    socket: aiohttp.ClientWebSocketResponse, wanted: Callable[[aiohttp.WSMessage], bool], timeout: float = 30
) -> aiohttp.WSMessage:
    """The first frame that is ``wanted``, skipping the others: a subscribed socket gets status
    updates at any moment, so no test may assume which frame comes next."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no wanted frame within {timeout} s")
        frame = await socket.receive(timeout=remaining)
        if wanted(frame):
            return frame
        assert frame.type not in CLOSED, f"the socket closed while waiting: {frame}"


def json_frame(frame: aiohttp.WSMessage) -> dict:
    return json.loads(frame.data) if frame.type == aiohttp.WSMsgType.TEXT else {}


async def poll(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 30, interval: float = 0.1) -> T:
    """Fetch until ``done(value)`` or the deadline; returns the last value (assert on it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if done(value) or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(interval)


def open_limit_order(cloud) -> str:
    """A limit order at twice the market's price: it stays open until cancelled."""

    async def place():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            params = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5"}
            async with session.get(f"{cloud.http}/api/quote", params=params) as response:
                quote = await response.json()
            limit = (Decimal(quote["route"]["amountOut"]) / Decimal("1.5") * 2).quantize(Decimal("0.01"))
            body = {**params, "type": "limit", "limitPrice": str(limit), "timeInForceSeconds": 600}
            async with session.post(f"{cloud.http}/api/orders/execute", json=body) as response:
                assert response.status == 202, await response.text()
                return (await response.json())["orderId"]

    return run(place())
