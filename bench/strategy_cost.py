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


def _calls(stats: dict) -> Counter:
    total: Counter = Counter()
    for function in stats["functions"].values():
        total.update((function.get("usage") or {}).get("calls", {}))
    return total


def _call_counts(before: dict, after: dict) -> dict[str, int]:
    used = _calls(after)
    used.subtract(_calls(before))
    return {name: n for name, n in sorted(used.items()) if n}


async def _rest(ctx: Any, window_s: float, memory_mb: int) -> dict:
    """The trigger over ``window_s`` from now, as a day: duration billed, invocations, read units."""
    before = await asyncio.to_thread(ctx.cloud.stats)
    started = time.monotonic()
    await asyncio.sleep(window_s)
    after = await asyncio.to_thread(ctx.cloud.stats)
    used = _trigger_usage(before, after)
    per_day = 86400 / (time.monotonic() - started)
    lambda_day = cost.lambda_gb_seconds(used["durationMs"] * per_day, memory_mb) * PRICES["lambda_gb_second"]
    requests_day = used["invocations"] * per_day * PRICES["lambda_request"]
    rru_day = used["ordersTableRru"] * per_day * PRICES["dynamodb_rru"]
    return {
        "triggerSecondsPerDay": round(used["durationMs"] * per_day / 1000),
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
        before = await asyncio.to_thread(ctx.cloud.stats)
        for _ in range(SLICES):
            order_id = await _submit(session, http, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "0.2"})
            await _final(session, http, order_id, 60)
        await _quiet(ctx)
        middle = await asyncio.to_thread(ctx.cloud.stats)
        parent_id = await _submit(session, http, {"type": "twap", "tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "slices": SLICES, "intervalSeconds": 10})
        parent = await _final(session, http, parent_id, 60 + SLICES * 10)
        await _quiet(ctx)
        after = await asyncio.to_thread(ctx.cloud.stats)
    market, twap = _call_counts(before, middle), _call_counts(middle, after)
    result["callsPerMarketOrder"] = round(sum(market.values()) / SLICES, 1)
    result["callsPerTwapChild"] = round(sum(twap.values()) / SLICES, 1)
    result["callsByKind"] = {"market": market, "twap": twap}
    result["twapStatus"] = parent["status"]
    base = result["nothingActive"]["dollarsPerDay"]
    result["restDollarsPerDay"] = {
        "recurringWaiting": round(result["recurringWaiting"]["dollarsPerDay"] - base, 4),
        "sniperWatching": round(result["sniperWatching"]["dollarsPerDay"] - base, 4),
    }
    result["problems"] = [] if parent["status"] == "completed" else [f"the TWAP ended {parent['status']}"]
    return result
