"""The operations dashboard (template.yaml's OperationsDashboard) renders to a valid CloudWatch
dashboard body, and names only what exists: metrics the functions emit or AWS metrics of the
issue 26 contract (with their dimensions), every function and queue of the template, every alarm,
and a cost per order priced as bench/prices.py prices it (docs/dashboard.md)."""

from __future__ import annotations

import json
import re

import pytest

from bench.prices import PRICES
from localcloud.template import Template
from tests.support.telemetry import ROOT, emitted_metrics

TEMPLATE = Template(ROOT / "template.yaml")
FUNCTIONS = TEMPLATE.functions()
QUEUES = sorted(TEMPLATE.of_type("AWS::SQS::Queue"))
ALARMS = sorted(TEMPLATE.of_type("AWS::CloudWatch::Alarm"))

# The AWS metrics the contract (issue 26) allows, and the dimensions each namespace's carry.
AWS_METRICS = {
    "AWS/SQS": {"ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible", "NumberOfMessagesReceived", "NumberOfMessagesSent"},
    "AWS/Lambda": {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"},
    "AWS/ApiGateway": {"5xx", "4xx", "Count", "Latency"},
}
AWS_DIMENSIONS = {"AWS/SQS": {"QueueName"}, "AWS/Lambda": {"FunctionName"}, "AWS/ApiGateway": {"ApiId", "Stage"}}
NAMESPACE = "Solroute"  # Globals' POWERTOOLS_METRICS_NAMESPACE
SEARCH = re.compile(r"""SEARCH\('\{(?P<schema>[^}]*)\}\s+MetricName="(?P<name>[^"]+)"'""")


def _dummy(logical_id: str, attribute: str | None) -> str:
    """What CloudFormation would put in the body: a name each resource cannot share with another."""
    if logical_id not in TEMPLATE.resources:
        raise KeyError(f"the dashboard names {logical_id}, which the template does not declare")
    return {None: f"name-of-{logical_id}", "QueueName": f"queue-{logical_id}", "Arn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{logical_id}"}[attribute]


@pytest.fixture(scope="module")
def body() -> dict:
    dashboard = TEMPLATE.resources["OperationsDashboard"]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    return json.loads(TEMPLATE.resolve(dashboard["Properties"]["DashboardBody"], _dummy))


def metric_rows(body: dict) -> list[tuple[str, list, dict]]:
    """(widget title, row, options) of every metric row (not expressions) of every metric widget."""
    rows = []
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []) if widget["type"] == "metric" else []:
            options = row[-1] if isinstance(row[-1], dict) else {}
            if isinstance(row[0], str):
                rows.append((widget["properties"]["title"], row[: len(row) - bool(options)], options))
    return rows


PER_ORDER = " * IF(FILL(orders, 0) > 0, 1000000 / FILL(orders, 0), 0)"  # each cost item's tail: per 1M orders submitted


def expressions(body: dict) -> dict[str, str]:
    return {row[0]["id"]: row[0]["expression"] for w in body["widgets"] if w["type"] == "metric"
            for row in w["properties"]["metrics"] if isinstance(row[0], dict) and "expression" in row[0]}  # fmt: skip


def test_the_dashboard_is_named_after_its_stack_with_only_the_characters_a_dashboard_name_allows():
    name = TEMPLATE.resolve(TEMPLATE.resources["OperationsDashboard"]["Properties"]["DashboardName"], _dummy)
    # A dashboard name: letters, digits, - and _ only (1-255); a stack name is letters, digits and -.
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name) and name.endswith("-operations")


def test_every_widget_fits_the_grid_and_every_metric_widget_has_a_region_and_a_title(body):
    for widget in body["widgets"]:
        assert widget["type"] in ("metric", "text", "alarm")
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24, widget
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "us-east-1" and widget["properties"]["title"]
            assert len(widget["properties"]["metrics"]) <= 100  # CloudWatch's most metrics and expressions a graph


def test_every_metric_the_dashboard_names_is_emitted_by_a_function_or_is_an_aws_metric_of_the_contract(body):
    emitted = emitted_metrics()
    named = []
    for title, row, _ in metric_rows(body):
        namespace, name, dims = row[0], row[1], dict(zip(row[2::2], row[3::2]))
        named.append((namespace, name))
        if namespace == NAMESPACE:
            assert name in emitted, f"{title}: {name} is emitted by no function (functions/*, the engine layer)"
            assert set(dims) == emitted[name] and dims["service"] == "solroute", f"{title}: {name} {dims}"
        else:
            assert name in AWS_METRICS[namespace], f"{title}: {namespace} {name} is not in the contract"
            assert set(dims) == AWS_DIMENSIONS[namespace], f"{title}: {namespace} {name} {dims}"
            if namespace == "AWS/ApiGateway":
                assert dims == {"ApiId": "name-of-HttpApi", "Stage": "$default"}
    for expression in expressions(body).values():
        for search in SEARCH.finditer(expression):
            namespace, *dims = [part.strip() for part in search["schema"].split(",")]
            assert namespace == NAMESPACE and search["name"] in emitted, expression
            assert set(dims) == emitted[search["name"]], f"{expression}: a SEARCH schema names every dimension of the metric"
            named.append((namespace, search["name"]))
    # The widgets: the funnel, failures by reason, latency, WebSocket, webhooks, open limit orders.
    wanted = {"OrdersSubmitted", "OrdersRouted", "OrdersConfirmed", "OrdersFailed", "OrdersExpired", "OrdersFailedByReason",
              "ExecutionLatency", "ConnectionPosts", "ConnectionsGone", "WebhooksDelivered", "WebhooksGivenUp",
              "WebhookAttemptsFailed", "OpenLimitOrders", "StrategiesPlaced", "StrategySlotsStarted", "StrategySlotsSkipped", "StrategiesEnded"}  # fmt: skip
    assert wanted <= {name for namespace, name in named if namespace == NAMESPACE}


def test_latency_is_shown_at_p50_and_p99(body):
    stats = {options.get("stat") for _, row, options in metric_rows(body) if row[1] == "ExecutionLatency"}
    assert stats == {"p50", "p99"}


@pytest.mark.parametrize("metric", ["Invocations", "Errors", "Throttles", "Duration"])
def test_every_function_of_the_template_has_its_invocations_errors_throttles_and_duration(body, metric):
    shown = {row[3] for _, row, _ in metric_rows(body) if row[:2] == ["AWS/Lambda", metric]}
    assert shown >= {f"name-of-{f}" for f in FUNCTIONS}, f"{metric}: a function is missing"


@pytest.mark.parametrize("metric", ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"])
def test_every_queue_of_the_template_has_its_depth_and_age(body, metric):
    shown = {row[3] for _, row, _ in metric_rows(body) if row[:2] == ["AWS/SQS", metric]}
    assert shown == {f"queue-{q}" for q in QUEUES}


def test_the_alarm_widget_lists_every_alarm_of_the_template(body):
    assert ALARMS, "the template declares no alarm"
    (widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(widget["properties"]["alarms"]) == sorted(_dummy(a, "Arn") for a in ALARMS)


# ------------------------------------------------------------------ the estimated cost per order
COST = {"costLambdaRequests": "lambda_request", "costLambdaDuration": "lambda_gb_second", "costSqs": "sqs_request", "costHttpApi": "http_api_request"}
PER_MILLION = {"lambda_request", "sqs_request", "http_api_request"}  # stated per million requests, as AWS lists them


def _ids(body: dict) -> dict[str, list]:
    return {options["id"]: row for _, row, options in metric_rows(body) if "id" in options}


def test_the_cost_is_priced_at_bench_prices(body):
    found = expressions(body)
    for expression_id, price in COST.items():
        leading = float(found[expression_id].split("*", 1)[0])
        assert leading == pytest.approx(PRICES[price] * (1e6 if price in PER_MILLION else 1)), expression_id
    text = next(w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text" and "How the cost" in w["properties"]["markdown"])
    from bench.prices import PRICES_DATE, REGION

    assert PRICES_DATE in text and REGION in text
    for price in ("$0.20", "$0.0000166667", "$0.40", "$1.00"):
        assert price in text
    assert "costLambdaRequests + costLambdaDuration + costSqs + costHttpApi" in found["costTotal"]


def test_the_cost_counts_every_functions_requests_and_gb_seconds_at_its_memory_size(body):
    ids, found = _ids(body), {k: v.removesuffix(PER_ORDER) for k, v in expressions(body).items()}
    invoked = {ids[m][3] for m in re.findall(r"FILL\((\w+), 0\)", found["costLambdaRequests"])}
    assert invoked == {f"name-of-{f}" for f in FUNCTIONS}
    for memory, metric_id in re.findall(r"(\d+) \* FILL\((\w+), 0\)", found["costLambdaDuration"]):
        row = ids[metric_id]
        assert row[1] == "Duration" and int(memory) == FUNCTIONS[row[3].removeprefix("name-of-")].memory, metric_id
    assert len(re.findall(r"\* FILL\(", found["costLambdaDuration"])) == len(FUNCTIONS)
    assert "/ 1024000" in found["costLambdaDuration"]  # ms x MB -> GB-s


def test_the_cost_counts_every_queues_sends_receives_and_deletes_and_divides_by_orders_submitted(body):
    ids, found = _ids(body), {k: v.removesuffix(PER_ORDER) for k, v in expressions(body).items()}
    counted = {(ids[m][1], ids[m][3]) for m in re.findall(r"FILL\((\w+), 0\)", found["costSqs"])}
    assert counted == {(metric, f"queue-{q}") for q in QUEUES for metric in ("NumberOfMessagesSent", "NumberOfMessagesReceived")}
    assert ids["orders"][:2] == ["Solroute", "OrdersSubmitted"] and ids["httpRequests"][:2] == ["AWS/ApiGateway", "Count"]
    for expression_id in COST:
        assert expressions(body)[expression_id].endswith(PER_ORDER), expression_id
