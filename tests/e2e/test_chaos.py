"""A chaos run on the local cloud, on each chain: every fault point switched on at once, orders
submitted over real HTTP, and every guarantee checked from the outside, each order's final
status against the chain's truth: the simulated chain's ledger, or the Solana validator's
getSignatureStatuses and getTransaction, and the wallet's balances (docs/guarantees.md)."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import aiohttp
import boto3
import pytest

from solroute.dal.dynamodb.items import item_fields
from solroute.logic.state_machine import TRANSITIONS
from solroute.models.order import OrderStatus
from tests.support.cloud_client import run
from tests.support.cloud_process import FAST, start_cloud, stop_cloud

FAULTS = "quote-timeout=0.2,send-rpc-error=0.2,crash-before-send=0.15,crash-after-send=0.2,dynamodb-throttle=0.01,sqs-send-error=0.2,ws-gone=0.2"
# Crashed consumers' messages come back after 4 s instead of 3 minutes; a never-queued order
# is swept after 6 s. (ConsumerTimeout=3 keeps the template's rule: StartTimeout > visibility.)
CHAOS = [*FAST, f"FaultInjection={FAULTS}", "QueueVisibilityTimeout=4", "ConsumerTimeout=3", "BackoffBaseSeconds=1", "StartTimeout=6"]
# The RPC chain's own faults too: a send that times out (landed or not), one the node drops, and a
# blockhash that has already expired (such an order waits ~150 slots, a minute, to be failed).
RPC_FAULTS = "rpc-timeout=0.15,rpc-drop=0.15,blockhash-expired=0.1"
ORDERS = 24
UNITS = {"USDC": Decimal("0.000001"), "SOL": Decimal("0.000000001")}


@pytest.fixture(scope="module")
def chaos_cloud():
    running = start_cloud([*CHAOS, "SolanaRpcUrl="])  # the simulated ledger chain
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="module")
def rpc_chaos_cloud():
    params = [p if not p.startswith("FaultInjection=") else f"{p},{RPC_FAULTS}" for p in CHAOS]
    running = start_cloud(params)  # the local cloud's own validator
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def _table(cloud, name):
    resource = boto3.resource("dynamodb", endpoint_url=cloud.aws, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    return resource.Table(f"solroute-dev-{name}")


def _scan(table) -> list[dict]:
    items, kwargs = [], {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _orders(cloud) -> dict[str, dict]:
    return {i["orderId"]: item_fields(i) for i in _scan(_table(cloud, "OrdersTable"))}


async def _submit_all(cloud) -> list[tuple[int, dict]]:
    async with aiohttp.ClientSession(headers=cloud.headers) as session:

        async def one(i):
            body = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": str(1 + i)}
            async with session.post(f"{cloud.http}/api/orders/execute", json=body) as response:
                return response.status, await response.json()

        return await asyncio.gather(*(one(i) for i in range(ORDERS)))


def _sweep(cloud) -> None:
    """Run the scheduled sweeper now, as `aws lambda invoke` would (its schedule is a minute)."""
    client = boto3.client("lambda", endpoint_url=cloud.lambda_endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    client.invoke(FunctionName="SweeperFunction", Payload=b"{}")


def _wait_until_all_final(cloud, timeout_s: float = 240) -> dict[str, dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        orders = _orders(cloud)
        open_orders = {k: v["status"] for k, v in orders.items() if v["status"] not in ("confirmed", "failed")}
        if not open_orders:
            return orders
        assert time.monotonic() < deadline, f"G3: still open after {timeout_s} s: {open_orders}"
        _sweep(cloud)
        time.sleep(0.5)


def _accepted(answers) -> set[str]:
    for status, body in answers:
        assert status in (202, 503), (status, body)  # never a 500, even with the queue and the store failing
        if status == 503:
            assert body["error"]["code"] in ("QUEUE_UNAVAILABLE", "STORE_BUSY")
    accepted = {body["orderId"] for status, body in answers if status == 202}
    assert accepted, "chaos this strong still lets orders through"
    return accepted


def _check_history(order: dict) -> None:
    assert int(order["attempts"]) <= 3, f"G4: {order}"
    statuses = [OrderStatus(h["status"]) for h in order["history"]]
    assert len(set(statuses)) == len(statuses) and statuses[0] is OrderStatus.PENDING, f"G5: {statuses}"
    assert all(b in TRANSITIONS[a] for a, b in zip(statuses, statuses[1:])), f"G5: {statuses}"
    assert [int(h["seq"]) for h in order["history"]] == list(range(1, len(statuses) + 1)), f"G5: {order['history']}"
    if order["status"] == "confirmed":
        assert Decimal(order["execution"]["amountOut"]) >= UNITS[order["tokenOut"]], f"G6: {order}"


def _rpc(url: str, method: str, *params):
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, body, {"Content-Type": "application/json"}), timeout=10) as answer:
        return json.loads(answer.read())["result"]


def _wallet(cloud) -> dict[str, Decimal]:
    import urllib.request

    request = urllib.request.Request(f"{cloud.http}/api/wallet", headers=cloud.headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return {b["token"]: Decimal(b["amount"]) for b in json.loads(answer.read())["balances"]}


def test_under_every_fault_at_once_on_the_rpc_chain_each_order_ends_as_the_validator_says(rpc_chaos_cloud):
    cloud = rpc_chaos_cloud
    before = _wallet(cloud)
    accepted = _accepted(run(_submit_all(cloud)))
    orders = _wait_until_all_final(cloud)
    assert accepted <= set(orders), "an accepted order was lost"
    spent, received, landed_ok = Decimal(0), Decimal(0), 0
    for order_id, order in orders.items():
        swap = order.get("transaction") or {}
        status = _rpc(cloud.solana, "getSignatureStatuses", [swap["signature"]], {"searchTransactionHistory": True})["value"][0] if swap else None
        if order_id not in accepted:  # the client was told 503: it must never execute
            assert order["status"] == "failed" and status is None, order
        if status is None:
            assert order["status"] == "failed", f"G1: confirmed without a landed transaction: {order}"
            if swap:  # failed only once the chain says it can never land
                # the tip's height (a finalized one trails it by 32 slots), as the engine reads it
                assert _rpc(cloud.solana, "getBlockHeight", {"commitment": "confirmed"}) > int(swap["lastValidBlockHeight"]), f"failed while it could still land: {order}"
        elif status["err"] is None:
            assert order["status"] == "confirmed", f"G1: transaction landed, order {order['status']}: {order.get('failureReason')}"
            spent += Decimal(order["amountIn"])
            received += Decimal(order["execution"]["amountOut"])
            landed_ok += 1
        else:
            assert order["status"] == "failed" and "failed on chain" in order["failureReason"], f"G1: {order}"
        _check_history(order)
    after = _wallet(cloud)
    # G2 from the outside: the wallet moved by exactly the confirmed orders' fills, so no other
    # transaction of any order (a second swap, one never stored) landed.
    assert before["SOL"] - after["SOL"] == spent and after["USDC"] - before["USDC"] == received
    consumer = cloud.stats()["functions"]["OrderConsumerFunction"]
    assert consumer["errors"] > 0 and "chaos: crash-" in cloud.log(), "no consumer crashed: the chaos run tested nothing"
    print(f"rpc chaos run: {len(accepted)} accepted; {landed_ok} landed and confirmed; "
          f"{sum(o['status'] == 'failed' for o in orders.values())} failed; consumer errors {consumer['errors']}")  # fmt: skip


def test_under_every_fault_at_once_each_order_ends_as_the_chain_says(chaos_cloud):
    accepted = _accepted(run(_submit_all(chaos_cloud)))

    orders = _wait_until_all_final(chaos_cloud)
    ledger = {r["signature"]: r for r in _scan(_table(chaos_cloud, "SimulatedChainTable"))}
    landed = {s: r for s, r in ledger.items() if r["status"] != "expired"}
    signatures = {(o.get("transaction") or {}).get("signature"): o["orderId"] for o in orders.values() if o.get("transaction")}

    assert accepted <= set(orders), "an accepted order was lost"
    assert set(landed) <= set(signatures), "G2: a swap landed that no order had stored first"
    for order_id, order in orders.items():
        record = landed.get((order.get("transaction") or {}).get("signature"))
        if order_id not in accepted:  # the client was told 503: it must never execute
            assert order["status"] == "failed" and record is None, order
        if record is None:
            assert order["status"] == "failed", f"G1: confirmed without a landed swap: {order}"
        elif record["status"] == "success":
            assert order["status"] == "confirmed", f"G1: swap landed, order {order['status']}: {order.get('failureReason')}"
            assert order["execution"]["amountOut"] == record["amountOut"]
        else:
            assert order["status"] == "failed" and order["failureReason"] == record["error"], f"G1: {order}"
        _check_history(order)

    # The faults really struck: consumers died (and came back), swaps were expired or settled by lookup.
    consumer = chaos_cloud.stats()["functions"]["OrderConsumerFunction"]
    assert consumer["errors"] > 0, "no consumer crashed: the chaos run tested nothing"
    assert "chaos: crash-" in chaos_cloud.log()
    print(
        f"chaos run: {len(accepted)} accepted / {ORDERS - len(accepted)} refused; "
        f"{sum(o['status'] == 'confirmed' for o in orders.values())} confirmed, {sum(o['status'] == 'failed' for o in orders.values())} failed; "
        f"{len(landed)} swaps landed, {len(ledger) - len(landed)} expired; consumer errors {consumer['errors']}"
    )
