"""The saved Logs Insights queries (template.yaml's AWS::Logs::QueryDefinition): named under the
stack, over every function's log group, written in Logs Insights QL as far as it can be checked
offline (commands, pipes, quotes, parentheses, parameters), and naming only fields the functions
really log (tests/support/telemetry.py) or Logs Insights' own (@timestamp, @message, @log...)."""

from __future__ import annotations

import re

import pytest

from localcloud.template import Template
from tests.support.telemetry import ROOT, logged_fields

TEMPLATE = Template(ROOT / "template.yaml")
QUERIES = TEMPLATE.of_type("AWS::Logs::QueryDefinition")
COMMANDS = {"fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup"}
KEYWORDS = {"and", "or", "not", "as", "by", "asc", "desc", "like", "in", "is"}
SYSTEM_FIELDS = {"@timestamp", "@message", "@log", "@logStream", "@requestId", "@ingestionTime", "@duration", "@billedDuration"}
PARAMETER = re.compile(r"\{\{(\w+)\}\}")
LITERAL = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|/(?:[^/\\]|\\.)+/""")  # strings and regular expressions


def _name(props: dict) -> str:
    return TEMPLATE.resolve(props["Name"], lambda *_: None)


def by_name(suffix: str) -> dict:
    return next(props for props in QUERIES.values() if _name(props).endswith("/" + suffix))


def commands(query: str) -> list[str]:
    """The query's commands, comments dropped, split on the pipes outside literals."""
    code = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    masked = LITERAL.sub(lambda m: "_" * len(m[0]), code)
    cuts = [i for i, c in enumerate(masked) if c == "|"]
    return [code[a + 1 : b].strip() for a, b in zip([-1, *cuts], [*cuts, len(code)])]


def referenced_fields(command: str) -> tuple[set[str], set[str]]:
    """(fields it reads, fields it defines: `as x`, a regex's named groups)."""
    defined = set(re.findall(r"\bas\s+(@?\w+)", command)) | set(re.findall(r"\(\?<(\w+)>", command))
    code = LITERAL.sub(" ", command)
    code = re.sub(r"\bas\s+@?\w+", " ", code)
    words = re.findall(r"(@?[A-Za-z_][\w.]*)\s*(\()?", code)
    read = {word for word, call in words if not call and word.lower() not in KEYWORDS | COMMANDS and not word.isdigit()}
    return read, defined


@pytest.mark.parametrize("suffix", ["order-timeline", "slowest-orders", "failures-by-reason"])
def test_each_query_is_saved_under_the_stack_over_every_functions_log_group(suffix):
    props = by_name(suffix)
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}/" + suffix}
    groups = [TEMPLATE.resolve(g, lambda logical_id, _: logical_id) for g in props["LogGroupNames"]]
    assert sorted(groups) == sorted(f"/aws/lambda/{f}" for f in TEMPLATE.functions())


@pytest.mark.parametrize("logical_id", sorted(QUERIES))
def test_each_query_is_logs_insights_ql_that_reads_only_fields_the_functions_log(logical_id):
    props = QUERIES[logical_id]
    query = props["QueryString"]
    assert props.get("QueryLanguage", "CWLI") == "CWLI" and len(query) <= 10_000
    assert query.lstrip().startswith("#"), "a comment says what the query answers and how to run it"
    known = logged_fields() | SYSTEM_FIELDS
    defined: set[str] = set()
    steps = commands(query)
    assert steps and all(steps), f"an empty command (a stray pipe): {steps}"
    for step in steps:
        command = step.split(None, 1)[0]
        assert command in COMMANDS, f"{command!r} is no Logs Insights command"
        masked = LITERAL.sub("_", step)
        assert masked.count("(") == masked.count(")"), step
        assert '"' not in masked and "'" not in masked, f"an unclosed quote: {step}"
        if command == "sort":
            assert re.fullmatch(r"sort @?[\w.]+ (asc|desc)", step), step
        if command == "limit":
            assert re.fullmatch(r"limit \d+", step) and int(step.split()[1]) <= 10_000, step
        if command == "stats":
            assert re.search(r"\b(count|sum|avg|min|max|pct|latest|earliest|count_distinct)\(", step), step
        if command == "parse":
            assert re.search(r"/.*\(\?<\w+>.*/", step) or " as " in step, f"parse names what it extracts: {step}"
        read, new = referenced_fields(step)
        unknown = {f for f in read if f.split(".")[0] not in known | defined}
        assert not unknown, f"{logical_id}: fields no function logs: {sorted(unknown)} (in {step!r})"
        defined |= new


def test_the_order_timeline_takes_the_order_id_as_a_parameter_and_sorts_oldest_first():
    props = by_name("order-timeline")
    query = props["QueryString"]
    declared = {p["Name"] for p in props.get("Parameters", [])}
    assert set(PARAMETER.findall(query)) == declared == {"orderId"}
    where = next(step for step in commands(query) if step.startswith("filter"))
    # Every line that carries the order: the correlation id (set by the functions that handle one
    # order), order_id (the engine's log lines), and any line that merely mentions it.
    for match in ('correlation_id = "{{orderId}}"', 'order_id = "{{orderId}}"', '@message like "{{orderId}}"'):
        assert match in where
    assert "sort @timestamp asc" in commands(query)


def test_the_slowest_orders_are_sorted_slowest_first_with_where_they_waited():
    steps = commands(by_name("slowest-orders")["QueryString"])
    assert any(s.startswith("stats") and s.endswith("by order_id") and "timeline" in s and "attempts" in s for s in steps)
    assert any(re.fullmatch(r"sort \w+ desc", s) for s in steps)


def test_failures_are_counted_by_reason_from_the_metric_the_functions_emit():
    steps = commands(by_name("failures-by-reason")["QueryString"])
    # A line's value is how many orders it failed (the sweeper fails several at once): summed, not counted.
    assert any(s.startswith("stats sum(failed)") and re.search(r"\bby reason\b", s) for s in steps)
    assert any(s.startswith("parse @message") and '"OrdersFailedByReason":' in s for s in steps)
    assert "OrdersFailedByReason" in steps[0] and "OrdersFailedByReason" in logged_fields()


def test_failures_by_reason_reads_the_count_from_a_real_emf_line(capsys):
    from aws_lambda_powertools import Metrics

    from solroute.observability import count_failure

    count_failure(Metrics(namespace="Solroute", service="solroute"), "routing", count=3)
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "OrdersFailedByReason" in line]
    steps = commands(by_name("failures-by-reason")["QueryString"])
    (parse,) = [s for s in steps if s.startswith("parse @message")]
    pattern = re.search(r"/(.*)/", parse)[1].replace("(?<", "(?P<")  # Logs Insights' named groups, in Python's spelling
    assert '"OrdersFailedByReason"' in line and '"reason":"routing"' in line.replace(" ", "")
    assert float(re.search(pattern, line)["failed"]) == 3
