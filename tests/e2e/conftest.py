"""End-to-end: the local cloud started as `solroute up` on free ports, driven only over real
HTTP and WebSocket clients (and boto3 against its AWS endpoint, for looking behind it)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass

import aiohttp
import pytest

# Short simulated delays keep the suite fast; the seed keeps prices reproducible.
FAST = ["QuoteDelayMs=20", "SwapDelayMinMs=200", "SwapDelayMaxMs=300", "FailureRate=0", "SimulationSeed=3", "RateLimitPerMinute=0"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningCloud:
    process: subprocess.Popen
    http: str
    ws: str
    aws: str
    log_path: str

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.http}/_localcloud/stats", timeout=5) as r:
            return json.loads(r.read())

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()


def start_cloud(params: list[str], *flags: str, use_env_endpoint: bool = False) -> RunningCloud:
    http_port, ws_port, aws_port = free_port(), free_port(), free_port()
    log = tempfile.NamedTemporaryFile("w", prefix="localcloud-", suffix=".log", delete=False)
    env = {k: v for k, v in os.environ.items() if use_env_endpoint or k != "AWS_ENDPOINT_URL"}
    args = [sys.executable, "-m", "localcloud.cli", "up", "--http-port", str(http_port), "--ws-port", str(ws_port), "--aws-port", str(aws_port)]
    for p in params:
        args += ["--param", p]
    process = subprocess.Popen([*args, *flags], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    aws = env["AWS_ENDPOINT_URL"] if use_env_endpoint else f"http://127.0.0.1:{aws_port}"
    cloud = RunningCloud(process, f"http://127.0.0.1:{http_port}", f"ws://127.0.0.1:{ws_port}", aws, log.name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"solroute up exited with {process.returncode}:\n{cloud.log()}")
        if "local cloud is up" in cloud.log():
            return cloud
        time.sleep(0.1)
    stop_cloud(cloud)
    raise TimeoutError(f"solroute up did not come up in 60 s:\n{cloud.log()}")


def stop_cloud(cloud: RunningCloud) -> int:
    if cloud.process.poll() is None:
        cloud.process.send_signal(signal.SIGINT)
        try:
            cloud.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(cloud.process.pid, signal.SIGKILL)
            cloud.process.wait()
    return cloud.process.returncode


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


def run(coroutine):
    return asyncio.run(coroutine)


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
        if order["status"] in ("confirmed", "failed"):
            return order
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {order_id} not final after {timeout} s")


async def watch(session: aiohttp.ClientSession, url: str, order_id: str, timeout: float = 60) -> list[dict]:
    """Connect, subscribe, and collect messages until the order is final."""
    messages = []
    async with session.ws_connect(url) as socket:
        await socket.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
        deadline = time.monotonic() + timeout
        while True:
            message = await socket.receive(timeout=max(0.1, deadline - time.monotonic()))
            assert message.type == aiohttp.WSMsgType.TEXT, message
            messages.append(json.loads(message.data))
            if messages[-1].get("status") in ("confirmed", "failed"):
                return messages
