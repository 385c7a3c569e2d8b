"""The whole system on the local cloud, over real HTTP and WebSocket connections."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import aiohttp
import boto3
import pytest

from solroute.logic.backoff import backoff_bounds
from tests.support.cloud_client import get_order, json_frame, poll, receive_until, run, submit, wait_final, watch
from tests.support.cloud_process import FAST, start_cloud, stop_cloud

STATUSES = ["pending", "routing", "building", "submitted", "confirmed"]


def test_an_order_streams_every_status_in_order_to_its_subscriber(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            # The final status must come live, so the order must not be over before its socket
            # is open; on a very slow machine it may be: then watch another one.
            for _ in range(3):
                accepted = await submit(session, cloud.http)
                assert accepted["websocketUrl"] == f"{cloud.ws}/dev"
                messages = await watch(session, accepted["websocketUrl"], accepted["orderId"], until_snapshot=True)
                if any(m["type"] == "status_update" and m["status"] == "confirmed" for m in messages):
                    return accepted, messages
            raise AssertionError(f"no order's final status came as a broadcast; the last one's messages: {messages}")

    accepted, messages = run(scenario())
    # Subscribed at $connect, a broadcast may arrive before the snapshot the subscribe asked
    # for; the client merges them by seq. Together they must hold every status exactly.
    (snapshot,) = [m for m in messages if m["type"] == "snapshot"]
    updates = [m for m in messages if m["type"] == "status_update"]
    assert {m["orderId"] for m in messages} == {accepted["orderId"]}
    seen = {h["seq"]: h["status"] for h in snapshot["history"]}
    for update in updates:
        assert seen.setdefault(update["seq"], update["status"]) == update["status"]
    assert [seen[s] for s in sorted(seen)] == STATUSES and sorted(seen) == [1, 2, 3, 4, 5]
    seqs = [u["seq"] for u in updates]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), "broadcasts arrive in order, once each"
    final = updates[-1]
    assert final["status"] == "confirmed" and final["data"]["txHash"] and final["data"]["amountOut"]


def test_a_subscriber_that_connects_after_the_fact_gets_the_whole_history(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http)
            await wait_final(session, cloud.http, accepted["orderId"])
            return await watch(session, accepted["websocketUrl"], accepted["orderId"], until_snapshot=True)

    # The final status's broadcast may still be on its way when the socket subscribes at $connect.
    (snapshot,) = [m for m in run(scenario()) if m["type"] == "snapshot"]
    assert [h["status"] for h in snapshot["history"]] == STATUSES
    assert snapshot["order"]["routing"]["dex"] in ("raydium", "meteora") and len(snapshot["order"]["quotes"]) == 2


@pytest.fixture(scope="module")
def slow_venue_cloud():
    """Quotes take a second: every consumer invocation outlasts the submissions of the next ten
    orders, so fifty orders at once reach the cap however fast this machine accepts them."""
    running = start_cloud([*(p for p in FAST if not p.startswith("QuoteDelayMs")), "QuoteDelayMs=1000"], "--quiet")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def test_fifty_orders_at_once_never_run_more_than_ten_consumers(slow_venue_cloud):
    cloud = slow_venue_cloud

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await asyncio.gather(*(submit(session, cloud.http, amountIn=str(1 + i)) for i in range(50)))
            return await asyncio.gather(*(wait_final(session, cloud.http, a["orderId"], 120) for a in accepted))

    finals = run(scenario())
    assert [o["status"] for o in finals] == ["confirmed"] * 50
    consumer = cloud.stats()["functions"]["OrderConsumerFunction"]
    assert consumer["maxInFlight"] == 10, consumer  # reached the cap, never above it


def test_transient_failures_retry_with_backoff_then_fail_after_three_attempts(failing_cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=failing_cloud.headers) as session:
            accepted = await submit(session, failing_cloud.http)
            messages = await watch(session, accepted["websocketUrl"], accepted["orderId"], timeout=90)
            return messages, await get_order(session, failing_cloud.http, accepted["orderId"])

    messages, order = run(scenario())
    assert messages[-1]["status"] == "failed" and "after 3 attempts" in messages[-1]["data"]["reason"]
    assert order["status"] == "failed" and order["attempts"] == 3
    starts = order["attemptStartedAtMs"]
    gaps = [(b - a) / 1000 for a, b in zip(starts, starts[1:])]
    # Each retry waits at least its backoff (1-2 s, then 1-3 s at base 1 s); how much longer
    # depends on the machine's load, so only the lower bound is a property of the engine.
    for receive_count, gap in enumerate(gaps, start=1):
        assert gap >= backoff_bounds(receive_count, 1.0)[0] - 0.05, gaps


def test_a_client_that_drops_its_socket_is_cleaned_up_through_a_410(failing_cloud):
    orders = boto3.resource(
        "dynamodb", endpoint_url=failing_cloud.aws, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).Table("solroute-dev-OrdersTable")

    async def subscribers(order_id: str) -> dict:
        return (await asyncio.to_thread(orders.get_item, Key={"orderId": order_id}))["Item"]["subs"]

    async def a_running_order_with_a_subscriber(session: aiohttp.ClientSession) -> tuple[dict, aiohttp.ClientWebSocketResponse]:
        # The order must still be running when its subscriber drops (its attempts and backoff
        # take seconds); on a very slow machine it may already be final: then take another.
        for _ in range(3):
            accepted = await submit(session, failing_cloud.http)
            socket = await session.ws_connect(f"{accepted['websocketUrl']}?orderId={accepted['orderId']}")
            # Subscribed at $connect; the subscribe action's snapshot says the order is still running.
            await socket.send_str(json.dumps({"action": "subscribe"}))
            snapshot = json_frame(await receive_until(socket, lambda f: json_frame(f).get("type") == "snapshot"))
            if snapshot["status"] not in ("confirmed", "failed"):
                return accepted, socket
            await socket.close()
        raise AssertionError("every order was final before its subscriber could drop")

    async def scenario():
        async with aiohttp.ClientSession(headers=failing_cloud.headers) as session:
            accepted, socket = await a_running_order_with_a_subscriber(session)
            order_id = accepted["orderId"]
            subscribed = await subscribers(order_id)
            # A 410 spares subscriptions made in the last few seconds (their $connect may still be
            # running); this client subscribed a minute ago, as far as the order item says.
            (connection_id, expires_at), = subscribed.items()
            await asyncio.to_thread(
                orders.update_item, Key={"orderId": order_id}, UpdateExpression="SET subs.#c = :e",
                ExpressionAttributeNames={"#c": connection_id}, ExpressionAttributeValues={":e": int(expires_at) - 60},
            )  # fmt: skip
            await socket.close()  # gone (there is no $disconnect route): only a 410 removes the subscriber
            await wait_final(session, failing_cloud.http, order_id, 60)
            return subscribed, await poll(lambda: subscribers(order_id), lambda subs: subs == {})

    gone_before = failing_cloud.stats()["websocket"]["gone"]
    subscribed, remaining = run(scenario())
    assert len(subscribed) == 1, "the client's subscription"
    assert remaining == {}, "a broadcast's 410 must remove it"
    assert failing_cloud.stats()["websocket"]["gone"] > gone_before


def test_bad_input_answers_clearly_over_the_real_http_server(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            results = {}
            for name, kwargs in {
                "invalid": {"json": {"tokenIn": "SOL", "tokenOut": "SOL", "amountIn": "-2", "extra": 1}},
                "not_json": {"data": b"{nope", "headers": {"content-type": "application/json"}},
                "float_trap": {"json": {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.0000000001"}},
            }.items():
                async with session.post(f"{cloud.http}/api/orders/execute", **kwargs) as r:
                    results[name] = (r.status, await r.json())
            async with session.get(f"{cloud.http}/api/orders/3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60") as r:
                results["unknown"] = (r.status, await r.json())
            async with session.get(f"{cloud.http}/api/orders/x") as r:
                results["malformed_id"] = (r.status, await r.json())
            async with session.get(f"{cloud.http}/nowhere") as r:
                results["no_route"] = (r.status, await r.json())
            try:
                await session.ws_connect(f"{cloud.ws}/dev?orderId=3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60")
                results["ws_unknown"] = 101
            except aiohttp.WSServerHandshakeError as error:
                results["ws_unknown"] = error.status
            return results

    results = run(scenario())
    for name in ("invalid", "not_json", "float_trap", "malformed_id"):
        status, body = results[name]
        assert status == 400 and body["error"]["code"] == "INVALID_REQUEST", (name, body)
    assert {d["field"] for d in results["invalid"][1]["error"]["details"]} >= {"amountIn", "extra"}
    assert results["unknown"][0] == 404 and results["unknown"][1]["error"]["code"] == "ORDER_NOT_FOUND"
    assert results["no_route"][0] == 404
    assert results["ws_unknown"] == 404


def test_the_cli_submits_and_watches_an_order_to_confirmed(cloud):
    done = subprocess.run(
        [sys.executable, "-m", "solroute_cli", "submit", "SOL", "USDC", "2", "--api", cloud.http],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "CONFIRMED" in done.stdout and "confirmed in" in done.stdout
    order_id = done.stdout.split()[1].rstrip(":")
    shown = subprocess.run([sys.executable, "-m", "solroute_cli", "get", order_id, "--api", cloud.http, "--json"], capture_output=True, text=True, timeout=30)
    assert json.loads(shown.stdout)["status"] == "confirmed"
    watched = subprocess.run([sys.executable, "-m", "solroute_cli", "watch", order_id, "--api", cloud.http], capture_output=True, text=True, timeout=30)
    assert watched.returncode == 0, watched.stderr  # a final order: its whole history from the snapshot, then its outcome
    steps = ["PENDING", "ROUTING", "BUILDING", "SUBMITTED", "CONFIRMED"]
    assert [word for word in watched.stdout.split() if word in steps] == steps and "fill:" in watched.stdout


def test_the_cli_says_clearly_when_the_local_cloud_is_not_running():
    done = subprocess.run(
        [sys.executable, "-m", "solroute_cli", "get", "3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60", "--api", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 3
    assert "not running" in done.stderr and "make run" in done.stderr
