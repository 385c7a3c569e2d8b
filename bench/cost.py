"""Turn what one run metered into US dollars per million orders, item by item."""

from __future__ import annotations

from dataclasses import dataclass

from bench.prices import PRICES

PER = 1_000_000


@dataclass(frozen=True)
class CostLine:
    item: str
    per_order: float  # quantity per order, in `unit`
    unit: str
    unit_price: float
    note: str = ""

    @property
    def dollars_per_million(self) -> float:
        return self.per_order * self.unit_price * PER


def lambda_gb_seconds(duration_ms: float, memory_mb: int) -> float:
    return duration_ms / 1000 * memory_mb / 1024


def cost_lines(stats: dict, orders: int, memory_mb: dict[str, int]) -> list[CostLine]:
    """``stats`` is /_localcloud/stats of a metered run that finished ``orders`` orders."""
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
        gbs = lambda_gb_seconds(f["durationMsTotal"], memory_mb[name]) / orders
        slept = lambda_gb_seconds(f.get("usage", {}).get("sleptMs", 0.0), memory_mb[name]) / orders
        note = f"{memory_mb[name]} MB, {f['durationMsTotal'] / orders:.0f} ms/order"
        if slept:
            note += f"; {slept / gbs:.0%} of it simulated venue waiting" if gbs else ""
        lines.append(CostLine(f"Lambda duration: {name}", gbs, "GB-s", PRICES["lambda_gb_second"], note))
    ws = stats.get("websocket", {})
    lines.append(CostLine("HTTP API requests", stats.get("httpRequests", 0) / orders, "requests", PRICES["http_api_request"]))
    messages = ws.get("messagesIn", 0) + ws.get("messagesOut", 0)
    lines.append(CostLine("WebSocket messages", messages / orders, "messages", PRICES["websocket_message"], "sent and received (up to 32 KB each)"))
    lines.append(CostLine("WebSocket connection minutes", ws.get("connectionMinutesBilled", 0) / orders, "minutes", PRICES["websocket_connection_minute"]))
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
    sqs_calls += sum(n for k, n in stats.get("eventSourceUsage", {}).items() if k.startswith("sqs."))
    lines.append(CostLine("SQS requests", sqs_calls / orders, "requests", PRICES["sqs_request"], "sends, visibility changes, and the event source's receives and deletes"))
    stream_reads = sum(n for k, n in stats.get("eventSourceUsage", {}).items() if k.startswith("dynamodb-streams."))
    lines.append(CostLine("DynamoDB Streams reads", stream_reads / orders, "GetRecords", PRICES["dynamodb_streams_lambda_read"], "free for Lambda triggers"))
    log_gb = sum(f.get("logBytes", 0) for f in functions.values()) / 1e9
    lines.append(CostLine("CloudWatch Logs ingestion", log_gb / orders, "GB", PRICES["cloudwatch_logs_gb"], "JSON logs and EMF metrics"))
    return lines


def _by_table(units: dict[str, float], orders: int) -> str:
    return ", ".join(f"{table.rsplit('-', 1)[-1]}: {n / orders:.2f}" for table, n in sorted(units.items()))


def total(lines: list[CostLine]) -> float:
    return sum(line.dollars_per_million for line in lines)


def simulated_waiting(stats: dict, orders: int, memory_mb: dict[str, int]) -> float:
    """Dollars per million orders spent in Lambda while the simulated venues make it wait."""
    gbs = sum(lambda_gb_seconds(f.get("usage", {}).get("sleptMs", 0.0), memory_mb[n]) for n, f in stats["functions"].items())
    return gbs / orders * PRICES["lambda_gb_second"] * PER
