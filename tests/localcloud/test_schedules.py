"""Scheduled events (SAM Schedule / ScheduleV2) run as EventBridge runs them, and Lambda's
asynchronous invocation behind them."""

import asyncio
import json
from datetime import datetime, timezone

import pytest

from localcloud.services.awslambda.async_invoke import AsyncInvoker
from localcloud.services.eventbridge.schedules import Schedule, ScheduleEventSource, UnsupportedSchedule, rate_seconds, schedule_of
from tests.support.local_function import function, run


@pytest.mark.parametrize(
    "expression, seconds",
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 hours)", 7200), ("rate(1 day)", 86400), ("rate( 3 days )", 259200)],
)
def test_rate_expressions(expression, seconds):
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize("expression", ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(10 seconds)", "rate(x minutes)", "every minute", ""])
def test_invalid_rate_expressions_are_refused_as_aws_refuses_them(expression):
    with pytest.raises(ValueError, match="not a valid"):
        rate_seconds(expression)


@pytest.mark.parametrize("expression", ["cron(0 3 * * ? *)", "at(2030-01-01T00:00:00)"])
def test_cron_and_at_are_not_run_locally(expression):
    with pytest.raises(UnsupportedSchedule, match="only rate"):
        rate_seconds(expression)


def test_sam_schedule_properties_become_a_schedule():
    rule = schedule_of("SweeperFunction", "Sweep", "Schedule", {"Schedule": "rate(1 minute)", "Enabled": True}, "solroute-dev")
    assert (rule.period_s, rule.enabled, rule.input) == (60, True, None)
    assert rule.arn == "arn:aws:events:us-east-1:123456789012:rule/solroute-dev-SweeperFunctionSweep"
    named = schedule_of("F", "E", "Schedule", {"Schedule": "rate(2 hours)", "Name": "nightly", "Input": '{"a": 1}'}, "p")
    assert named.arn.endswith(":rule/nightly") and named.period_s == 7200 and named.event() == {"a": 1}
    assert not schedule_of("F", "E", "Schedule", {"Schedule": "rate(5 minutes)", "Enabled": False}, "p").enabled
    assert not schedule_of("F", "E", "Schedule", {"Schedule": "rate(5 minutes)", "State": "DISABLED"}, "p").enabled
    v2 = schedule_of("F", "E", "ScheduleV2", {"ScheduleExpression": "rate(10 minutes)", "State": "ENABLED"}, "p")
    assert v2.period_s == 600 and v2.arn == "arn:aws:scheduler:us-east-1:123456789012:schedule/default/p-FE"
    assert not schedule_of("F", "E", "ScheduleV2", {"ScheduleExpression": "rate(10 minutes)", "State": "DISABLED"}, "p").enabled
    cron = schedule_of("F", "E", "Schedule", {"Schedule": "cron(0 3 * * ? *)"}, "p")
    assert cron.period_s is None and "only rate" in cron.unsupported
    with pytest.raises(ValueError, match=r"F\.E: 'rate\(1 minutes\)' is not a valid rate"):
        schedule_of("F", "E", "Schedule", {"Schedule": "rate(1 minutes)"}, "p")
    with pytest.raises(ValueError, match="Input must be valid JSON"):
        schedule_of("F", "E", "Schedule", {"Schedule": "rate(1 minute)", "Input": "{nope"}, "p")


def test_the_events_are_eventbridges_scheduled_events():
    now = datetime(2026, 11, 21, 13, 44, 8, tzinfo=timezone.utc)
    rule = Schedule("F", "Schedule", "rate(1 minute)", "arn:aws:events:us-east-1:123456789012:rule/r", True, None, 60)
    event = rule.event(now)
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert (event["version"], event["detail-type"], event["source"]) == ("0", "Scheduled Event", "aws.events")
    assert (event["account"], event["region"], event["time"]) == ("123456789012", "us-east-1", "2026-11-21T13:44:08Z")
    assert event["resources"] == [rule.arn] and event["detail"] == {}
    assert rule.event(now)["id"] != event["id"]
    scheduler = Schedule("F", "ScheduleV2", "rate(1 minute)", "arn:aws:scheduler:us-east-1:123456789012:schedule/default/s", True, None, 60)
    assert (scheduler.event(now)["source"], scheduler.event(now)["detail"]) == ("aws.scheduler", "{}")


async def _until(condition, timeout_s: float = 30) -> None:
    """Wait for a condition (polled), failing after a generous deadline."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


def _recorded(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_schedule_invokes_its_function_every_period_and_stop_drains(tmp_path):
    record = tmp_path / "events.jsonl"

    async def scenario():
        fn = function("app.record", env={"RECORD_TO": str(record)})
        invoker = AsyncInvoker(fn)
        schedule = Schedule("app_record", "Schedule", "rate(1 minute)", "arn:aws:events:us-east-1:123456789012:rule/r", True, None, period_s=0.3)
        source = ScheduleEventSource(schedule, invoker)
        try:
            await source.start()
            await _until(lambda: len(_recorded(record)) >= 2)
            await source.stop()
            await invoker.stop()
            return source.fired, _recorded(record)
        finally:
            await fn.stop()

    fired, recorded = run(scenario())
    assert len(recorded) == fired >= 2, "every fired event ran, and none after stop"
    events = [r["event"] for r in recorded]
    assert all(e["detail-type"] == "Scheduled Event" and e["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/r"] for e in events)
    assert len({e["id"] for e in events}) == len(events)


def test_a_disabled_schedule_never_fires():
    async def scenario():
        fn = function("app.count")
        source = ScheduleEventSource(Schedule("app_count", "Schedule", "rate(1 minute)", "arn:r", False, None, period_s=0.01), AsyncInvoker(fn))
        await source.start()
        await source.stop()
        await fn.stop()
        return source

    source = run(scenario())
    assert not source.runs and source.fired == 0 and "(disabled)" in source.describe()


def test_an_asynchronous_invocation_that_fails_is_retried_with_the_same_request_id():
    async def scenario():
        logs = []
        fn = function("app.boom", logs=logs)
        invoker = AsyncInvoker(fn, max_retries=2, retry_delays_s=(0.1, 0.2))
        try:
            request_id = invoker.submit({"why": "always"})
            await invoker.stop()  # drains: waits for the first attempt, drops the waiting retries
            dropped = fn.stats.invocations
            retried = AsyncInvoker(fn, max_retries=2, retry_delays_s=(0.1, 0.2))
            second = retried.submit({"why": "always"})
            await _until(lambda: fn.stats.invocations == dropped + 3)
            await retried.stop()
            return request_id, second, dropped, fn.stats.invocations, logs
        finally:
            await fn.stop()

    request_id, second, dropped, invocations, logs = run(scenario())
    assert dropped == 1, "stop does not wait for a retry"
    assert invocations == 4, "the second event: its first attempt and two retries, no more"
    assert any(rid == request_id and "dropped" in line for rid, line in logs)
    attempts = [rid for rid, line in logs if line.startswith("function error")]
    assert attempts.count(second) == 3 and any(rid == second and "after 3 attempt(s)" in line for rid, line in logs)
