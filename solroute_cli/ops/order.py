"""`solroute ops order ORDER_ID`: an order's history (its statuses, read from the orders table: no
API key needed) and the log lines of every function that touched it, in time order, one line each.

The functions log the order id on every line about an order (powertools' correlation_id, and
order_id where a line names one), so the lines are found by the id itself: on AWS with CloudWatch
Logs FilterLogEvents over each function's log group (`/aws/lambda/<name>`, the pattern the quoted
id; billed per GB scanned), on the local cloud at GET /_localcloud/logs?contains=ID."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import quote

from localcloud.logs import QUIET_KEYS
from solroute_cli.commands import duration_seconds
from solroute_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from solroute_cli.ops.target import FUNCTION, TABLE, Stack

MOST_EVENTS = 10_000
DEFAULT_SINCE_S = 86_400  # without --since and without the order: the last day
_NOISE = QUIET_KEYS | {"correlation_id", "order_id", "xray_trace_id"}


def since_ms(text: str | None, created_ms: int | None) -> int:
    if not text:
        return (created_ms - 60_000) if created_ms else int((time.time() - DEFAULT_SINCE_S) * 1000)
    seconds = duration_seconds(text)
    if seconds is not None:
        return int((time.time() - seconds) * 1000)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise CliError(f"--since {text!r}: a duration (90s, 10m, 2h, 1d) or an ISO time", EXIT_USAGE) from error
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() * 1000)


def history(stack: Stack, order_id: str) -> dict | None:
    from boto3.dynamodb.types import TypeDeserializer
    from solroute.dal.dynamodb.items import item_to_order

    table = stack.of_type(TABLE).get("OrdersTable")
    if table is None:
        return None
    raw = stack.client("dynamodb").get_item(TableName=table, Key={"orderId": {"S": order_id}}).get("Item")
    if not raw:
        return None
    wire = TypeDeserializer()
    return item_to_order({k: wire.deserialize(v) for k, v in raw.items()}).model_dump(mode="json")


def log_events(stack: Stack, order_id: str, start_ms: int) -> list[dict]:
    """Every line that names the order, from every function, oldest first."""
    if stack.local is not None:
        answer = stack.local_page("GET", f"/_localcloud/logs?contains={quote(order_id)}&limit={MOST_EVENTS}") or {"events": []}
        return [e for e in answer["events"] if e["timestampMs"] >= start_ms]
    from botocore.exceptions import ClientError

    logs, events = stack.client("logs"), []
    for logical_id, name in sorted(stack.of_type(FUNCTION).items()):
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}", filterPattern=f'"{order_id}"', startTime=start_ms)
        try:
            for page in pages:
                events += [{"timestampMs": e["timestamp"], "function": logical_id, "requestId": None, "message": e["message"]} for e in page["events"]]
                if len(events) >= MOST_EVENTS:
                    break
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":  # a function that never ran has no log group
                raise
    return sorted(events, key=lambda e: e["timestampMs"])


def line_of(event: dict) -> dict:
    """One readable line: time, function, level, message and the key fields of a JSON log line."""
    level, text, fields = "INFO", event["message"].rstrip("\n"), {}
    try:
        record = json.loads(text) if text.startswith("{") else None
    except ValueError:
        record = None
    if isinstance(record, dict):
        level = str(record.get("level", "INFO"))
        text = str(record.get("message", ""))
        fields = {k: v for k, v in record.items() if k not in _NOISE and k not in ("exception", "stack_trace")}
        if record.get("exception"):
            text += "  " + str(record["exception"]).strip().splitlines()[-1]
    when = datetime.fromtimestamp(event["timestampMs"] / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
    return {"time": when, "timestampMs": event["timestampMs"], "function": event["function"], "level": level, "message": text, "fields": fields}


def follow(stack: Stack, order_id: str, since: str | None, as_json: bool) -> int:
    order = history(stack, order_id)
    created_ms = order["history"][0]["timestampMs"] if order and order.get("history") else None
    lines = [line_of(e) for e in log_events(stack, order_id, since_ms(since, created_ms))]
    if as_json:
        print(json.dumps({"order": order, "logs": lines}, indent=2, default=str))
        return EXIT_OK if order or lines else EXIT_FAILED
    if order is None and not lines:
        raise CliError(f"no order {order_id} in {stack.where}, and no log line names it", EXIT_FAILED)
    if order is None:
        print(f"order {order_id}: not in the orders table of {stack.where}")
    else:
        print(f"order {order_id}: {order['status']}")
        for entry in order.get("history", []):
            print(f"  {entry['timestamp']}  {entry['status']:<10} {entry['message']}")
    print(f"\nlog lines ({len(lines)}, every function, in time order; times UTC)")
    for line in lines:
        extras = " ".join(f"{k}={v}" for k, v in line["fields"].items())
        print(f"  {line['time']} {line['function']:<22} {line['level']:<7} {line['message']}  {extras}".rstrip())
    return EXIT_OK

