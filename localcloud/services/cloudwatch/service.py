"""The local cloud's CloudWatch: the metrics store fed by every source (EMF lines, Lambda, SQS,
the HTTP API), the template's alarms evaluated each second, and their HTTP endpoints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from localcloud.services.cloudwatch.alarms import ALARM, INITIAL_REASON, INSUFFICIENT_DATA, AlarmSpec, judge, periods
from localcloud.services.cloudwatch.emf import EmfTee, LogSink
from localcloud.services.cloudwatch.store import MetricStore, check_statistic

EVALUATE_EVERY_S = 1.0  # CloudWatch evaluates each minute; here a fault shows within a second
RETENTION_MARGIN_S = 600.0
HTTP_API_STAGE = "$default"


class AlarmState:
    def __init__(self, spec: AlarmSpec, now: float) -> None:
        self.spec = spec
        self.state = INSUFFICIENT_DATA
        self.reason = spec.unsupported or INITIAL_REASON
        self.since = now
        self.value: float | None = None

    def as_json(self) -> dict:
        spec = self.spec
        return {"logicalId": spec.logical_id, "name": spec.name, "state": self.state, "reason": self.reason,
                "sinceMs": int(self.since * 1000), "description": spec.description, "runbook": spec.runbook,
                "threshold": spec.threshold, "value": self.value, "periodSeconds": spec.period}  # fmt: skip


class CloudWatch:
    def __init__(self, log: Callable[[str, str], None], clock: Callable[[], float] = time.time) -> None:
        self.log = log
        self.clock = clock
        self.store = MetricStore(clock=clock)
        self.started = clock()
        self.alarms: list[AlarmState] = []
        self.queues: Any = None  # the local SQS backend (sampled each second), when the cloud runs its own
        self._sent: dict[str, int] = {}
        self._received: dict[str, int] = {}
        self._task: asyncio.Task | None = None
        self.evaluated_at = self.started

    # ------------------------------------------------------------ sources
    def tee(self, sink: LogSink) -> EmfTee:
        """The functions' log sink, storing the metrics of their EMF lines on the way."""
        return EmfTee(sink, self.store)

    def lambda_sink(self, function_name: str) -> Callable[[str, float, str], None]:
        """Where one function's runtime reports its AWS/Lambda metrics."""
        dimensions = {"FunctionName": function_name}
        return lambda name, value, unit: self.store.put("AWS/Lambda", name, dimensions, value, unit)

    def http_request(self, api_id: str, status: int, latency_ms: float) -> None:
        """One request the HTTP API answered: AWS/ApiGateway Count, 4xx, 5xx and Latency."""
        dimensions = {"ApiId": api_id, "Stage": HTTP_API_STAGE}
        at = self.clock()
        for name, value, unit in (("Count", 1, "Count"), ("4xx", 400 <= status < 500, "Count"), ("5xx", status >= 500, "Count"), ("Latency", latency_ms, "Milliseconds")):
            self.store.put("AWS/ApiGateway", name, dimensions, float(value), unit, at)

    def sample_queues(self) -> None:
        """AWS/SQS per queue: the gauges as they are now, and what was sent and received since the last sample."""
        if self.queues is None:
            return
        at = self.clock()
        for name, queue in list(self.queues.queues.items()):
            dimensions = {"QueueName": name}
            visible = int(queue.counts()["ApproximateNumberOfMessages"])
            now = queue.clock.monotonic()
            # As SQS counts it: a message received three times or more and still there goes to
            # the back, and the age is the oldest of the others (a poison pill does not hold it up).
            age = max((now - m.enqueued_at for m in queue.messages.values() if m.receive_count < 3), default=0.0)
            sent, received = queue.sent_count - self._sent.get(name, 0), queue.received_count - self._received.get(name, 0)
            self._sent[name], self._received[name] = queue.sent_count, queue.received_count
            for metric, value, unit in (("ApproximateNumberOfMessagesVisible", visible, "Count"), ("ApproximateAgeOfOldestMessage", int(age), "Seconds"),
                                        ("NumberOfMessagesSent", sent, "Count"), ("NumberOfMessagesReceived", received, "Count")):  # fmt: skip
                self.store.put("AWS/SQS", metric, dimensions, float(value), unit, at)

    # ------------------------------------------------------------ alarms
    def watch(self, specs: list[AlarmSpec]) -> None:
        now = self.clock()
        self.alarms = [AlarmState(spec, now) for spec in specs]
        longest = max((s.period * s.evaluation_periods for s in specs), default=0)
        self.store.retention_s = longest + RETENTION_MARGIN_S
        for alarm in self.alarms:
            if alarm.spec.unsupported:
                self.log(f"alarm {alarm.spec.logical_id}: {alarm.spec.unsupported}", "WARNING")

    def evaluate(self) -> None:
        now = self.clock()
        self.evaluated_at = now
        for alarm in self.alarms:
            if alarm.spec.unsupported:
                continue
            window = periods(alarm.spec, self.store, now, self.started)
            alarm.value = window[0].value
            state, reason = judge(alarm.spec, window, alarm.state, alarm.reason)
            if state != alarm.state:
                self.log(f"alarm {alarm.spec.logical_id}: {alarm.state} -> {state}: {reason}", "WARNING" if state == ALARM else "INFO")
                for action in alarm.spec.actions.get(state, []):
                    self.log(f"alarm {alarm.spec.logical_id}: would notify {action} ({state}; the local cloud sends no notification)")
                alarm.since = now
            alarm.state, alarm.reason = state, reason

    def tick(self) -> None:
        self.sample_queues()
        self.evaluate()

    async def start(self) -> None:
        async def run() -> None:
            while True:
                try:
                    self.tick()
                except Exception as error:  # noqa: BLE001 - one bad evaluation must not end the loop
                    self.log(f"alarm evaluation failed: {type(error).__name__}: {error}", "ERROR")
                await asyncio.sleep(EVALUATE_EVERY_S)

        self._task = asyncio.create_task(run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    # ------------------------------------------------------------ endpoints
    def states(self) -> dict[str, str]:
        return {a.spec.logical_id: a.state for a in self.alarms}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/_localcloud/alarms", self._alarms)
        app.router.add_post("/_localcloud/metrics", self._metrics)

    async def _alarms(self, _: web.Request) -> web.Response:
        return web.json_response({"alarms": [a.as_json() for a in self.alarms], "evaluatedAtMs": int(self.evaluated_at * 1000)})

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            queries = (await request.json())["queries"]
            now, results = self.clock(), {}
            for q in queries:
                check_statistic(str(q["stat"]))
                period = float(q.get("periodSeconds", 60))
                if not 1 <= period <= self.store.retention_s:  # a window reads each second of it: bounded by what is kept
                    raise ValueError(f"periodSeconds must be between 1 and {self.store.retention_s:g} (what the local cloud keeps), not {period:g}")
                results[str(q["id"])] = self.store.statistic(q["namespace"], q["metricName"], q.get("dimensions") or {}, str(q["stat"]), now - period, now + 0.001)
        except (ValueError, KeyError, TypeError) as error:
            message = f"no {error.args[0]}" if isinstance(error, KeyError) else str(error)
            return web.json_response({"message": f"bad metrics query: {message}"}, status=400)
        return web.json_response({"results": results})
