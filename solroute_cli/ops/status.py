"""`solroute ops status`: the queues (depths and oldest ages, dead letters called out), the orders in
flight by status and the open limit orders, the rate limiter's use, and the alarms' states.

What it costs on AWS, per run: one ListStackResources page per 100 resources; one SQS
GetQueueAttributes per queue (7); one CloudWatch GetMetricData (every queue's age at once) and
one DescribeAlarms per 100 of the stack's alarms (by their names); DynamoDB reads: a Query of the sparse
`pendingByStartDeadline` index and a Scan of the sparse `openOrders` index, both Select=COUNT (each
billed by the size of the index items read, 0.5 read units per 4 KB: pending and open orders only),
and a Scan of the rate limit table (one small item per API key that submitted in the last minutes,
the start log and the trigger's lease). The orders table itself is Scanned only with --scan-orders
(billed per item of the whole table), which counts every status; on the local cloud it always is.
The read units actually consumed are printed.

Exit codes: 1 when an alarm is in ALARM; else 3 when the alarms could not be read (a local cloud
that does not evaluate them, or DescribeAlarms refused): "alarms unknown", never healthy; else 0."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from solroute_cli.errors import EXIT_FAILED, EXIT_OK
from solroute_cli.ops.target import ALARM, DEAD_LETTER_QUEUES, QUEUE, TABLE, Stack, queue_name

AGE_PERIOD_S = 60
EXIT_ALARMS_UNKNOWN = 3  # no alarm seen in ALARM, but the alarms could not be read: not a clean bill
DESCRIBE_ALARMS_MOST = 100  # AlarmNames per DescribeAlarms call (the API's limit)
TRIGGER_LEASE = "trigger#lease"  # the trigger's lease item (solroute.dal.dynamodb.lease)
IN_FLIGHT = ("pending", "routing", "building", "submitted")


@dataclass
class Status:
    queues: list[dict] = field(default_factory=list)
    orders: dict = field(default_factory=dict)
    rate_limiter: dict = field(default_factory=dict)
    alarms: list[dict] | None = None
    notes: list[str] = field(default_factory=list)
    read_units: float = 0.0

    def as_json(self) -> dict:
        return {"queues": self.queues, "orders": self.orders, "rateLimiter": self.rate_limiter, "alarms": self.alarms,
                "notes": self.notes, "readUnits": self.read_units}  # fmt: skip

    @property
    def alarming(self) -> list[dict]:
        return [a for a in self.alarms or [] if a["state"] == "ALARM"]

    @property
    def exit_code(self) -> int:
        if self.alarming:
            return EXIT_FAILED
        return EXIT_ALARMS_UNKNOWN if self.alarms is None else EXIT_OK


def gather(stack: Stack, scan_orders: bool = False) -> Status:
    status = Status()
    status.queues = _queues(stack, status)
    status.orders = _orders(stack, status, scan_orders or stack.local is not None)
    status.rate_limiter = _rate_limiter(stack, status)
    status.alarms = _alarms(stack, status)
    return status


# ------------------------------------------------------------------ queues
def _queues(stack: Stack, status: Status) -> list[dict]:
    sqs = stack.client("sqs")
    names = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
    queues = []
    for logical_id, url in sorted(stack.of_type(QUEUE).items()):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"]
        visible, in_flight, delayed = (int(attributes.get(n, 0)) for n in names)
        queues.append({"logicalId": logical_id, "name": queue_name(url), "visible": visible, "inFlight": in_flight, "delayed": delayed,
                       "deadLetter": logical_id in DEAD_LETTER_QUEUES, "oldestAgeSeconds": None})  # fmt: skip
    ages = _queue_ages(stack, [q["name"] for q in queues], status)
    for queue in queues:
        queue["oldestAgeSeconds"] = ages.get(queue["name"])
    return queues


def _queue_ages(stack: Stack, names: list[str], status: Status) -> dict[str, float | None]:
    """ApproximateAgeOfOldestMessage (Maximum) per queue: AWS/SQS publishes it each minute."""
    if stack.local is not None:
        queries = [{"id": f"q{i}", "namespace": "AWS/SQS", "metricName": "ApproximateAgeOfOldestMessage", "dimensions": {"QueueName": n},
                    "stat": "Maximum", "periodSeconds": AGE_PERIOD_S} for i, n in enumerate(names)]  # fmt: skip
        answer = stack.local_page("POST", "/_localcloud/metrics", {"queries": queries})
        if answer is None:
            status.notes.append("queue ages: not measured by this local cloud (no /_localcloud/metrics)")
            return {}
        return {n: answer["results"].get(f"q{i}") for i, n in enumerate(names)}
    end = time.time()
    queries = [{"Id": f"q{i}", "ReturnData": True, "MetricStat": {"Stat": "Maximum", "Period": AGE_PERIOD_S, "Metric": {
        "Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage", "Dimensions": [{"Name": "QueueName", "Value": n}]}}}
        for i, n in enumerate(names)]  # fmt: skip
    results = stack.client("cloudwatch").get_metric_data(MetricDataQueries=queries, StartTime=end - 600, EndTime=end + AGE_PERIOD_S, ScanBy="TimestampDescending")
    by_id = {r["Id"]: r.get("Values") or [] for r in results["MetricDataResults"]}
    return {n: (by_id.get(f"q{i}") or [None])[0] for i, n in enumerate(names)}


# ------------------------------------------------------------------ orders
def _orders(stack: Stack, status: Status, scan: bool) -> dict:
    table_name = stack.of_type(TABLE).get("OrdersTable")
    if table_name is None:
        return {}
    dynamodb = stack.client("dynamodb")
    if scan:
        counts: Counter[str] = Counter()
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table_name, ProjectionExpression="#s", ExpressionAttributeNames={"#s": "status"}, ReturnConsumedCapacity="TOTAL"
        ):
            status.read_units += (page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0)
            counts.update(item["status"]["S"] for item in page["Items"])
        in_flight = {s: counts.get(s, 0) for s in IN_FLIGHT}
        return {"inFlight": in_flight, "open": counts.get("open", 0), "byStatus": dict(counts), "counted": "a Scan of the orders table"}
    pending = _count(dynamodb, status, "query", TableName=table_name, IndexName="pendingByStartDeadline",
                     KeyConditionExpression="sweepKey = :p", ExpressionAttributeValues={":p": {"S": "pending"}})  # fmt: skip
    open_orders = _count(dynamodb, status, "scan", TableName=table_name, IndexName="openOrders")
    status.notes.append("orders: pending with a start deadline and open counted from the sparse indexes; "
                        "routing, building and submitted only with --scan-orders (a Scan of the orders table, billed per item)")  # fmt: skip
    return {"inFlight": {"pending": pending}, "open": open_orders, "counted": "the pendingByStartDeadline and openOrders indexes"}


def _count(dynamodb: Any, status: Status, operation: str, **request: Any) -> int:
    total = 0
    for page in dynamodb.get_paginator(operation).paginate(Select="COUNT", ReturnConsumedCapacity="TOTAL", **request):
        total += page["Count"]
        status.read_units += (page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0)
    return total


# ------------------------------------------------------------------ rate limiter
def _rate_limiter(stack: Stack, status: Status) -> dict:
    from boto3.dynamodb.types import TypeDeserializer
    from solroute.logic.rate_limit import START_LOG, LogState

    table_name = stack.of_type(TABLE).get("RateLimitTable")
    if table_name is None:
        return {}
    wire, now_ms = TypeDeserializer(), int(time.time() * 1000)
    used: dict[str, Any] = {"keys": [], "other": [], "trigger": _trigger({}, now_ms)}
    for page in stack.client("dynamodb").get_paginator("scan").paginate(TableName=table_name, ReturnConsumedCapacity="TOTAL"):
        status.read_units += (page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0)
        for raw in page["Items"]:
            item = {k: wire.deserialize(v) for k, v in raw.items()}
            bucket = str(item["bucket"])
            if bucket == START_LOG:
                log = LogState.unpack(bytes(getattr(item.get("state"), "value", item.get("state") or b"")))
                used["startsLastMinute"] = sum(1 for t in log.started if t > now_ms - 60_000)
                later = [t for t in log.reserved if t > now_ms]
                used["backlog"] = {"orders": len(later), "untilSeconds": round((max(later) - now_ms) / 1000, 1) if later else 0}
            elif bucket.startswith("key#"):
                minute = now_ms - now_ms % 60_000
                this_minute = int(item.get("count", 0)) if int(item.get("windowStartMs", 0)) == minute else 0
                reach = max(0, int(item.get("reachMs", 0)) - now_ms)
                used["keys"].append({"keyId": bucket[4:], "ordersThisMinute": this_minute, "queuedAheadSeconds": round(reach / 1000, 1)})
            elif bucket == TRIGGER_LEASE:
                used["trigger"] = _trigger(item, now_ms)
            else:
                used["other"].append(bucket)
    return used


def _trigger(lease: dict, now_ms: int) -> dict:
    """The trigger's lease item: when a run last began a pass that judged every open order
    (``passedAtMs``, kept across holders: TriggerBehindAlarm's TriggerLagSeconds), and who holds it."""
    passed, until = lease.get("passedAtMs"), int(lease.get("untilMs", 0))
    held = {"holder": lease.get("holder"), "untilMs": until, "heldForSeconds": round((until - now_ms) / 1000, 1)} if until > now_ms else None
    return {"passedAtMs": None if passed is None else int(passed), "passedAgoSeconds": None if passed is None else round((now_ms - int(passed)) / 1000, 1),
            "lease": held}  # fmt: skip


def _trigger_line(trigger: dict) -> str:
    lease = trigger["lease"]
    held = "lease free" if lease is None else (
        f"lease held by {lease['holder']} until {datetime.fromtimestamp(lease['untilMs'] / 1000, UTC):%H:%M:%S} UTC, {lease['heldForSeconds']:g} s more")  # fmt: skip
    if trigger["passedAgoSeconds"] is None:
        return f"trigger: has not judged every open order yet ({held})"
    return f"trigger: last judged every open order {trigger['passedAgoSeconds']:.0f} s ago ({held})"


# ------------------------------------------------------------------ alarms
def _alarms(stack: Stack, status: Status) -> list[dict] | None:
    if stack.local is not None:
        answer = stack.local_page("GET", "/_localcloud/alarms")
        if answer is None:
            status.notes.append("alarms: unknown: this local cloud does not evaluate them (no /_localcloud/alarms)")
            return None
        return [{"logicalId": a.get("logicalId"), "name": a.get("name"), "state": a.get("state"), "reason": a.get("reason"),
                 "runbook": a.get("runbook")} for a in answer.get("alarms", [])]  # fmt: skip
    from botocore.exceptions import ClientError

    # By the stack's own alarm names: a prefix (`prod-`) would match another stack's (`prod-eu-...`) too.
    logical = {physical: logical for logical, physical in stack.of_type(ALARM).items() if physical}
    names, alarms, cloudwatch = sorted(logical), [], stack.client("cloudwatch")
    try:
        for i in range(0, len(names), DESCRIBE_ALARMS_MOST):
            pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=names[i : i + DESCRIBE_ALARMS_MOST], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
            for page in pages:
                for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    description = alarm.get("AlarmDescription") or ""
                    runbook = description.rpartition("docs/operations.md#")[2].split()[0] if "docs/operations.md#" in description else None
                    alarms.append({"logicalId": logical.get(alarm["AlarmName"]), "name": alarm["AlarmName"], "state": alarm["StateValue"],
                                   "reason": alarm.get("StateReason"), "runbook": runbook})  # fmt: skip
    except ClientError as error:  # e.g. no cloudwatch:DescribeAlarms: say so, and exit 3 rather than look healthy
        status.notes.append(f"alarms: unknown: DescribeAlarms refused ({error.response['Error'].get('Code')}: {error.response['Error'].get('Message', '')})")
        return None
    return alarms


# ------------------------------------------------------------------ printing
def show(status: Status, where: str, as_json: bool) -> int:
    code = status.exit_code
    if as_json:
        print(json.dumps(status.as_json(), indent=2, default=str))
        return code
    print(f"{where}")
    print("\nqueues                       visible  in flight  delayed  oldest")
    for q in status.queues:
        age = "-" if q["oldestAgeSeconds"] is None else f"{q['oldestAgeSeconds']:.0f} s"
        flag = "  << dead letters" if q["deadLetter"] and (q["visible"] or q["inFlight"] or q["delayed"]) else ""
        print(f"  {q['logicalId']:<27}{q['visible']:>7}  {q['inFlight']:>9}  {q['delayed']:>7}  {age:>6}{flag}")
    orders = status.orders
    if orders:
        in_flight = ", ".join(f"{k} {v}" for k, v in orders["inFlight"].items())
        print(f"\norders in flight: {in_flight}; open limit orders: {orders['open']}  (from {orders['counted']})")
    limiter = status.rate_limiter
    if limiter:
        print("\nrate limiter")
        if "startsLastMinute" in limiter:
            backlog = limiter["backlog"]
            print(f"  starts in the last minute: {limiter['startsLastMinute']}; backlog: {backlog['orders']} orders over {backlog['untilSeconds']} s")
        for key in limiter["keys"]:
            print(f"  key {key['keyId']}: {key['ordersThisMinute']} orders this minute, queued {key['queuedAheadSeconds']} s ahead")
        print(f"  {_trigger_line(limiter['trigger'])}")
    if status.alarms is not None:
        print("\nalarms")
        for alarm in sorted(status.alarms, key=lambda a: (a["state"] != "ALARM", a["name"] or "")):
            runbook = f"  docs/operations.md#{alarm['runbook']}" if alarm["state"] == "ALARM" and alarm["runbook"] else ""
            print(f"  {alarm['state']:<17} {alarm['logicalId'] or alarm['name']}{runbook}")
            if alarm["state"] == "ALARM" and alarm["reason"]:
                print(f"  {'':<17} {alarm['reason']}")
        if not status.alarms:
            print("  none")
    for note in status.notes:
        print(f"\nnote: {note}")
    print(f"\nread units consumed: {status.read_units:g}")
    if status.alarming:
        print(f"{len(status.alarming)} alarm(s) in ALARM: exit 1")
    elif status.alarms is None:
        print(f"alarms unknown (not read): exit {EXIT_ALARMS_UNKNOWN}")
    return code
