"""The benchmark profiles. Each returns (summary, charts data) and never asserts a speed:
it reports numbers, and fails only when the run itself broke (lost or unfinished orders)."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from bench import charts, cost, cpu, lifecycle, strategy_cost
from bench.loadgen import InFlightSampler, LoadGenerator, OrderTrace, burst, poisson
from bench.stats import max_in_window, min_in_full_windows, percentile, rate_per_minute, sliding_log_starts, summary
from localcloud.template import Template
from tests.support.cloud_process import RunningCloud

ROOT = Path(__file__).resolve().parents[1]
CONSUMER = "OrderConsumerFunction"
SETTLER = "SettlerFunction"  # the consumer's code on the settle queue
ZERO_DELAYS = ["QuoteDelayMs=0", "SwapDelayMinMs=0", "SwapDelayMaxMs=0", "FailureRate=0"]
# Every profile drives the engine with the cloud's demo key, one client standing for many: its
# own per-key limits must not be what a profile measures (the flood profile measures them).
# The limits are still checked on every order, so their cost is in every profile's numbers.
# One WebSocket per order from one key: its connections are counted (a write and a query each)
# but never refused.
BENCH_KEY_PARAMS = ["KeyRatePerMinute=10000", "KeyBacklogSeconds=86400", "WebSocketConnectionsPerKey=100000"]


def order_body(index: int) -> dict:
    return {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": str(1 + index % 50), "slippage": "0.01"}


@dataclass
class Profile:
    name: str
    description: str
    params: list[str]
    run: Callable[["Context"], Awaitable[dict]]
    flags: tuple[str, ...] = ()
    needs_cloud: bool = True


@dataclass
class Context:
    cloud: RunningCloud | None
    out_dir: Path
    profile: Profile
    quick: bool = False
    profile_root: Path = ROOT
    params: list[str] = field(default_factory=list)  # the --param overrides of this run

    def chart(self, suffix: str) -> Path:
        return self.out_dir / f"{self.profile.name}-{suffix}.png"


def _broken(traces: list[OrderTrace]) -> list[str]:
    problems = [f"order {t.index} ({t.order_id}): {t.error}" for t in traces if t.error]
    problems += [f"order {t.index} ({t.order_id}): not final" for t in traces if not t.error and t.final_status is None]
    return problems


async def _drive(ctx: Context, offsets: list[float], timeout_s: float, clients: int = 64) -> tuple[list[OrderTrace], list[tuple[float, int]], dict]:
    assert ctx.cloud is not None
    sampler = InFlightSampler(f"{ctx.cloud.http}/_localcloud/stats", CONSUMER)
    sampler.start()
    traces = await LoadGenerator(ctx.cloud.http, order_body, timeout_s, clients, ctx.cloud.api_key).run(offsets)
    await sampler.stop()
    return traces, sampler.samples, await asyncio.to_thread(ctx.cloud.stats)


def _finals(traces: list[OrderTrace]) -> dict:
    counts: dict[str, int] = {}
    for t in traces:
        counts[t.final_status or "unfinished"] = counts.get(t.final_status or "unfinished", 0) + 1
    return counts


# ------------------------------------------------------------------ seed
async def run_seed(ctx: Context) -> dict:
    count = 60 if ctx.quick else 300
    traces, samples, stats = await _drive(ctx, burst(count), timeout_s=600)
    start_ms = min(t.offered_ms for t in traces)
    confirmed_s = [(t.final_ms - start_ms) / 1000 for t in traces if t.final_status == "confirmed"]
    started_s = [(t.written("routing") - start_ms) / 1000 for t in traces if t.written("routing")]
    backlog_end = max(started_s) if started_s else 0.0  # the last order left the queue here
    first = min(confirmed_s) if confirmed_s else 0.0
    e2e = [t.submit_to_final_ms for t in traces if t.final_status == "confirmed"]
    charts.confirmed_over_time(ctx.chart("confirmed"), "seed: orders confirmed over time", confirmed_s, 100)
    charts.in_flight(ctx.chart("inflight"), "seed: consumer invocations in flight", samples, 10)
    charts.latency_cdfs(ctx.chart("latency"), "seed: submit -> confirmed", {"submit -> confirmed": e2e})
    return {
        "orders": count,
        "finals": _finals(traces),
        "confirmedMaxPerRolling60s": max_in_window(confirmed_s, 60),
        "confirmedMinPerFull60sWhileBacklogged": min_in_full_windows(confirmed_s, 60, first, backlog_end + 3),
        "startedMaxPerRolling60s": max_in_window(started_s, 60),
        "confirmedPerMinuteSustained": _round(rate_per_minute(confirmed_s)),
        "maxConsumerInFlight": stats["functions"][CONSUMER]["maxInFlight"],
        "submitToConfirmedMs": summary(e2e),
        "problems": _broken(traces),
        "samples": {"startedS": sorted(round(s, 3) for s in started_s), "confirmedS": sorted(round(s, 3) for s in confirmed_s)},
    }


# ------------------------------------------------------------------ steady
async def run_steady(ctx: Context) -> dict:
    offsets = poisson(90, 60 if ctx.quick else 180, seed=2026)
    traces, samples, stats = await _drive(ctx, offsets, timeout_s=120)
    done = [t for t in traces if t.final_status == "confirmed"]
    e2e = [t.submit_to_final_ms for t in done]
    waiting = [t.written("routing") - t.written("pending") for t in done if t.written("routing") and t.written("pending")]
    working = [t.written("confirmed") - t.written("routing") for t in done if t.written("routing")]
    ideal = _ideal_limiter(done, limit=100, window_s=60)
    ours_p99, ideal_p99 = percentile(e2e, 99), percentile(ideal, 99)
    charts.latency_cdfs(ctx.chart("latency"), "steady: 90/min Poisson", {"submit -> confirmed": e2e, "ideal limiter, same arrivals": ideal, "waiting (queued)": waiting, "working (routing -> confirmed)": working})
    return {
        "ordersOffered": len(offsets),
        "finals": _finals(traces),
        "submitToConfirmedMs": summary(e2e),
        "idealLimiterSubmitToConfirmedMs": summary(ideal),
        "p99OverIdealLimiter": round(ours_p99 / ideal_p99, 3) if ours_p99 and ideal_p99 else None,
        "waitingMs": summary(waiting),
        "workingMs": summary(working),
        "maxConsumerInFlight": stats["functions"][CONSUMER]["maxInFlight"],
        "problems": _broken(traces),
    }


def _ideal_limiter(done: list[OrderTrace], limit: int, window_s: float) -> list[float]:
    """Submit -> confirmed as the most permissive limiter that keeps the rule would give it, on
    the same arrivals: each order starts when a sliding log of starts lets it (never before it
    was accepted), then takes the time our engine took to work it (routing -> confirmed) and
    deliver it (confirmed written -> received). Only queueing for the rule is added."""
    accepted = [t for t in done if t.written("pending") and t.written("routing") and t.written("confirmed")]
    accepted.sort(key=lambda t: t.written("pending"))
    starts = sliding_log_starts([t.written("pending") for t in accepted], limit, window_s * 1000)
    out = []
    for t, start in zip(accepted, starts):
        work = t.written("confirmed") - t.written("routing")
        deliver = t.final_ms - t.written("confirmed")
        out.append((t.written("pending") - t.posted_ms) + (start - t.written("pending")) + work + deliver)
    return out


# ------------------------------------------------------------------ overhead
async def run_overhead(ctx: Context) -> dict:
    count = 100 if ctx.quick else 400
    session = ctx.cloud.process.pid
    before = cpu.snapshot(session)
    traces, samples, stats = await _drive(ctx, burst(count), timeout_s=300)
    used = cpu.per_kind(before, cpu.snapshot(session))
    done = [t for t in traces if t.final_status == "confirmed"]
    span_min = (max(t.final_ms for t in done) - min(t.offered_ms for t in traces)) / 60000 if done else 0
    live = [received - written for t in done for written, received, is_live in t.statuses.values() if is_live]
    post = [t.post_ms for t in traces if t.post_ms is not None]
    e2e = [t.submit_to_final_ms for t in done]
    charts.latency_cdfs(ctx.chart("latency"), "overhead: the engine's own cost", {"POST": post, "submit -> confirmed": e2e, "status written -> received": live})
    charts.in_flight(ctx.chart("inflight"), "overhead: consumer invocations in flight", samples, 10)
    return {
        "orders": count,
        "finals": _finals(traces),
        "ordersPerMinute": _round(len(done) / span_min if span_min else None),
        "postMs": summary(post),
        "submitToConfirmedMs": summary(e2e),
        "statusWrittenToReceivedMs": summary(live),
        "invocations": {k: v["invocations"] for k, v in stats["functions"].items()},
        "cpuMsPerOrder": {k: round(v / count * 1000, 1) for k, v in used.most_common()},
        "cpuMsPerOrderTotal": round(sum(used.values()) / count * 1000, 1),
        "problems": _broken(traces),
    }


# ------------------------------------------------------------------ latency
HOPS = ("pending", "routing", "building", "submitted", "confirmed")


async def run_latency(ctx: Context) -> dict:
    assert ctx.cloud is not None
    count = 15 if ctx.quick else 60
    traces = await LoadGenerator(ctx.cloud.http, order_body, 60, api_key=ctx.cloud.api_key).run_one_at_a_time(count + 1)
    traces = traces[1:]  # the first order meets cold function instances; the rest are warm
    done = [t for t in traces if t.final_status == "confirmed"]
    post = [t.post_ms for t in done]
    e2e = [t.submit_to_final_ms for t in done]
    queued = [t.written("routing") - t.written("pending") for t in done]
    working = [t.written("confirmed") - t.written("routing") for t in done]
    delivered = {s: [t.statuses[s][1] - t.statuses[s][0] for t in done if s in t.statuses and t.statuses[s][2]] for s in HOPS}
    charts.latency_cdfs(ctx.chart("latency"), "latency: one order at a time, zero delays", {"POST": post, "submit -> confirmed": e2e, "queued -> consumer started": queued})
    return {
        "orders": count,
        "finals": _finals(traces),
        "postMs": summary(post),
        "submitToFinalMs": summary(e2e),
        "wsOpenMs": summary([t.ws_open_ms for t in done if t.ws_open_ms is not None]),
        "queuedToConsumerStartMs": summary(queued),
        "routingToConfirmedWrittenMs": summary(working),
        "statusWrittenToReceivedMs": {s: summary(v) for s, v in delivered.items()},
        "problems": _broken(traces),
    }


# ------------------------------------------------------------------ load
async def run_load(ctx: Context) -> dict:
    count = 50 if ctx.quick else 150
    traces, _, stats = await _drive(ctx, burst(count), timeout_s=600, clients=20)
    start_ms = min(t.offered_ms for t in traces)
    confirmed = [t for t in traces if t.final_status == "confirmed"]
    post = [t.post_ms for t in traces if t.post_ms is not None]
    ws_open = [t.ws_open_ms for t in traces if t.ws_open_ms is not None]
    # Both run the consumer's code: an order's deliveries are theirs together.
    consumer = sum(stats["functions"].get(name, {}).get("invocations", 0) for name in (CONSUMER, SETTLER))
    charts.latency_cdfs(ctx.chart("latency"), "load: 150 orders from 20 clients, seed defaults", {"POST": post, "WebSocket open": ws_open})
    return {
        "orders": count,
        "clients": 20,
        "finals": _finals(traces),
        "postMs": summary(post),
        "wsOpenMs": summary(ws_open),
        "firstConfirmedAfterS": round((min(t.final_ms for t in confirmed) - start_ms) / 1000, 2) if confirmed else None,
        "firstConfirmedHopsS": _hops(min(confirmed, key=lambda t: t.final_ms), start_ms) if confirmed else None,
        "consumerInvocationsPerOrder": round(consumer / count, 2),
        "problems": _broken(traces),
    }


def _hops(trace: OrderTrace, start_ms: float) -> dict[str, float | None]:
    """Where one order's time went, each point in seconds from the start of the run."""
    points = {"posted": trace.posted_ms, "accepted": trace.accepted_ms, "wsOpened": trace.ws_opened_ms}
    points.update({f"{status}Written": written for status, (written, _, _) in trace.statuses.items()})
    points["finalReceived"] = trace.final_ms
    return {k: None if v is None else round((v - start_ms) / 1000, 3) for k, v in points.items()}


# ------------------------------------------------------------------ idle
async def run_idle(ctx: Context) -> dict:
    assert ctx.cloud is not None
    seconds = 20 if ctx.quick else 60
    session = ctx.cloud.process.pid
    await asyncio.sleep(5)  # let start-up settle (prewarmed instances, first polls)
    before = cpu.snapshot(session)
    await asyncio.sleep(seconds)
    used = cpu.per_kind(before, cpu.snapshot(session))
    return {
        "seconds": seconds,
        "coresUsed": round(sum(used.values()) / seconds, 4),
        "coresUsedByKind": {k: round(v / seconds, 4) for k, v in used.most_common()},
        "problems": [],
    }


# ------------------------------------------------------------------ coldstart
_IMPORT_PROBE = """
import importlib, os, sys, time
started = time.perf_counter()
code_dir, layers, handler = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path[:0] = [code_dir, *[p for p in layers.split(os.pathsep) if p]]
os.chdir(code_dir)
module, _, name = handler.rpartition('.')
getattr(importlib.import_module(module), name)
print((time.perf_counter() - started) * 1000)
"""
_BOTO3_PROBE = "import time; s = time.perf_counter(); import boto3; print((time.perf_counter() - s) * 1000)"


def _probe(args: list[str], env: dict) -> float:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=60, check=True)
    return float(done.stdout.strip().splitlines()[-1])


async def run_coldstart(ctx: Context) -> dict:
    from localcloud.resources import Deployed
    from localcloud.services.awslambda.runtime import LocalFunction

    rounds = 5 if ctx.quick else 15
    # --param applies here too: `--param SolanaRpcUrl=http://127.0.0.1:1` measures the RPC chain's init
    # (the functions build their chain adapter at init; no RPC call is made there).
    template = Template(ROOT / "template.yaml", dict(p.split("=", 1) for p in ctx.params))
    deployed = Deployed(prefix="bench", api_endpoints={"WebSocketApi": "ws://127.0.0.1:1"})
    functions = {}
    for logical_id, spec in template.functions().items():
        fn = LocalFunction(spec, deployed.environment(template, spec.environment), "http://127.0.0.1:1", logical_id, lambda *a: None)
        functions[logical_id] = (spec, fn.process_env())
    base_env = next(iter(functions.values()))[1]
    times: dict[str, list[float]] = {"import boto3": [], **{k: [] for k in functions}}
    for _ in range(rounds):  # interleaved, so machine noise hits every column alike
        times["import boto3"].append(await asyncio.to_thread(_probe, ["-c", _BOTO3_PROBE], base_env))
        for logical_id, (spec, env) in functions.items():
            layers = ":".join(str(d) for d in spec.layer_dirs)
            times[logical_id].append(await asyncio.to_thread(_probe, ["-c", _IMPORT_PROBE, str(spec.code_dir), layers, spec.handler], env))
    medians = {k: round(statistics.median(v), 1) for k, v in times.items()}
    boto3_ms = medians["import boto3"]
    charts.bars(ctx.chart("medians"), f"coldstart: median of {rounds} fresh interpreters", medians, "milliseconds", ("1.25 x import boto3", 1.25 * boto3_ms))
    return {
        "rounds": rounds,
        "medianMs": medians,
        "ratioToBoto3": {k: round(v / boto3_ms, 2) for k, v in medians.items() if k != "import boto3"},
        "problems": [],
    }


# ------------------------------------------------------------------ cost
def sqs_fed(functions: dict) -> tuple[str, ...]:
    """The functions an SQS queue invokes (the template's SQS events)."""
    return tuple(name for name, spec in functions.items() if any(e.type == "SQS" for e in spec.events))


async def run_cost(ctx: Context) -> dict:
    count = 40 if ctx.quick else 150
    traces, _, stats = await _drive(ctx, burst(count), timeout_s=300)
    finished = sum(1 for t in traces if t.final_status)
    functions = Template(ROOT / "template.yaml").functions()
    memory = {k: s.memory for k, s in functions.items()}
    # The raw counts beside the priced result: bench.history.priced() prices them again.
    (ctx.out_dir / "cost-stats.json").write_text(json.dumps({"stats": stats, "orders": finished, "memory": memory}))
    lines = cost.cost_lines(stats, finished, memory, sqs_fed=sqs_fed(functions))
    dollars = cost.total(lines)
    table = [
        {"item": line.item, "kind": "modelled" if line.modelled else "units", "perOrder": round(line.per_order, 6), "unit": line.unit,
         "unitPrice": line.unit_price, "dollarsPer1MOrders": round(line.dollars_per_million, 3),
         "share": round(line.dollars_per_million / dollars, 4) if dollars else 0.0, "note": line.note}
        for line in lines
    ]  # fmt: skip
    waiting = cost.simulated_waiting(stats, finished, memory)
    charts.bars(ctx.chart("items"), "cost: US$ per 1M orders (us-east-1 list prices)", {r["item"]: r["dollarsPer1MOrders"] for r in table}, "US$ per 1M orders", ("target $16 total", 16.0))
    calls: dict[str, float] = {}
    for f in stats["functions"].values():
        for key, n in f.get("usage", {}).get("calls", {}).items():
            calls[key] = calls.get(key, 0) + n
    for key, n in stats.get("eventSourceUsage", {}).items():
        calls[f"{key} (event source)"] = calls.get(f"{key} (event source)", 0) + n
    return {
        "orders": finished,
        "finals": _finals(traces),
        "lines": table,
        "totalDollarsPer1MOrders": round(dollars, 2),
        "unitsDollarsPer1MOrders": round(sum(line.dollars_per_million for line in lines if not line.modelled), 2),
        "modelledDurationDollarsPer1MOrders": round(sum(line.dollars_per_million for line in lines if line.modelled), 2),
        "simulatedWaitingDollarsPer1MOrders": round(waiting, 2),
        # Not in the total: the Lambda durations at this machine's wall time (its queueing for cores).
        "diagnosticWallTimeDurationDollarsPer1MOrders": round(cost.wall_time_diagnostic(stats, finished, memory), 2),
        "awsCallsPerOrder": {k: round(v / finished, 3) for k, v in sorted(calls.items())},
        "problems": _broken(traces),
    }


# ------------------------------------------------------------------ flood
async def _new_key(ctx: Context, name: str, rate: int) -> str:
    """A key issued as `solroute keys create` issues it, in the cloud's key table."""
    from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
    from solroute.logic.keys import KeyAdmin
    from solroute.ports import Clock

    from solroute_cli.keys import local_table

    assert ctx.cloud is not None
    keys = await local_table(ctx.cloud.http)
    key = await asyncio.to_thread(lambda: KeyAdmin(DynamoApiKeyStore(keys.table), Clock(), keys.default_rate).create(name, rate).api_key)
    await fund(ctx.cloud.http, key)
    return key


async def fund(api: str, key: str) -> None:
    """Fund the key's wallet on the RPC chain (the local faucet), as its owner would; the ledger
    chain has no wallets (404)."""
    import aiohttp

    async with aiohttp.ClientSession(headers={"x-api-key": key}) as session:
        for token, amount in (("SOL", "1000000"), ("USDC", "1000000")):
            async with session.post(f"{api}/api/wallet/fund", json={"token": token, "amount": amount}) as answer:
                if answer.status == 404:
                    return
                assert answer.status == 200, await answer.text()


def _queued_ms(traces: list[OrderTrace]) -> list[float]:
    """Accepted (pending written) -> a consumer started it (routing written)."""
    return [t.written("routing") - t.written("pending") for t in traces if t.written("routing") and t.written("pending")]


def _flooder(traces: list[OrderTrace]) -> dict:
    refused = [t for t in traces if t.http_status == 429]
    backlog = sum(1 for t in refused if "waiting ahead" in (t.refusal or ""))
    return {
        "offered": len(traces),
        "accepted": sum(1 for t in traces if t.http_status == 202),
        "refused429": len(refused),
        "refusedForRate": len(refused) - backlog,
        "refusedForBacklog": backlog,
        "finals": _finals([t for t in traces if t.http_status == 202]),
    }


async def run_flood(ctx: Context) -> dict:
    """B sends a steady stream alone (baseline), then again while A floods at ten times its own
    rate: once with A at 60 orders a minute, once at 1,000 (only the backlog bound holds it)."""
    assert ctx.cloud is not None
    seconds = 30 if ctx.quick else 90
    steady = poisson(20, seconds, seed=7)  # B: 20 orders a minute
    b_key = await _new_key(ctx, "bench-steady", 60)
    b = LoadGenerator(ctx.cloud.http, order_body, 300, 16, b_key)
    baseline = await b.run(steady)
    result: dict[str, Any] = {"seconds": seconds, "steadyPerMinute": 20, "baseline": {"steadyQueuedMs": summary(_queued_ms(baseline)), "steadyFinals": _finals(baseline)}}
    problems = _broken(baseline)
    lines = {"B alone": _queued_ms(baseline)}
    for rate in (60, 1000):
        a_key = await _new_key(ctx, f"bench-flood-{rate}", rate)
        offered = min(10 * rate, 1200)  # ten times its rate, at most 20 a second from this one client
        flood = [i * 60 / offered for i in range(int(offered * seconds / 60))]
        a = LoadGenerator(ctx.cloud.http, order_body, 600, 64, a_key)
        flooding, steady_traces = await asyncio.gather(a.run(flood), b.run(steady))
        queued = _queued_ms(steady_traces)
        lines[f"B while A floods (A's rate {rate}/min)"] = queued
        result[f"floodRate{rate}"] = {
            "flooderRatePerMinute": rate,
            "flooderOfferedPerMinute": offered,
            "flooder": _flooder(flooding),
            "flooderQueuedMs": summary(_queued_ms(flooding)),
            "steadyQueuedMs": summary(queued),
            "steadyRefused429": sum(1 for t in steady_traces if t.http_status == 429),
            "steadyFinals": _finals(steady_traces),
            "steadyQueuedMaxOverBaselineMs": _round(max(queued) - max(lines["B alone"])) if queued and lines["B alone"] else None,
        }
        problems += _broken(steady_traces) + [p for t in flooding if t.http_status == 202 for p in _broken([t])]
    charts.latency_cdfs(ctx.chart("queued"), "flood: B's orders, accepted -> started", lines)
    result["problems"] = problems
    return result


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("seed", "seed delays, 10 concurrent, 100/min, 300 orders offered at once", [], run_seed),
        Profile("steady", "seed delays, 90 orders/min Poisson for 3 minutes", [], run_steady),
        Profile("overhead", "no simulated delays or failures, rate limit off: the engine's own cost", [*ZERO_DELAYS, "RateLimitPerMinute=0"], run_overhead),
        Profile("latency", "no simulated delays or failures, rate limit off: one order at a time, each hop", [*ZERO_DELAYS, "RateLimitPerMinute=0"], run_latency),
        Profile("load", "seed delays and limits, 150 orders from 20 clients at once", [], run_load),
        Profile("idle", "the local cloud with no traffic: CPU it uses on its own", [], run_idle),
        Profile("coldstart", "fresh interpreter to handler ready, per function, vs import boto3", [], run_coldstart, needs_cloud=False),
        Profile("cost", "AWS calls, invocations and messages per order, priced", ["RateLimitPerMinute=0"], run_cost, ("--meter",)),
        Profile("flood", "seed delays and limits, per-key limits on (the template's): one key floods at 10x its rate while another sends 20/min", ["KeyBacklogSeconds=5", "KeyRatePerMinute=60"], run_flood),
        Profile("trigger", "seed delays and limits: limit orders whose price the seeded market reaches at known moments; time to queued and started",
                [f"SimulationSeed={lifecycle.TRIGGER_SEED}"], lifecycle.run_trigger),
        Profile("openday", "limit orders that stay open: what the trigger costs a day, fixed and per order (metered)", [], lifecycle.run_openday, ("--meter",)),
        Profile("opentick", "the trigger's tick with 1,000 and 10,000 limit orders open: time, CPU and read units (metered)", [], lifecycle.run_opentick, ("--meter",)),
        Profile("strategyday", "strategies: the trigger a day with a recurring order waiting and a sniper watching; AWS calls per TWAP child vs a market order (metered)",
                [*ZERO_DELAYS, "RateLimitPerMinute=0"], strategy_cost.run_strategyday, ("--meter",)),
    )
}


def headline(name: str, result: dict) -> list[tuple[str, Any]]:
    """The few numbers a profile prints."""
    pick = {
        "seed": ["finals", "confirmedMaxPerRolling60s", "confirmedMinPerFull60sWhileBacklogged", "confirmedPerMinuteSustained", "maxConsumerInFlight", "submitToConfirmedMs"],
        "steady": ["finals", "submitToConfirmedMs", "idealLimiterSubmitToConfirmedMs", "p99OverIdealLimiter", "waitingMs", "workingMs"],
        "latency": ["finals", "postMs", "submitToFinalMs", "wsOpenMs", "queuedToConsumerStartMs", "routingToConfirmedWrittenMs", "statusWrittenToReceivedMs"],
        "load": ["finals", "postMs", "wsOpenMs", "firstConfirmedAfterS", "firstConfirmedHopsS", "consumerInvocationsPerOrder"],
        "idle": ["coresUsed", "coresUsedByKind"],
        "overhead": ["finals", "ordersPerMinute", "postMs", "submitToConfirmedMs", "statusWrittenToReceivedMs", "cpuMsPerOrder", "cpuMsPerOrderTotal"],
        "coldstart": ["medianMs", "ratioToBoto3"],
        "cost": ["totalDollarsPer1MOrders", "unitsDollarsPer1MOrders", "modelledDurationDollarsPer1MOrders", "simulatedWaitingDollarsPer1MOrders", "diagnosticWallTimeDurationDollarsPer1MOrders"],
        "flood": ["baseline", "floodRate60", "floodRate1000"],
        "trigger": ["orders", "reachedToQueuedMs", "reachedToStartedMs", "heldTickToQueuedMs"],
        "openday": ["one", "many", "fixedDollarsPerDayWhileAnyOrderIsOpen", "marginalDollarsPerOpenOrderDay"],
        "opentick": ["1000", "10000", "judgeOnlyCpuMs"],
        "strategyday": ["nothingActive", "recurringWaiting", "sniperWatching", "restDollarsPerDay", "callsPerMarketOrder", "callsPerTwapChild", "callsPerTwapChildBesidesTicks"],
    }[name]
    return [(k, result.get(k)) for k in pick]
