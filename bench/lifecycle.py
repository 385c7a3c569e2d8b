"""Benchmarks of the order lifecycle: how soon a limit order starts once the market reaches its
price (``trigger``), and what keeping limit orders open costs (``openday``)."""

from __future__ import annotations

import asyncio
import statistics
import time
from decimal import Decimal
from typing import Any

import aiohttp
from solroute.logic.routing import limit_minimum
from solroute.models.status import FINAL_STATUS_NAMES as FINAL
from solroute.models.tokens import resolve_token

from bench import cost
from bench.prices import PRICES
from bench.stats import percentile
from localcloud.template import Template
from tests.support.market import Target, best_limit, limit_reached_between, mirror_trigger

TRIGGER_SEED = 5
TRIGGER = "TriggerFunction"


def _seed(ctx: Any) -> int:
    return next((int(p.split("=")[1]) for p in reversed(ctx.profile.params) if p.startswith("SimulationSeed=")), TRIGGER_SEED)


def _target(seed: int, lead_s: float, within_s: float) -> Target | None:
    """A limit the market has not reached since now and first reaches ``lead_s`` to ``within_s`` from now."""
    now = int(time.time() * 1000)
    return limit_reached_between(mirror_trigger(seed), now, now + int(lead_s * 1000), now + int(within_s * 1000))


async def _submit(session: aiohttp.ClientSession, http: str, body: dict) -> str:
    async with session.post(f"{http}/api/orders/execute", json=body) as response:
        answer = await response.json()
        assert response.status == 202, answer
        return answer["orderId"]


async def _final(session: aiohttp.ClientSession, http: str, order_id: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with session.get(f"{http}/api/orders/{order_id}") as response:
            order = await response.json()
        if order["status"] in FINAL:
            return order
        await asyncio.sleep(0.25)
    return order


def _held_from(seed: int, target: Target, tick_ms: int = 1000, step_ms: int = 50, until_ms: int | None = None) -> int | None:
    """The first moment from which the market keeps paying the limit for a whole tick: a trigger
    that ticks every ``tick_ms`` cannot miss the order from then on (a touch shorter than a tick,
    between two ticks, it can)."""
    trigger = mirror_trigger(seed)
    floor = limit_minimum(target.limit_price, target.amount_in, resolve_token(target.token_out).decimals)
    start, run_ms = target.first_reached_ms, 0
    for at in range(target.first_reached_ms, until_ms or target.first_reached_ms + 120_000, step_ms):
        if best_limit(trigger, target.token_in, target.token_out, target.amount_in, at) * target.amount_in >= floor:
            run_ms += step_ms
            if run_ms > tick_ms:
                return start
        else:
            start, run_ms = at + step_ms, 0
    return None


def _summary(values: list[float]) -> dict:
    if not values:
        return {}
    return {"n": len(values), "p50": round(statistics.median(values)), "p95": round(percentile(values, 95)), "max": round(max(values))}


async def run_trigger(ctx: Any) -> dict:
    """Limit orders whose prices the seeded market first reaches at known moments (computed
    here from the same pure price function): how long from that moment until the trigger queued
    each order (pending) and until it started (routing)."""
    count = 6 if ctx.quick else 20
    placed: list[tuple[Target, str]] = []
    async with aiohttp.ClientSession(headers=ctx.cloud.headers) as session:
        for _ in range(count * 3):  # one order every 2 s or so, each with a price reached 3-40 s after it is placed
            target = await asyncio.to_thread(_target, _seed(ctx), 3.0, 40.0)
            if target is not None:
                body = {
                    "tokenIn": target.token_in, "tokenOut": target.token_out, "amountIn": str(target.amount_in), "type": "limit",
                    "limitPrice": str(target.limit_price), "timeInForceSeconds": 900,
                }  # fmt: skip
                placed.append((target, await _submit(session, ctx.cloud.http, body)))
            if len(placed) == count:
                break
            await asyncio.sleep(2)
        orders = [(target, await _final(session, ctx.cloud.http, order_id, 120)) for target, order_id in placed]
    queued, started, early, problems, samples, held_queued = [], [], 0, [], [], []
    for target, order in orders:
        at = {h["status"]: h["timestampMs"] for h in order["history"]}
        if order["status"] != "confirmed" or "pending" not in at:
            problems.append(f"order {order['orderId']}: {order['status']}")
            continue
        early += at["pending"] < target.first_reached_ms - 5
        queued.append(at["pending"] - target.first_reached_ms)
        held = await asyncio.to_thread(_held_from, _seed(ctx), target)
        if held is not None:  # queued before the price had held a whole tick: 0
            held_queued.append(max(0, at["pending"] - held))
        samples.append({"reachedMs": target.first_reached_ms, "heldFromMs": held, "pendingMs": at["pending"], "routingMs": at["routing"],
                        "pair": f"{target.token_in}->{target.token_out}", "limitPrice": str(target.limit_price)})  # fmt: skip
        started.append(at["routing"] - target.first_reached_ms)
        if float(order["execution"]["amountOut"]) < float(target.limit_price * target.amount_in):
            problems.append(f"order {order['orderId']}: filled below its limit")
    if early:
        problems.append(f"{early} orders were queued before the market reached their limit")
    return {
        "orders": len(orders),
        "reachedToQueuedMs": _summary(queued),
        "reachedToStartedMs": _summary(started),
        # From the moment the price stayed at the limit for a whole tick (a shorter touch between
        # two ticks is missed until the price comes back: the cost of judging once a second).
        "heldTickToQueuedMs": _summary(held_queued),
        "samples": samples,
        "problems": problems,
    }


async def _open_orders(session: aiohttp.ClientSession, http: str, count: int) -> list[str]:
    body = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", "type": "limit", "limitPrice": "1000000", "timeInForceSeconds": 3600}
    return [await _submit(session, http, body) for _ in range(count)]


def _trigger_usage(before: dict, after: dict) -> dict:
    def get(stats: dict) -> dict:
        function = stats["functions"][TRIGGER]
        billed = stats.get("dynamodbUsage") or {}
        return {
            "durationMs": function["durationMsTotal"],
            "invocations": function["invocations"],
            "rru": sum(n for table, n in billed.get("rru", {}).items() if "OrdersTable" in table) if billed else 0.0,
        }

    a, b = get(before), get(after)
    return {
        "durationMs": b["durationMs"] - a["durationMs"],
        "invocations": b["invocations"] - a["invocations"],
        "ordersTableRru": b["rru"] - a["rru"],
    }


async def run_openday(ctx: Any) -> dict:
    """What keeping limit orders open costs, measured over a window and scaled to a day: the
    trigger's run (Lambda time, one index query a tick) with 1 open order and with many, so the
    fixed part (the loop) and the part each order adds (its share of every query) come apart."""
    window_s = 40 if ctx.quick else 150
    many = 50 if ctx.quick else 200
    memory_mb = Template(ctx.profile_root / "template.yaml").functions()[TRIGGER].memory
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession(headers=ctx.cloud.headers) as session:
        opened: list[str] = []
        for label, count in (("one", 1), ("many", many)):
            opened += await _open_orders(session, ctx.cloud.http, count - len(opened))
            await asyncio.sleep(5)  # the run picks them up; measure whole ticks from here
            before = await asyncio.to_thread(ctx.cloud.stats)
            started = time.monotonic()
            await asyncio.sleep(window_s)
            after = await asyncio.to_thread(ctx.cloud.stats)
            used = _trigger_usage(before, after)
            seconds = time.monotonic() - started
            per_day = 86400 / seconds
            # The run is one long invocation: while orders are open it runs the whole time (its
            # duration is billed when it ends, so the window's wall time is what it costs).
            lambda_day = cost.lambda_gb_seconds(86400 * 1000, memory_mb) * PRICES["lambda_gb_second"]
            requests_day = 1440 * PRICES["lambda_request"]  # a new run a minute
            rru_day = used["ordersTableRru"] * per_day * PRICES["dynamodb_rru"]
            results[label] = {
                "openOrders": count,
                "windowS": round(seconds, 1),
                # Read units of the orders table's indexes and items over the window (the trigger's
                # query every tick; nothing else reads while the orders wait), measured at the endpoint.
                "rruPerSecond": round(used["ordersTableRru"] / seconds, 3),
                "dollarsPerDay": {
                    "lambdaDuration": round(lambda_day, 4), "lambdaRequests": round(requests_day, 5),
                    "indexReads": round(rru_day, 5), "total": round(lambda_day + requests_day + rru_day, 4),
                },  # fmt: skip
            }
        for order_id in opened:  # leave nothing open for the cloud's shutdown
            async with session.delete(f"{ctx.cloud.http}/api/orders/{order_id}") as response:
                await response.read()
    one, lots = results["one"], results["many"]
    marginal = (lots["dollarsPerDay"]["indexReads"] - one["dollarsPerDay"]["indexReads"]) / (lots["openOrders"] - 1)
    # An order opening and leaving: its index entry written and removed (1 WRU each), as measured in the cost profile.
    entry = 2 * PRICES["dynamodb_wru"]
    return {
        **results,
        "fixedDollarsPerDayWhileAnyOrderIsOpen": one["dollarsPerDay"]["total"],
        "marginalDollarsPerOpenOrderDay": round(marginal, 7),
        "indexWritesPerOrderDollars": entry,
        "problems": [],
    }


# ------------------------------------------------------------------ opentick
OPENTICK_SIZES = (1_000, 10_000)
OPENTICK_KEYS = 100  # the orders belong to this many API keys (each under KeyMaxOpenOrders=100)


def _open_order(index: int, now_ms: int) -> Any:
    from solroute.models.order import HistoryEntry, Order, OrderStatus

    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now_ms / 1000))
    first = HistoryEntry(status=OrderStatus.OPEN, seq=1, timestamp=stamp, timestampMs=now_ms, message="Limit order open")
    return Order(
        orderId=f"opentick-{index:07d}", type="limit", tokenIn="SOL", tokenOut="USDC", amountIn=Decimal(1 + index % 50),
        slippage=Decimal("0.01"), limitPrice=Decimal(1_000_000), expiresAtMs=now_ms + 86_400_000, owner=f"owner-{index % OPENTICK_KEYS}",
        keyId=f"sr_bench{index % OPENTICK_KEYS:04d}", status=OrderStatus.OPEN, createdAt=stamp, updatedAt=stamp, statusAtMs=now_ms, history=[first],
    )  # fmt: skip


def _tick_once(trigger: Any, table_rru: Any) -> dict:
    rru_before = table_rru()
    wall, cpu = time.perf_counter(), time.process_time()
    report = trigger.tick()
    return {
        "wallMs": (time.perf_counter() - wall) * 1000, "cpuMs": (time.process_time() - cpu) * 1000,
        "read": report.open, "more": report.more, "rru": table_rru() - rru_before,
    }  # fmt: skip


async def run_opentick(ctx: Any) -> dict:
    """One trigger tick with 1,000 and with 10,000 orders open: the orders are written straight
    into the local cloud's orders table (as the API stores them), then the trigger's own tick
    (solroute.logic.trigger, in this process) reads them through the cloud's DynamoDB endpoint
    and judges each at this moment's prices (no limit is reached: every order is judged whole)."""
    import boto3
    from solroute.dal.dynamodb.items import order_to_item
    from solroute.dal.dynamodb.orders import DynamoOrderRepository
    from solroute.dex.market import Market
    from solroute.dex.price_path import PricePath
    from solroute.dex.randomness import Randomness
    from solroute.dex.seeds import DEX_SEEDS
    from solroute.dex.simulation import SimulationConfig
    from solroute.dex.venue import SimulatedDex
    from solroute.logic.trigger import Trigger
    from solroute.ports import Clock

    from tests.fakes import InMemoryLease, InMemoryQueue

    status, health = ctx.cloud.health()
    credentials = {"region_name": "us-east-1", "aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
    table = boto3.resource("dynamodb", endpoint_url=ctx.cloud.aws, **credentials).Table(health["outputs"]["OrdersTableName"])
    clock, config = Clock(), SimulationConfig(seed=1)
    venues = [SimulatedDex(seed, config, Randomness(1), clock, market=Market(path=PricePath("bench", {"*": Decimal("0.02")}))) for seed in DEX_SEEDS]
    # One tick reads every open order (the template's TriggerOrdersPerTick bounds it at its
    # default; here the whole 10,000 are read at once, to see what a whole pass costs).
    trigger = Trigger(DynamoOrderRepository(table), InMemoryQueue(), venues, clock, InMemoryLease(), margin=Decimal("0.005"), max_per_tick=max(OPENTICK_SIZES))

    def table_rru() -> float:
        billed = (ctx.cloud.stats().get("dynamodbUsage") or {}).get("rru", {})
        return sum(n for name, n in billed.items() if "OrdersTable" in name)

    rounds = 3 if ctx.quick else 7
    results: dict[str, Any] = {}
    written = 0
    for size in OPENTICK_SIZES[:1] if ctx.quick else OPENTICK_SIZES:
        now_ms = clock.now_ms()
        with table.batch_writer() as batch:
            for index in range(written, size):
                batch.put_item(Item={**order_to_item(_open_order(index, now_ms)), "subs": {}})
        written = size
        await asyncio.to_thread(_tick_once, trigger, table_rru)  # warm: clients, pools, the price path's cache
        ticks = [await asyncio.to_thread(_tick_once, trigger, table_rru) for _ in range(rounds)]
        assert all(t["read"] == size and not t["more"] for t in ticks), ticks
        results[str(size)] = {
            "openOrders": size,
            "tickWallMs": _summary([t["wallMs"] for t in ticks]),
            "tickCpuMsTrigger": _summary([t["cpuMs"] for t in ticks]),
            "readUnitsPerTick": round(statistics.median(t["rru"] for t in ticks), 1),
            "indexBytesPerOrder": round(statistics.median(t["rru"] for t in ticks) * 2 * 4096 / size),  # eventually consistent: 0.5 RRU per 4 KB
        }
    # What judging alone costs (no store): the same orders from memory.
    watched = trigger.orders.open_orders(written).orders
    started = time.process_time()
    prices = trigger._prices(watched, clock.now_ms())
    for w in watched:
        trigger.reaches_limit(w, prices)
    results["judgeOnlyCpuMs"] = {"orders": len(watched), "cpuMs": round((time.process_time() - started) * 1000, 1)}
    return {**results, "problems": [] if status == 200 else [f"health answered {status}"]}
