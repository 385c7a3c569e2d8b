"""Sniper orders end to end on the local cloud's RPC chain: placed for a token nobody has launched,
they watch; `solroute market launch` creates the token and its pool, and the sniper buys it at
once, at most at its price; one that asks for more liquidity waits for `market add-liquidity`."""

from __future__ import annotations

from decimal import Decimal

import aiohttp

from tests.e2e.test_launches import solroute_market
from tests.support.cloud_client import call, get_order, run, wait_final


async def _snipe(session: aiohttp.ClientSession, cloud, symbol: str, **fields) -> dict:
    body = {"type": "sniper", "tokenIn": "USDC", "tokenOut": symbol, "amountIn": "100", "maxPrice": "1", "timeInForceSeconds": 600, **fields}
    status, _, answer = await call(session, "POST", f"{cloud.http}/api/orders/execute", json=body)
    assert status == 202, answer
    return answer


def test_a_sniper_buys_a_token_the_moment_it_is_launched(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await _snipe(session, cloud, "snpa")
            waiting = await get_order(session, cloud.http, accepted["orderId"])
            code, _, stderr = solroute_market(cloud.http, "launch", "SNPA", "--liquidity", "50000", "--price", "0.2")
            assert code == 0, stderr
            parent = await wait_final(session, cloud.http, accepted["orderId"])
            child = await get_order(session, cloud.http, parent["strategy"]["children"][0]["orderId"])
            _, _, wallet = await call(session, "GET", f"{cloud.http}/api/wallet")
            return waiting, parent, child, wallet

    waiting, parent, child, wallet = run(scenario())
    assert waiting["status"] == "active" and waiting["tokenOut"] == "SNPA" and waiting["strategy"]["children"] == []
    assert parent["status"] == "completed" and "Snipe fired: SNPA pool on raydium holds 50000 USDC" in parent["history"][1]["message"]
    assert child["status"] == "confirmed" and child["parentId"] == parent["orderId"] and child["tokenOut"] == "SNPA"
    bought = Decimal(child["execution"]["amountOut"])
    assert bought >= Decimal(100) / Decimal(1), "at most maxPrice USDC per SNPA"
    held = {b["token"]: Decimal(b["amount"]) for b in wallet["balances"]}
    assert held["SNPA"] >= bought


def test_a_sniper_waits_for_the_liquidity_it_asks_for(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            deep = await _snipe(session, cloud, "SNPB", minLiquidity="80000")
            any_depth = await _snipe(session, cloud, "SNPB")
            code, _, stderr = solroute_market(cloud.http, "launch", "SNPB", "--liquidity", "50000", "--price", "0.2")
            assert code == 0, stderr
            # Both watch the same pool, judged in the same ticks: when the one that takes any depth
            # has fired, the one that asks for 80,000 has seen 50,000 and waited.
            fired = await wait_final(session, cloud.http, any_depth["orderId"])
            held = await get_order(session, cloud.http, deep["orderId"])
            code, _, stderr = solroute_market(cloud.http, "add-liquidity", "SNPB", "--liquidity", "40000")
            assert code == 0, stderr
            return fired, held, await wait_final(session, cloud.http, deep["orderId"])

    fired, held, deep = run(scenario())
    assert fired["status"] == "completed"
    assert held["status"] == "active" and held["strategy"]["children"] == [], held["history"]
    assert deep["status"] == "completed" and "holds 9" in deep["history"][1]["message"], deep["history"]
