"""A client of a running local cloud (tests/support/cloud_process.py), as the end-to-end tests and
the benchmarks drive it: orders submitted, read and waited for over HTTP, followed over
WebSocket, and `solroute keys` run against it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Awaitable, Callable, TypeVar

import aiohttp

from solroute.models.status import FINAL_STATUS_NAMES
from tests.support.cloud_process import RunningCloud

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
FINAL = FINAL_STATUS_NAMES


def run(coroutine):
    return asyncio.run(coroutine)


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


async def call(session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> tuple[int, dict, dict]:
    async with session.request(method, url, **kwargs) as response:
        return response.status, dict(response.headers), await response.json(content_type=None)


def solroute_keys(cloud, *argv: str) -> dict:
    """`solroute keys ... --json` against the cloud, as its operator would run it."""
    done = subprocess.run(
        [sys.executable, "-m", "solroute_cli", "keys", *argv, "--api", cloud.http, "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    if argv and argv[0] == "create":
        fund_wallet(cloud, answer["apiKey"])
    return answer


# What a new key's wallet gets on the RPC chain before a test uses it, as its owner would fund
# it (`solroute wallet fund`); the ledger chain has no wallets (404) and needs none.
NEW_KEY_FUNDS = {"SOL": "1000", "USDC": "100000"}


def fund_wallet(cloud, api_key: str) -> None:
    import urllib.error
    import urllib.request

    for token, amount in NEW_KEY_FUNDS.items():
        body = json.dumps({"token": token, "amount": amount}).encode()
        request = urllib.request.Request(f"{cloud.http}/api/wallet/fund", body, {"x-api-key": api_key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                assert answer.status == 200
        except urllib.error.HTTPError as error:
            if error.code == 404:  # NO_WALLETS: the simulated ledger chain
                return
            raise
