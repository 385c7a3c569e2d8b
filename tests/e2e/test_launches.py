"""A token launched at run time, end to end on the local cloud's RPC chain: `solroute market
launch` (POST /_localcloud/market/launch), then a market order into it through the real API
confirms on the validator and the wallet holds the token; the Launches port reads its pool's
depth from the chain, growing after `solroute market add-liquidity`."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import aiohttp
import boto3

from tests.support.cloud_client import ROOT, call, poll, run, wait_final

SYMBOL = "NEWT"  # launched by this module only: the session's cloud is shared


def solroute_market(cloud_http: str, *argv: str) -> tuple[int, dict | str, str]:
    """`solroute market ... --json` against ``cloud_http``, as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "solroute_cli", "market", *argv, "--api", cloud_http, "--json"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )  # fmt: skip
    try:
        return done.returncode, json.loads(done.stdout), done.stderr
    except ValueError:
        return done.returncode, done.stdout, done.stderr


def chain_launches(cloud):
    """The Launches port as a function builds it, over the cloud's keys table and validator."""
    from solroute.dal.dynamodb.launches import DynamoLaunchStore
    from solroute.dal.solana.launches import ChainLaunches
    from solroute.dal.solana.rpc import SolanaRpc
    from solroute.models.launches import LAUNCHES

    table_name = cloud.health()[1]["outputs"]["ApiKeysTableName"]
    dynamodb = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=cloud.aws, aws_access_key_id="test", aws_secret_access_key="test")
    LAUNCHES.install(DynamoLaunchStore(dynamodb.Table(table_name)).load, every_s=0)
    return ChainLaunches(SolanaRpc(cloud.solana))


def test_a_launched_token_trades_through_the_api_on_the_chain_and_its_pool_deepens(cloud):
    from solroute.models.launches import LAUNCHES

    code, launched, stderr = solroute_market(cloud.http, "launch", SYMBOL, "--liquidity", "50000", "--price", "0.2")
    assert code == 0, stderr
    assert (launched["symbol"], launched["quote"], launched["price"], launched["decimals"]) == (SYMBOL, "USDC", "0.2", 6)
    assert [(p["dex"], p["liquidity"]) for p in launched["pools"]] == [("raydium", "50000")]
    try:
        launches = chain_launches(cloud)
        (pool,) = launches.pools(SYMBOL)
        assert (pool.dex, pool.token, pool.quote, pool.liquidity) == ("raydium", SYMBOL, "USDC", Decimal(50000))
        assert launches.pools("SOL") == [] and launches.pools("NOPE") == []

        async def buy():
            async with aiohttp.ClientSession(headers=cloud.headers) as session:
                body = {"tokenIn": "USDC", "tokenOut": SYMBOL, "amountIn": "100"}

                async def send():  # every function sees a launch within about a second
                    return await call(session, "POST", f"{cloud.http}/api/orders/execute", json=body)

                status, _, accepted = await poll(send, lambda answer: answer[0] != 400, timeout=10, interval=0.2)
                assert status == 202, accepted
                order = await wait_final(session, cloud.http, accepted["orderId"])
                _, _, wallet = await call(session, "GET", f"{cloud.http}/api/wallet")
                return order, wallet

        order, wallet = run(buy())
        assert order["status"] == "confirmed", order.get("failureReason")
        assert [leg["poolId"] for leg in order["execution"]["legs"]] == [f"raydium:{SYMBOL}-USDC"]
        held = {b["token"]: b for b in wallet["balances"]}
        assert Decimal(held[SYMBOL]["amount"]) == Decimal(order["execution"]["amountOut"]) > 0
        assert held[SYMBOL]["mint"] == launched["mint"]
        # The buyer's 100 USDC went into the pool's own vault: its depth, read from the chain.
        assert launches.pools(SYMBOL)[0].liquidity == Decimal(50100)

        code, added, stderr = solroute_market(cloud.http, "add-liquidity", SYMBOL, "--liquidity", "25000")
        assert code == 0, stderr
        assert [(p["dex"], p["liquidity"]) for p in added["pools"]] == [("raydium", "75000")]
        assert launches.pools(SYMBOL)[0].liquidity == Decimal(75100)
    finally:
        LAUNCHES.install(None)


def refused(cloud_http: str, *argv: str) -> dict:
    """The error a `solroute market` command that must fail prints (exit 1)."""
    code, answer, stderr = solroute_market(cloud_http, *argv)
    assert code == 1 and isinstance(answer, dict), (code, answer, stderr)
    return answer["error"]


def test_launch_refuses_a_taken_symbol_bad_terms_and_a_target_that_is_not_a_local_cloud(cloud):
    error = refused(cloud.http, "launch", "SOL", "--liquidity", "1")
    assert error["status"] == 409 and "one of the static tokens" in error["message"], error
    error = refused(cloud.http, "launch", "ZZTOP", "--liquidity", "1", "--venue", "orca")
    assert error["status"] == 400 and "unknown venue 'orca'" in error["message"], error
    assert "pairs with USDC or SOL" in refused(cloud.http, "launch", "ZZTOP", "--liquidity", "1", "--quote", "BONK")["message"]
    assert "liquidity must be a decimal number" in refused(cloud.http, "launch", "ZZTOP", "--liquidity", "lots")["message"]
    assert "ZZTOP is not launched" in refused(cloud.http, "add-liquidity", "ZZTOP", "--liquidity", "1")["message"]
    # The validator answers HTTP, but is no local cloud: as a deployed stack's API would be.
    assert "launches are a local-chain feature" in refused(cloud.solana, "launch", "ZZTOP", "--liquidity", "1")["message"]


def test_a_second_launch_of_a_symbol_is_a_conflict_and_a_sol_pool_trades_through_sol(cloud):
    code, launched, stderr = solroute_market(cloud.http, "launch", "TWICE", "--liquidity", "100", "--quote", "SOL", "--venue", "meteora", "--price", "0.001")
    assert code == 0, stderr
    error = refused(cloud.http, "launch", "TWICE", "--liquidity", "10")
    assert error["status"] == 409 and error["code"] == "ALREADY_LAUNCHED" and "launched already" in error["message"], error

    async def buy():  # USDC -> SOL -> TWICE: two hops, the second into the launched pool
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            body = {"tokenIn": "USDC", "tokenOut": "TWICE", "amountIn": "15"}
            status, _, accepted = await poll(
                lambda: call(session, "POST", f"{cloud.http}/api/orders/execute", json=body), lambda answer: answer[0] != 400, timeout=10, interval=0.2
            )  # fmt: skip
            assert status == 202, accepted
            return await wait_final(session, cloud.http, accepted["orderId"])

    order = run(buy())
    assert order["status"] == "confirmed", order.get("failureReason")
    assert [leg["poolId"] for leg in order["execution"]["legs"]][-1] == "meteora:TWICE-SOL"
