"""Scheduled events as EventBridge delivers them: SAM `Schedule` (an EventBridge rule) and
`ScheduleV2` (EventBridge Scheduler) invoke their function asynchronously on a rate.

Only `rate(...)` runs locally; a `cron(...)` or `at(...)` schedule is listed as not run (its
function can still be invoked on demand through the Lambda API).
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html (rate rules)
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html (the event)"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from localcloud.services.awslambda.async_invoke import AsyncInvoker
from localcloud.services.awslambda.event_source_mappings.base import SourceStats
from localcloud.template import ACCOUNT_ID, REGION

_RATE = re.compile(r"^rate\(\s*(\d+)\s+([a-z]+)\s*\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


class UnsupportedSchedule(ValueError):
    """A valid expression the local cloud does not run (cron, at)."""


def rate_seconds(expression: str) -> float:
    """The period of `rate(N unit)`, with AWS's rules: a positive whole N, a unit in minutes,
    hours or days, singular for 1 and plural otherwise."""
    expression = expression.strip()
    if expression.startswith(("cron(", "at(")):
        raise UnsupportedSchedule(f"{expression}: only rate(...) schedules run in the local cloud")
    found = _RATE.match(expression)
    if not found:
        raise ValueError(f"{expression!r} is not a valid schedule expression (expected e.g. rate(5 minutes))")
    value, unit = int(found.group(1)), found.group(2)
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _UNIT_S or value < 1 or (unit == singular) != (value == 1):
        raise ValueError(f"{expression!r} is not a valid rate: use e.g. rate(1 minute), rate(5 minutes), rate(2 hours)")
    return float(value * _UNIT_S[singular])


@dataclass
class Schedule:
    """One scheduled event of a function, resolved from the template."""

    function: str  # logical id
    kind: str  # "Schedule" (EventBridge rule) or "ScheduleV2" (EventBridge Scheduler)
    expression: str
    arn: str  # the rule's or the schedule's: the event's `resources`
    enabled: bool
    input: str | None  # JSON text that replaces the event, as the target's Input does
    period_s: float | None = None  # None: not run locally (see `unsupported`)
    unsupported: str | None = None

    def event(self, now: datetime | None = None) -> Any:
        if self.input is not None:
            return json.loads(self.input)
        when = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events" if self.kind == "Schedule" else "aws.scheduler",
            "account": ACCOUNT_ID,
            "time": when,
            "region": REGION,
            "resources": [self.arn],
            # EventBridge Scheduler's default notification carries its detail as a JSON string.
            "detail": {} if self.kind == "Schedule" else "{}",
        }


def schedule_of(function: str, event_name: str, kind: str, properties: dict, prefix: str) -> Schedule:
    """A `Schedule` or `ScheduleV2` event's properties (intrinsics resolved) as a Schedule."""
    if kind == "Schedule":
        expression = str(properties.get("Schedule", ""))
        name = properties.get("Name") or f"{prefix}-{function}{event_name}"
        arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{name}"
        enabled = _enabled(properties)
    else:
        expression = str(properties.get("ScheduleExpression", ""))
        name = properties.get("Name") or f"{prefix}-{function}{event_name}"
        arn = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/{properties.get('GroupName') or 'default'}/{name}"
        enabled = str(properties.get("State", "ENABLED")).upper() != "DISABLED"
    source = properties.get("Input")
    if source is not None:
        try:
            json.loads(source)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{function}.{event_name}: Input must be valid JSON text: {error}") from error
    schedule = Schedule(function, kind, expression, arn, enabled, source)
    try:
        schedule.period_s = rate_seconds(expression)
    except UnsupportedSchedule as error:
        schedule.unsupported = str(error)
    except ValueError as error:
        raise ValueError(f"{function}.{event_name}: {error}") from error
    return schedule


def _enabled(properties: dict) -> bool:
    if "Enabled" in properties:
        return properties["Enabled"] not in (False, "false", "False")
    return str(properties.get("State", "ENABLED")).upper() != "DISABLED"


class ScheduleEventSource:
    """Fires one schedule every period (the first one period after start, as a new rule does)
    and hands the event to the function's asynchronous invocation."""

    def __init__(self, schedule: Schedule, invoker: AsyncInvoker) -> None:
        self.schedule = schedule
        self.invoker = invoker
        self.function = invoker.function
        self.fired = 0
        self._stats = SourceStats()  # scheduled events make no billed event-source calls
        self._task: asyncio.Task | None = None

    @property
    def runs(self) -> bool:
        return self.schedule.enabled and self.schedule.period_s is not None

    @property
    def unsupported(self) -> str | None:
        return self.schedule.unsupported

    def stats(self) -> SourceStats:
        return self._stats

    async def start(self) -> None:
        if self.runs:
            self._task = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        period = self.schedule.period_s
        due = loop.time() + period
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            self.fired += 1
            self.invoker.submit(self.schedule.event())
            due += period
            if due <= loop.time():  # far behind (a suspended machine): no burst of missed events
                due = loop.time() + period

    async def stop(self) -> None:
        """Stop firing; the invocations already fired are drained by the invoker."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def describe(self) -> str:
        schedule = self.schedule
        text = f"{schedule.kind} {schedule.expression} -> {schedule.function}"
        if schedule.unsupported:
            return f"{text} (NOT RUN: {schedule.unsupported}; invoke it through the Lambda API)"
        if not schedule.enabled:
            return f"{text} (disabled)"
        return f"{text} ({'its Input' if schedule.input is not None else 'Scheduled Event'} every {schedule.period_s:.0f} s)"
