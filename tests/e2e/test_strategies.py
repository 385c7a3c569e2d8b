"""Strategy orders end to end on the local cloud (the RPC chain), over real HTTP, WebSocket and
webhook clients: a TWAP runs its slices as child market orders and completes, every change of the
parent pushed live and POSTed signed; a recurring order whose band its run misses ends expired
with the reason; one cancelled after its first run ends cancelled with that run's fill counted."""

from __future__ import annotations

import json
from decimal import Decimal

import aiohttp
import pytest

from tests.e2e.test_webhooks import documented_verify, webhook_secret
from tests.support.cloud_client import get_order, poll, run, submit, wait_final, watch
from tests.support.webhook_receiver import Receiver, until_every_status_delivered


@pytest.fixture(scope="module")
def receiver():
    running = Receiver()
    yield running
    running.stop()


def test_a_twap_runs_its_slices_live_and_every_change_of_the_parent_is_pushed_and_posted_signed(cloud, receiver):
    verify, secret = documented_verify(), webhook_secret(cloud)

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http, type="twap", amountIn="0.3", slices=3, intervalSeconds=10, webhookUrl=f"{receiver.url}/ok")
            assert accepted["status"] == "active"
            messages = await watch(session, accepted["websocketUrl"], accepted["orderId"], timeout=90, until_snapshot=True)
            parent = await wait_final(session, cloud.http, accepted["orderId"])
            children = [await get_order(session, cloud.http, c["orderId"]) for c in parent["strategy"]["children"]]
            return messages, parent, children

    messages, parent, children = run(scenario())
    s = parent["strategy"]
    assert parent["status"] == "completed" and s["filled"] == 3 and Decimal(s["filledIn"]) == Decimal("0.3")
    assert [c["status"] for c in children] == ["confirmed"] * 3 and all(c["parentId"] == parent["orderId"] for c in children)
    assert [c["slot"] for c in children] == [0, 1, 2] and Decimal(s["filledOut"]) == sum(Decimal(c["execution"]["amountOut"]) for c in children)
    assert s["shortfallBps"] is not None and s["arrivalPrice"] is not None
    # Live: a push for each change after the subscription, each with the running totals and the child it is about.
    updates = [m for m in messages if m["type"] == "status_update"]
    fills = [m for m in updates if m["data"]["child"] and m["data"]["child"]["status"] == "confirmed"]
    assert fills and all("children" not in m["data"]["strategy"] for m in updates)
    assert [m["data"]["strategy"]["filled"] for m in fills] == sorted(m["data"]["strategy"]["filled"] for m in fills)
    assert updates[-1]["status"] == "completed" and "Completed: 3/3 filled" in updates[-1]["message"]
    # Webhooks: one signed POST per change of the parent (and of each child: they carry its URL too).
    parent = until_every_status_delivered(cloud, parent)
    posted = [(h, b) for h, b in receiver.to("/ok") if json.loads(b)["orderId"] == parent["orderId"]]
    assert all(verify(secret, b, h["x-solroute-signature"]) for h, b in posted)
    assert sorted({json.loads(b)["seq"] for _, b in posted}) == [h["seq"] for h in parent["history"]]
    for child in children:
        child_posts = {json.loads(b)["status"] for _, b in receiver.to("/ok") if json.loads(b)["orderId"] == child["orderId"]}
        assert "confirmed" in child_posts or child_posts == set(), child_posts


async def _recurring(session: aiohttp.ClientSession, cloud, **fields) -> dict:
    body = {"type": "recurring", "tokenIn": "USDC", "tokenOut": "SOL", "amountPerRun": "5", **fields}
    async with session.post(f"{cloud.http}/api/orders/execute", json=body) as answer:
        assert answer.status == 202, await answer.text()
        return await answer.json()


def test_a_recurring_run_outside_its_band_is_skipped_with_the_price_and_the_order_expires(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await _recurring(session, cloud, intervalSeconds=60, runs=1, maxPrice="0.000001")
            return await wait_final(session, cloud.http, accepted["orderId"])

    parent = run(scenario())
    assert parent["status"] == "expired" and parent["strategy"]["children"] == []
    (skip,) = parent["strategy"]["skipped"]
    assert "is above the maxPrice 0.000001" in skip["reason"]


def test_a_recurring_order_cancelled_after_its_first_run_ends_cancelled_with_that_fill(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await _recurring(session, cloud, intervalSeconds=600, runs=3)
            order_id = accepted["orderId"]
            # The first run fills at once; the second is ten minutes away.
            await poll(lambda: get_order(session, cloud.http, order_id), lambda parent: parent["strategy"]["filled"] == 1)
            async with session.delete(f"{cloud.http}/api/orders/{order_id}") as answer:
                assert answer.status == 200, await answer.text()
                cancelled = await answer.json()
            again = await session.delete(f"{cloud.http}/api/orders/{order_id}")
            return cancelled, again.status, await again.json()

    cancelled, status, again = run(scenario())
    assert cancelled["status"] == "cancelled" and cancelled["strategy"]["filled"] == 1 and len(cancelled["strategy"]["children"]) == 1
    assert status == 409 and again["error"]["code"] == "NOT_CANCELLABLE"


def test_a_key_past_its_cap_of_active_strategies_is_told_so(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            placed, refused = [], None
            for _ in range(11):  # KeyMaxActiveStrategies defaults to 10
                async with session.post(f"{cloud.http}/api/orders/execute", json={
                    "type": "recurring", "tokenIn": "USDC", "tokenOut": "SOL", "amountPerRun": "1", "intervalSeconds": 3600, "runs": 2,
                }) as answer:  # fmt: skip
                    body = await answer.json()
                    if answer.status == 202:
                        placed.append(body["orderId"])
                    else:
                        refused = (answer.status, body)
                        break
            for order_id in placed:
                await session.delete(f"{cloud.http}/api/orders/{order_id}")
            return placed, refused

    placed, refused = run(scenario())
    assert refused is not None and refused[0] == 409 and refused[1]["error"]["code"] == "TOO_MANY_STRATEGIES", refused
    assert "KeyMaxActiveStrategies" in refused[1]["error"]["message"]
