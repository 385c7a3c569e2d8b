"""Turn what one run metered into US dollars per million orders, item by item.

Two kinds of line. Units (requests, read and write units, messages, invocations, log bytes) are
counted, and the same on any machine. Lambda durations are modelled, as AWS would bill them:
each invocation's own CPU time (measured in its process, whatever this machine's queueing for
cores) plus its real waits (the time.sleep of simulated venues and of the engine waiting for
the chain, and every AWS or Solana RPC call at its stated latency, bench/latencies.py), rounded
up to the millisecond per invocation. The wall time of an invocation here is a diagnostic only.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.latencies import call_ms
from bench.prices import PRICES

PER = 1_000_000


@dataclass(frozen=True)
class CostLine:
    item: str
    per_order: float  # quantity per order, in `unit`
    unit: str
    unit_price: float
    note: str = ""
    modelled: bool = False  # a Lambda duration (CPU + waits), not a counted unit

    @property
    def dollars_per_million(self) -> float:
        return self.per_order * self.unit_price * PER


def lambda_gb_seconds(duration_ms: float, memory_mb: int) -> float:
    return duration_ms / 1000 * memory_mb / 1024


@dataclass(frozen=True)
class Billed:
    """One function's modelled billed duration over a run, in ms, by where it went."""

    cpu: float
    slept: float
    calls: float  # the calls' stated waits
    rounding: float  # up to the next ms, per invocation

    @property
    def total(self) -> float:
        return self.cpu + self.slept + self.calls + self.rounding


# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). A function with less
# runs its CPU work that much slower than on a core of its own, as this machine's processes do.
ONE_VCPU_MB = 1769


def cpu_slowdown(memory_mb: int) -> float:
    """How much longer CPU work takes at ``memory_mb`` than on a whole core (a core here taken as a vCPU)."""
    return max(1.0, ONE_VCPU_MB / memory_mb)


def billed_ms(function: dict, cpu_ms: float | None = None, memory_mb: int = ONE_VCPU_MB) -> Billed:
    """``function`` is one entry of the stats' functions. ``cpu_ms`` replaces its measured CPU
    (an older local cloud that does not report it: CPU read from /proc instead). The CPU is
    billed as it runs at ``memory_mb``'s share of a vCPU; the per-invocation rounding is the
    function process's, of its CPU on a whole core (at most 1 ms an invocation either way)."""
    usage = function.get("usage", {})
    slept = usage.get("sleptMs", 0.0)
    calls = float(sum(n * call_ms(call) for call, n in usage.get("calls", {}).items()))
    slowdown = cpu_slowdown(memory_mb)
    if cpu_ms is None and "cpuSleptCeilMs" in usage:  # rounded per invocation, in the function's process
        cpu = usage.get("cpuMs", function.get("cpuMsTotal", 0.0))
        return Billed(cpu * slowdown, slept, calls, usage["cpuSleptCeilMs"] - cpu - slept)
    cpu = function.get("cpuMsTotal", 0.0) if cpu_ms is None else cpu_ms
    return Billed(cpu * slowdown, slept, calls, 0.5 * function["invocations"])  # no per-invocation record: half a ms on average


def cost_lines(
    stats: dict, orders: int, memory_mb: dict[str, int], cpu_ms: dict[str, float] | None = None, sqs_fed: tuple[str, ...] = ()
) -> list[CostLine]:
    """``stats`` is /_localcloud/stats of a metered run that finished ``orders`` orders;
    ``sqs_fed`` names the functions an SQS queue invokes (their event source's receives are
    modelled, one a batch delivered: see sqs_receives)."""
    if orders <= 0:
        raise ValueError("a cost needs at least one finished order")
    functions = stats["functions"]
    lines: list[CostLine] = []
    invocations = sum(f["invocations"] for f in functions.values())
    lines.append(CostLine("Lambda requests", invocations / orders, "invocations", PRICES["lambda_request"],
                          ", ".join(f"{k}: {v['invocations'] / orders:.2f}" for k, v in functions.items() if v["invocations"])))  # fmt: skip
    for name, f in functions.items():
        if not f["invocations"]:
            continue
        billed = billed_ms(f, None if cpu_ms is None else cpu_ms.get(name, 0.0), memory_mb[name])
        gbs = lambda_gb_seconds(billed.total, memory_mb[name]) / orders
        note = (f"{memory_mb[name]} MB, {billed.total / orders:.1f} ms/order billed: CPU {billed.cpu / orders:.1f}"
                f" + sleep {billed.slept / orders:.1f} + calls {billed.calls / orders:.1f} + rounding {billed.rounding / orders:.1f}")  # fmt: skip
        lines.append(CostLine(f"Lambda duration: {name}", gbs, "GB-s", PRICES["lambda_gb_second"], note, modelled=True))
    ws = stats.get("websocket", {})
    lines.append(CostLine("HTTP API requests", stats.get("httpRequests", 0) / orders, "requests", PRICES["http_api_request"]))
    messages = ws.get("messagesIn", 0) + ws.get("messagesOut", 0)
    lines.append(CostLine("WebSocket messages", messages / orders, "messages", PRICES["websocket_message"], "sent and received (up to 32 KB each)"))
    # One billed minute a connection: a client here follows one order to its final status, under
    # a minute on AWS; how long it stayed open here is this machine's speed (a diagnostic).
    minutes = ws.get("connected", ws.get("connectionMinutesBilled", 0))
    lines.append(CostLine("WebSocket connection minutes", minutes / orders, "minutes", PRICES["websocket_connection_minute"],
                          f"one a connection; {ws.get('connectionMinutesBilled', 0) / orders:.2f} an order at this machine's speed"))  # fmt: skip
    usage = [f.get("usage", {}) for f in functions.values()]
    billed = stats.get("dynamodbUsage") or {}
    if billed:  # measured at the endpoint, with the items before and after each write
        wru, rru = sum(billed.get("wru", {}).values()), sum(billed.get("rru", {}).values())
        wru_note = "per started KB of the larger of the item before and after, index writes included; " + _by_table(billed.get("wru", {}), orders)
        rru_note = _by_table(billed.get("rru", {}), orders)
    else:  # estimated in the functions from what they sent and got back
        wru, rru = sum(u.get("wru", 0) for u in usage), sum(u.get("rru", 0) for u in usage)
        wru_note, rru_note = "1 per started KB of item (estimated by the caller)", ""
    lines.append(CostLine("DynamoDB writes", wru / orders, "WRU", PRICES["dynamodb_wru"], wru_note))
    lines.append(CostLine("DynamoDB reads", rru / orders, "RRU", PRICES["dynamodb_rru"], rru_note))
    sqs_calls = sum(n for u in usage for k, n in u.get("calls", {}).items() if k.startswith("sqs."))
    source = stats.get("eventSourceUsage", {})
    sqs_calls += sum(n for k, n in source.items() if k.startswith("sqs.") and k != "sqs.ReceiveMessage")
    receives = sqs_receives(stats, sqs_fed)
    lines.append(CostLine("SQS requests", (sqs_calls + receives) / orders, "requests", PRICES["sqs_request"],
                          f"sends, visibility changes, deletes, and {receives / orders:.2f} receives an order (one a batch delivered;"
                          f" {source.get('sqs.ReceiveMessage', 0) / orders:.2f} polls an order here, empty ones included)"))  # fmt: skip
    stream_reads = sum(n for k, n in stats.get("eventSourceUsage", {}).items() if k.startswith("dynamodb-streams."))
    lines.append(CostLine("DynamoDB Streams reads", stream_reads / orders, "GetRecords", PRICES["dynamodb_streams_lambda_read"], "free for Lambda triggers"))
    log_gb = sum(f.get("logBytes", 0) for f in functions.values()) / 1e9
    lines.append(CostLine("CloudWatch Logs ingestion", log_gb / orders, "GB", PRICES["cloudwatch_logs_gb"], "JSON logs and EMF metrics"))
    return lines


def sqs_receives(stats: dict, sqs_fed: tuple[str, ...]) -> float:
    """The event source's receives an order brings: one a batch delivered (a function an SQS
    queue feeds runs once a non-empty receive). Its empty long polls are a cost per queue and
    hour, whatever the orders (Lambda's pollers wait 20 s each), and how many are made here
    depends on how long this machine takes: they are left out. Without ``sqs_fed``, every
    receive made here counts."""
    if not sqs_fed:
        return float(stats.get("eventSourceUsage", {}).get("sqs.ReceiveMessage", 0))
    return float(sum(stats["functions"].get(name, {}).get("invocations", 0) for name in sqs_fed))


def _by_table(units: dict[str, float], orders: int) -> str:
    return ", ".join(f"{table.rsplit('-', 1)[-1]}: {n / orders:.2f}" for table, n in sorted(units.items()))


def total(lines: list[CostLine]) -> float:
    return sum(line.dollars_per_million for line in lines)


def wall_time_diagnostic(stats: dict, orders: int, memory_mb: dict[str, int]) -> float:
    """Dollars per million orders the Lambda durations would cost at this machine's wall time
    (the old figure: it measures this machine's queueing for cores, not AWS). A diagnostic."""
    gbs = sum(lambda_gb_seconds(f["durationMsTotal"], memory_mb[n]) for n, f in stats["functions"].items() if f["invocations"])
    return gbs / orders * PRICES["lambda_gb_second"] * PER


def simulated_waiting(stats: dict, orders: int, memory_mb: dict[str, int]) -> float:
    """Dollars per million orders spent in Lambda while the simulated venues (and the engine's
    waits for the chain) make it sleep: part of the modelled durations."""
    gbs = sum(lambda_gb_seconds(f.get("usage", {}).get("sleptMs", 0.0), memory_mb[n]) for n, f in stats["functions"].items())
    return gbs / orders * PRICES["lambda_gb_second"] * PER
