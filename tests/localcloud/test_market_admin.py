"""POST /_localcloud/market/launch where the local cloud has no Solana chain (the ledger chain):
a 400 that says launches are a local-chain feature, never a 500."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from localcloud.market import NOT_ON_CHAIN, LocalMarket


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"symbol": "NEWT", "liquidity": "10"}, 400, NOT_ON_CHAIN),
        ({"symbol": "NEWT"}, 400, "liquidity is required"),
        ({"symbol": "NEWT", "liquidity": "10", "decimals": "six"}, 400, "decimals must be a whole number"),
        ([1, 2], 400, "a JSON object"),
    ],
)
def test_a_launch_on_a_cloud_without_a_solana_chain_is_a_clear_400(body, status, fragment):
    cloud = SimpleNamespace(template=SimpleNamespace(parameters={"SolanaRpcUrl": ""}), deployed=None, _pool=ThreadPoolExecutor(1), log=print)

    async def scenario():
        app = web.Application()
        LocalMarket(cloud).add_routes(app)  # type: ignore[arg-type]
        async with TestClient(TestServer(app)) as client:
            answer = await client.post("/_localcloud/market/launch", json=body)
            return answer.status, await answer.json()

    answered, answer = asyncio.run(scenario())
    assert answered == status and fragment in answer["error"]["message"], answer
