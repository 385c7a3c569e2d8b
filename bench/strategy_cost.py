"""What strategy orders cost (docs/strategies.md, docs/lifecycle.md), on a metered local cloud:

- at rest: the trigger's Lambda time and read units over a window with nothing active, with a
  recurring order waiting for its next run (an hour away), and with a sniper watching for a token
  that is never launched; each scaled to a day;
- per child: every AWS call the functions' code made (not the event sources' polling) for five market orders, against a TWAP of five
  slices (its children, the parent's writes and reads, and the trigger's ticks while it ran).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import aiohttp

from bench import cost
from bench.lifecycle import TRIGGER, _final, _submit, _trigger_usage
from bench.prices import PRICES
from localcloud.template import Template

WINDOW_S = 120
SLICES = 5


API = "ApiFunction"


def _calls(stats: dict, only: str | None = None, but: str | None = None) -> Counter:
    total: Counter = Counter()
    for name, function in stats["functions"].items():
        if (only is None or name == only) and name != but:
            total.update((function.get("usage") or {}).get("calls", {}))
    return total


def _delta(after: Counter, before: Counter) -> Counter:
    used = Counter(after)
    used.subtract(before)
    return Counter({name: n for name, n in used.items() if n})


class Calls:
    """The AWS calls the engine makes for some orders: every function's but the API's, and the
    API's only while it accepted them (the benchmark's own GETs, waiting for the end, are not the
    engine's cost)."""

    def __init__(self) -> None:
        self.api: Counter = Counter()
        self.start: dict = {}

    async def submit(self, ctx: Any, session: aiohttp.ClientSession, body: dict) -> str:
        before = await asyncio.to_thread(ctx.cloud.stats)
        order_id = await _submit(session, ctx.cloud.http, body)
        after = await asyncio.to_thread(ctx.cloud.stats)
        self.api += _delta(_calls(after, only=API), _calls(before, only=API))
        return order_id

    def total(self, before: dict, after: dict) -> dict[str, int]:
        return dict(sorted((_delta(_calls(after, but=API), _calls(before, but=API)) + self.api).items()))


async def _rest(ctx: Any, window_s: float, memory_mb: int) -> dict:
    """The trigger over ``window_s`` from now, as a day: the seconds it ran (sampled each second:
    a run that ticks through the window bills it all, though it ends after), its invocations,
    and the orders table's read units."""
    before = await asyncio.to_thread(ctx.cloud.stats)
    started, busy = time.monotonic(), 0
    while time.monotonic() - started < window_s:
        await asyncio.sleep(1)
        busy += (await asyncio.to_thread(ctx.cloud.stats))["functions"][TRIGGER]["inFlight"] > 0
    after = await asyncio.to_thread(ctx.cloud.stats)
    used = _trigger_usage(before, after)
    seconds = time.monotonic() - started
    per_day = 86400 / seconds
    run_ms = max(used["durationMs"], busy * 1000)
    lambda_day = cost.lambda_gb_seconds(run_ms * per_day, memory_mb) * PRICES["lambda_gb_second"]
    requests_day = used["invocations"] * per_day * PRICES["lambda_request"]
    rru_day = used["ordersTableRru"] * per_day * PRICES["dynamodb_rru"]
    return {
        "triggerSecondsPerDay": round(run_ms * per_day / 1000),
        "triggerInvocationsPerDay": round(used["invocations"] * per_day),
        "ordersTableRruPerDay": round(used["ordersTableRru"] * per_day),
        "dollarsPerDay": round(lambda_day + requests_day + rru_day, 4),
    }


async def _quiet(ctx: Any) -> None:
    """Until the trigger's run has ended (nothing active keeps it ticking)."""
    while (await asyncio.to_thread(ctx.cloud.stats))["functions"][TRIGGER]["inFlight"]:
        await asyncio.sleep(0.5)


async def run_strategyday(ctx: Any) -> dict:
    window_s = 40 if ctx.quick else WINDOW_S
    memory_mb = Template(ctx.profile_root / "template.yaml").functions()[TRIGGER].memory
    http = ctx.cloud.http
    result: dict[str, Any] = {"windowS": window_s}
    async with aiohttp.ClientSession(headers=ctx.cloud.headers) as session:
        await _quiet(ctx)
        result["nothingActive"] = await _rest(ctx, window_s, memory_mb)
        recurring = await _submit(session, http, {
            "type": "recurring", "tokenIn": "USDC", "tokenOut": "SOL", "amountPerRun": "5", "intervalSeconds": 3600, "runs": 2,
        })  # fmt: skip
        await asyncio.sleep(5)  # its first run fills at once; the next is an hour away
        await _quiet(ctx)
        result["recurringWaiting"] = await _rest(ctx, window_s, memory_mb)
        sniper = await _submit(session, http, {
            "type": "sniper", "tokenIn": "USDC", "tokenOut": "NEVERX", "amountIn": "10", "maxPrice": "1", "timeInForceSeconds": 3600,
        })  # fmt: skip
        await asyncio.sleep(3)
        result["sniperWatching"] = await _rest(ctx, window_s, memory_mb)
        for order_id in (recurring, sniper):
            async with session.delete(f"{http}/api/orders/{order_id}") as answer:
                await answer.read()
        await _quiet(ctx)

        # Calls: five market orders, then a TWAP of five slices of the same size.
        before, market_calls = await asyncio.to_thread(ctx.cloud.stats), Calls()
        for _ in range(SLICES):
            order_id = await market_calls.submit(ctx, session, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "0.2"})
            await _final(session, http, order_id, 60)
        await _quiet(ctx)
        middle, twap_calls = await asyncio.to_thread(ctx.cloud.stats), Calls()
        parent_id = await twap_calls.submit(ctx, session, {"type": "twap", "tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "slices": SLICES, "intervalSeconds": 10})
        parent = await _final(session, http, parent_id, 60 + SLICES * 10)
        await _quiet(ctx)
        after = await asyncio.to_thread(ctx.cloud.stats)
    market, twap = market_calls.total(before, middle), twap_calls.total(middle, after)
    result["callsPerMarketOrder"] = round(sum(market.values()) / SLICES, 1)
    result["callsPerTwapChild"] = round(sum(twap.values()) / SLICES, 1)
    # The trigger's ticks while the TWAP ran (a Scan of the open-orders index each second, shared
    # by every open order and strategy), apart: what the parent itself adds is the rest.
    scans = twap.get("dynamodb.Scan", 0)
    result["callsPerTwapChildBesidesTicks"] = round((sum(twap.values()) - scans) / SLICES, 1)
    result["triggerScansDuringTwap"] = scans
    result["callsByKind"] = {"market": market, "twap": twap}
    result["twapStatus"] = parent["status"]
    base = result["nothingActive"]["dollarsPerDay"]
    result["restDollarsPerDay"] = {
        "recurringWaiting": round(result["recurringWaiting"]["dollarsPerDay"] - base, 4),
        "sniperWatching": round(result["sniperWatching"]["dollarsPerDay"] - base, 4),
    }
    result["problems"] = [] if parent["status"] == "completed" else [f"the TWAP ended {parent['status']}"]
    return result
