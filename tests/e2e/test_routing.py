"""Routes end to end: split and two-hop orders over the real WebSocket, the price-impact cap,
unroutable pairs, and orders bound to a quote (GET /api/quote), on the local cloud."""

from __future__ import annotations

import re

import time
from decimal import Decimal

import aiohttp
import pytest

from tests.support.cloud_client import get_order, run, submit, wait_final, watch
from tests.support.cloud_process import FAST, start_cloud, stop_cloud


async def quote(session: aiohttp.ClientSession, http: str, **query) -> dict:
    async with session.get(f"{http}/api/quote", params=query) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def confirmed_live(session: aiohttp.ClientSession, cloud, **fields) -> dict:
    """Submit until the final status arrives as a live broadcast (an order may be over before its
    socket is open on a slow machine); returns that final message."""
    for _ in range(3):
        accepted = await submit(session, cloud.http, **fields)
        messages = await watch(session, accepted["websocketUrl"], accepted["orderId"])
        finals = [m for m in messages if m["type"] == "status_update" and m["status"] in ("confirmed", "failed")]
        if finals:
            return finals[-1]
    raise AssertionError(f"no final status came live; the last messages: {messages}")


@pytest.mark.parametrize("fields, kind, hops", [
    ({"tokenIn": "JUP", "tokenOut": "USDC", "amountIn": "200000"}, "split", [("JUP", "USDC"), ("JUP", "USDC")]),
    ({"tokenIn": "WIF", "tokenOut": "USDC", "amountIn": "100"}, "two-hop", [("WIF", "SOL"), ("SOL", "USDC")]),
])  # fmt: skip
def test_split_and_two_hop_orders_confirm_with_their_legs_in_the_final_message(cloud, fields, kind, hops):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            final = await confirmed_live(session, cloud, **fields)
            return final, await get_order(session, cloud.http, final["orderId"])

    final, order = run(scenario())
    data = final["data"]
    assert final["status"] == "confirmed", final
    assert data["route"]["kind"] == kind and data["route"]["reason"]
    assert [(leg["tokenIn"], leg["tokenOut"]) for leg in data["legs"]] == hops
    if kind == "split":
        assert {leg["dex"] for leg in data["legs"]} == {"meteora", "raydium"}
        assert sum(Decimal(leg["amountIn"]) for leg in data["legs"]) == Decimal(fields["amountIn"])
    for leg in data["legs"]:  # quoted vs executed, fees and impact, per leg
        assert Decimal(leg["quotedAmountOut"]) > 0 and Decimal(leg["amountOut"]) > 0 and Decimal(leg["fee"]) > 0
        assert Decimal(0) <= Decimal(leg["priceImpact"]) < 1  # a small pool's leg may move it more than the route's cap
    assert Decimal(0) < Decimal(data["priceImpact"]) <= Decimal("0.05")
    last = [leg for leg in data["legs"] if leg["tokenOut"] == fields["tokenOut"]]
    assert Decimal(data["amountOut"]) == sum(Decimal(leg["amountOut"]) for leg in last)
    assert Decimal(data["quotedAmountOut"]) > 0 and data["slippage"] is not None and data["priceImpact"] is not None
    # one signed transaction holds every leg: the route lands whole or not at all
    assert len(order["transaction"]["legs"]) == len(data["legs"]) == len(order["routing"]["legs"])
    assert order["transaction"]["signature"] == data["txHash"]


@pytest.mark.parametrize("amount", ["1000000", "999999999999"])
def test_huge_orders_fail_on_price_impact_before_anything_is_sent(ledger_cloud, amount):
    # On the ledger chain: on the RPC chain no wallet holds this much, and the order is refused at
    # submit (test_an_order_the_wallet_cannot_pay_for_is_refused_at_submit_naming_the_balance).
    cloud = ledger_cloud

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http, amountIn=amount)
            return await wait_final(session, cloud.http, accepted["orderId"])

    order = run(scenario())
    assert order["status"] == "failed" and order["transaction"] is None, "nothing was built or sent"
    assert "price impact" in order["failureReason"] and "above the 5.00% limit" in order["failureReason"]
    assert [h["status"] for h in order["history"]] == ["pending", "routing", "failed"]


def test_an_order_the_wallet_cannot_pay_for_is_refused_at_submit_naming_the_balance(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            async with session.post(f"{cloud.http}/api/orders/execute", json={"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "999999999"}) as answer:
                return answer.status, await answer.json()

    status, body = run(scenario())
    assert status == 400 and body["error"]["code"] == "INVALID_REQUEST", body
    assert re.match(r"insufficient balance: the wallet \w+ holds [\d.]+ SOL, the order spends 999999999 SOL", body["error"]["message"]), body


@pytest.mark.parametrize("fields, fragment", [
    ({"tokenIn": "7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr", "tokenOut": "SOL"}, "no route trades"),
    ({"tokenIn": "WIF", "tokenOut": "JTO"}, "no route trades WIF->JTO"),
])  # fmt: skip
def test_an_order_no_route_can_trade_is_refused_at_submit(cloud, fields, fragment):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            async with session.post(f"{cloud.http}/api/orders/execute", json={"amountIn": "1", **fields}) as response:
                return response.status, await response.json()

    status, answer = run(scenario())
    assert status == 400 and fragment in answer["error"]["message"]


def test_an_order_bound_to_a_quote_gets_at_least_the_quotes_minimum(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            # The venues' quotes move with the market and their noise (up to ~0.25%/s, bands 4-5%
            # wide): a generous slippage keeps the re-quote at routing within the quote's minimum.
            answer = await quote(session, cloud.http, tokenIn="SOL", tokenOut="USDC", amountIn="3", slippage="0.1")
            accepted = await submit(session, cloud.http, amountIn="3", quoteId=answer["quoteId"])
            return answer, await wait_final(session, cloud.http, accepted["orderId"])

    answer, order = run(scenario())
    assert order["status"] == "confirmed", order["failureReason"]
    assert Decimal(order["routing"]["minAmountOut"]) >= Decimal(answer["route"]["minAmountOut"])
    assert Decimal(order["execution"]["amountOut"]) >= Decimal(answer["route"]["minAmountOut"])


@pytest.fixture(scope="module")
def paced_quote_cloud():
    """Quotes bind for 1 s and starts are 4 s apart: an order queued behind another starts
    routing after its quote has expired."""
    params = [p for p in FAST if not p.startswith("RateLimitPerMinute")]
    running = start_cloud([*params, "QuoteTtlSeconds=1", "RateLimitPerMinute=100", "RateLimitMinGapMs=4000"], "--quiet")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def test_an_expired_quote_fails_the_order_and_is_refused_once_past(paced_quote_cloud):
    cloud = paced_quote_cloud

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            for _ in range(3):  # on a very slow machine the quote may expire before the order is sent
                await submit(session, cloud.http)  # takes the next start slot
                answer = await quote(session, cloud.http, tokenIn="SOL", tokenOut="USDC", amountIn="2")
                async with session.post(f"{cloud.http}/api/orders/execute",
                                        json={"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "2", "quoteId": answer["quoteId"]}) as response:  # fmt: skip
                    if response.status == 202:
                        queued = await wait_final(session, cloud.http, (await response.json())["orderId"])
                        break
            else:
                raise AssertionError("no order was sent before its quote expired")
            while time.time() * 1000 <= answer["expiresAtMs"]:  # the quote's own deadline, on this machine's clock
                await session.get(f"{cloud.http}/health")
            async with session.post(f"{cloud.http}/api/orders/execute",
                                    json={"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "2", "quoteId": answer["quoteId"]}) as response:  # fmt: skip
                return queued, response.status, await response.json()

    queued, status, refused = run(scenario())
    assert queued["status"] == "failed" and queued["failureReason"].startswith("price moved: quote expired at")
    assert queued["transaction"] is None, "nothing was sent"
    assert status == 400 and refused["error"]["message"].startswith("price moved: quote expired at")
