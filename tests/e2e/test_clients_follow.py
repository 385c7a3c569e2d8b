"""End-to-end: `solroute submit` and `watch` reach an order's true final status however the
WebSocket misbehaves, against a real local cloud: when every push is lost (chaos mode ws-gone=1),
when the server closes the socket while the order is open (API Gateway's idle close, shortened to
2 s), and a quiet connection is kept open by the client's keepalive. The console's side is in
test_console.py."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from typer.testing import CliRunner

from solroute_cli import follow
from solroute_cli.main import app
from tests.support.cloud_client import get_order, open_limit_order, run

STEPS = ["PENDING", "ROUTING", "BUILDING", "SUBMITTED", "CONFIRMED"]


def cli(cloud, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solroute_cli", *argv, "--api", cloud.http], capture_output=True, text=True, timeout=180)


def order_of(cloud, order_id: str) -> dict:
    async def read():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            return await get_order(session, cloud.http, order_id)

    return run(read())


def test_submit_and_watch_reach_the_true_final_status_when_every_push_is_lost(lossy_cloud):
    done = cli(lossy_cloud, "submit", "SOL", "USDC", "1.5")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [word for word in done.stdout.split() if word in STEPS] == STEPS, "each status once, in order, all read"
    order_id = done.stdout.split()[1].rstrip(":")
    order = order_of(lossy_cloud, order_id)
    assert order["status"] == "confirmed" and f"fill: {order['execution']['amountOut']}" in done.stdout
    watched = cli(lossy_cloud, "watch", order_id, "--json")  # a final order: its snapshot is lost too
    assert watched.returncode == 0, watched.stderr
    assert [json.loads(line)["status"] for line in watched.stdout.splitlines()] == [s.lower() for s in STEPS]


# -- a connection closed by the server, and one kept alive ---------------------------------------


def stats(cloud) -> dict:
    return cloud.stats()["websocket"]


def wait_for(condition, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the awaited event did not come"
        time.sleep(0.05)


def cancel(cloud, order_id: str) -> None:
    async def delete():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            async with session.delete(f"{cloud.http}/api/orders/{order_id}") as response:
                assert response.status == 200, await response.text()

    run(delete())


def watching(cloud, order_id: str):
    """`solroute watch ORDER_ID --json` running in process, in a thread: a future of its result."""
    pool = ThreadPoolExecutor(1)
    future = pool.submit(CliRunner().invoke, app, ["watch", order_id, "--api", cloud.http, "--json", "--timeout", "120"])
    pool.shutdown(wait=False)
    return future


def test_watch_reopens_a_socket_the_server_closes_while_the_order_is_open(idle_cloud, monkeypatch):
    monkeypatch.setattr(follow, "QUIET_FIRST_S", 600.0)  # no read and no keepalive: only a new connection
    monkeypatch.setattr(follow, "KEEPALIVE_S", 600.0)  # can bring the cancel
    order_id = open_limit_order(idle_cloud)
    before = stats(idle_cloud)["connected"]
    result = watching(idle_cloud, order_id)
    wait_for(lambda: stats(idle_cloud)["connected"] >= before + 2)  # closed for idleness, and opened again
    cancel(idle_cloud, order_id)
    shown = result.result(120)
    assert shown.exit_code == 1, shown.output  # cancelled
    assert [json.loads(line)["status"] for line in shown.stdout.splitlines()] == ["open", "cancelled"]


def test_watch_keeps_a_quiet_connection_open_with_a_keepalive(idle_cloud, monkeypatch):
    monkeypatch.setattr(follow, "QUIET_FIRST_S", 600.0)
    monkeypatch.setattr(follow, "KEEPALIVE_S", 0.5)  # under the cloud's 2 s idle close
    order_id = open_limit_order(idle_cloud)
    before = stats(idle_cloud)
    result = watching(idle_cloud, order_id)
    wait_for(lambda: stats(idle_cloud)["messagesIn"] >= before["messagesIn"] + 8)  # 4 s of keepalives: twice the idle close
    cancel(idle_cloud, order_id)
    shown = result.result(120)
    assert shown.exit_code == 1, shown.output
    assert [json.loads(line)["status"] for line in shown.stdout.splitlines()] == ["open", "cancelled"]
    assert stats(idle_cloud)["connected"] == before["connected"] + 1, "one connection, never closed for idleness"
