"""The order lifecycle end to end on the local cloud, over real HTTP and WebSocket clients: a limit
order that waits open and triggers when the seeded market reaches its price, one that expires,
cancels (DELETE) of open and pending orders and of one that has started, and a deadline that
expires orders stuck behind the rate limit."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import aiohttp
import pytest

from tests.support.cloud_client import FINAL, get_order, run, submit, wait_final, watch
from tests.support.cloud_process import FAST, start_cloud, stop_cloud
from tests.lambdas import ROOT
from tests.support.market import limit_reached_between, mirror_trigger

SEED = int(next(p for p in FAST if p.startswith("SimulationSeed=")).split("=")[1])


def statuses(order: dict) -> list[str]:
    return [h["status"] for h in order["history"]]


async def cancel(session: aiohttp.ClientSession, http: str, order_id: str) -> tuple[int, dict]:
    async with session.delete(f"{http}/api/orders/{order_id}") as response:
        return response.status, await response.json()


def test_a_limit_order_waits_open_then_triggers_when_the_market_reaches_its_price_and_fills_at_or_above_it(cloud):
    now = int(time.time() * 1000)
    # Held for 3 s: a touch shorter than the trigger's tick may be missed until the price returns.
    target = limit_reached_between(mirror_trigger(SEED), now, now + 4_000, now + 60_000, hold_ms=3_000)
    if target is None:
        pytest.skip("the seeded market made no new high in either direction within a minute")

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            fields = {"tokenIn": target.token_in, "tokenOut": target.token_out, "amountIn": str(target.amount_in)}
            accepted = await submit(session, cloud.http, **fields, type="limit", limitPrice=str(target.limit_price), timeInForceSeconds=300)
            assert accepted["status"] == "open"
            messages = await watch(session, accepted["websocketUrl"], accepted["orderId"], timeout=120, until_snapshot=True)
            return messages, await get_order(session, cloud.http, accepted["orderId"])

    messages, order = run(scenario())
    assert statuses(order) == ["open", "pending", "routing", "building", "submitted", "confirmed"], order["history"]
    opened, triggered = order["history"][0], order["history"][1]
    assert opened["message"].startswith("Limit order open") and triggered["message"].startswith("Limit reached")
    assert triggered["timestampMs"] >= target.first_reached_ms - 10, "never queued before the market reached the limit"
    assert order["transaction"]["minAmountOut"] and float(order["execution"]["amountOut"]) >= float(target.limit_price) * float(target.amount_in)
    live = {m["status"] for m in messages if m["type"] == "status_update"}
    assert {"pending", "confirmed"} <= live, "the trigger's and the fill's statuses reach the subscriber live"


def test_a_limit_order_the_market_does_not_reach_expires_and_the_subscriber_sees_it(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http, type="limit", limitPrice="1000000", timeInForceSeconds=3)
            messages = await watch(session, accepted["websocketUrl"], accepted["orderId"], timeout=90)
            return messages, await wait_final(session, cloud.http, accepted["orderId"], timeout=90)

    messages, order = run(scenario())
    assert statuses(order) == ["open", "expired"]
    assert "did not reach the limit price" in order["failureReason"] and order["transaction"] is None
    assert any(m.get("status") == "expired" for m in messages)


def test_cancel_ends_an_open_or_pending_order_and_refuses_one_that_has_started_with_its_status(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            limit = await submit(session, cloud.http, type="limit", limitPrice="1000000", timeInForceSeconds=600)
            socket_messages = asyncio.create_task(watch(session, limit["websocketUrl"], limit["orderId"], timeout=60, until_snapshot=True))
            await asyncio.sleep(0)  # let the subscription start; the snapshot covers a cancel that comes first
            status, cancelled = await cancel(session, cloud.http, limit["orderId"])
            assert (status, cancelled["status"]) == (200, "cancelled"), cancelled
            messages = await socket_messages
            again = await cancel(session, cloud.http, limit["orderId"])
            done = await wait_final(session, cloud.http, (await submit(session, cloud.http))["orderId"])
            late = await cancel(session, cloud.http, done["orderId"])
            unknown = await cancel(session, cloud.http, "3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60")
            return cancelled, messages, again, late, unknown

    cancelled, messages, again, late, unknown = run(scenario())
    assert statuses(cancelled) == ["open", "cancelled"] and "cancelled by its owner" in cancelled["failureReason"]
    assert any(m.get("status") == "cancelled" for m in messages), "the subscriber sees cancelled"
    assert again[0] == 409 and again[1]["error"]["code"] == "NOT_CANCELLABLE" and again[1]["error"]["details"]["status"] == "cancelled"
    assert late[0] == 409 and late[1]["error"]["details"]["status"] == "confirmed" and "already confirmed" in late[1]["error"]["message"]
    assert unknown[0] == 404


def test_a_cancel_sent_right_after_a_market_order_either_cancels_it_or_says_it_has_started_and_the_order_agrees(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            outcomes = []
            for _ in range(6):
                accepted = await submit(session, cloud.http)
                status, answer = await cancel(session, cloud.http, accepted["orderId"])
                outcomes.append((status, answer, await wait_final(session, cloud.http, accepted["orderId"])))
            return outcomes

    for status, answer, order in run(scenario()):
        if status == 200:  # the cancel's write came first: never routed
            assert order["status"] == "cancelled" and "routing" not in statuses(order) and order["transaction"] is None
        else:  # the consumer's came first: the client was told where the order was, and it went on
            assert status == 409 and answer["error"]["details"]["status"] in ("routing", "building", "submitted", "confirmed"), answer
            assert order["status"] == "confirmed" and "cancelled" not in statuses(order)


@pytest.fixture(scope="module")
def slow_cloud():
    """Two starts a minute: the third order of a burst waits about a minute for its slot."""
    params = [p for p in FAST if not p.startswith("RateLimitPerMinute")] + ["RateLimitPerMinute=2", "KeyBacklogSeconds=600"]
    running = start_cloud(params)
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def test_a_deadline_expires_orders_stuck_behind_the_rate_limit_instead_of_executing_them_late(slow_cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=slow_cloud.headers) as session:
            ids = [(await submit(session, slow_cloud.http, deadline="5"))["orderId"] for _ in range(4)]
            return [await wait_final(session, slow_cloud.http, i, timeout=90) for i in ids]

    orders = run(scenario())
    expired = [o for o in orders if o["status"] == "expired"]
    assert expired and all(o["status"] in FINAL for o in orders), [o["status"] for o in orders]
    for order in orders:
        if order["status"] == "expired":
            assert statuses(order) == ["pending", "expired"] and order["attempts"] == 0 and order["transaction"] is None
            assert "not started by its deadline" in order["failureReason"]
        else:
            routing = next(h for h in order["history"] if h["status"] == "routing")
            assert order["status"] == "confirmed" and routing["timestampMs"] < order["expiresAtMs"], "started before its deadline"


def _solroute(cloud, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "solroute_cli", *argv, "--api", cloud.http, "--api-key", cloud.api_key],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


def test_the_cli_places_a_limit_order_that_expires_and_cancels_another(cloud):
    expiring = _solroute(cloud, "submit", "SOL", "USDC", "1.5", "--limit", "1000000", "--expires", "3s")
    assert expiring.returncode == 1, expiring.stderr
    assert "(open)" in expiring.stdout and "OPEN" in expiring.stdout and "expired in" in expiring.stdout, expiring.stdout
    placed = _solroute(cloud, "submit", "SOL", "USDC", "1.5", "--limit", "1000000", "--expires", "10m", "--no-watch", "--json")
    order_id = json.loads(placed.stdout)["orderId"]
    cancelled = _solroute(cloud, "cancel", order_id)
    assert cancelled.returncode == 0 and f"order {order_id} cancelled (it was open)" in cancelled.stdout, cancelled
    again = _solroute(cloud, "cancel", order_id)
    assert again.returncode == 1 and "already cancelled" in again.stdout, again
