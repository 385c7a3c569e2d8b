"""Run template functions as Lambda does: warm instances reused, each in its own process
with its own environment, concurrency capped, Timeout enforced, errors reported."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from localcloud.meter import merge
from localcloud.services.awslambda import fork_server
from localcloud.services.awslambda.constants import INIT_TIMEOUT_S
from localcloud.services.awslambda.instance import INIT_TIMED_OUT, Worker
from localcloud.template import REGION, FunctionSpec

# Instances initialising at once, per function. Lambda gives each new instance its own CPU;
# here they share this machine's cores, so a burst waits for the first free instance (warm
# or newly started) instead of starting dozens of interpreters that starve each other.
PARALLEL_INITS = max(2, os.cpu_count() or 2)
# Warm instances per function. Lambda would scale out further, but every instance here is a
# process on this machine's cores: beyond a few, more instances only add cold starts and
# contention. Invocations beyond it wait for a free instance (reserved concurrency, when
# larger, still decides how many may be in flight).
DEFAULT_MAX_INSTANCES = 8
# LOCALCLOUD_FORK=0 starts every instance as a new process, as before the fork server.
FORK_ENV = "LOCALCLOUD_FORK"
# Inherited from the parent environment; everything else a function sees comes from the template.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONHASHSEED", "VIRTUAL_ENV", "SSL_CERT_FILE")


def fork_by_default() -> bool:
    """Fork new instances from a template process (the default: a cold start costs a fork and the
    restore hooks, not an interpreter and the imports), unless LOCALCLOUD_FORK=0 or the platform
    cannot watch a process that is not its child (no pidfds: not Linux)."""
    return fork_server.SUPPORTED and os.environ.get(FORK_ENV, "1") != "0"


@dataclass
class Invocation:
    request_id: str
    ok: bool
    result: Any = None
    error: dict | None = None
    duration_ms: float = 0.0
    cpu_ms: float = 0.0  # the handler's own CPU time, measured inside its process
    cold_start: bool = False
    init_ms: float = 0.0


@dataclass
class FunctionStats:
    invocations: int = 0
    errors: int = 0
    timeouts: int = 0
    throttles: int = 0  # invocations that found every reserved slot taken
    cold_starts: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    duration_ms_total: float = 0.0
    cpu_ms_total: float = 0.0
    init_ms_total: float = 0.0
    log_bytes: int = 0
    usage: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "invocations": self.invocations,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "throttles": self.throttles,
            "coldStarts": self.cold_starts,
            "inFlight": self.in_flight,
            "maxInFlight": self.max_in_flight,
            "durationMsTotal": round(self.duration_ms_total, 1),
            "cpuMsTotal": round(self.cpu_ms_total, 1),
            "initMsTotal": round(self.init_ms_total, 1),
            "logBytes": self.log_bytes,
            "usage": self.usage,
        }


LogSink = Callable[[str, str | None, str], None]
MetricSink = Callable[[str, float, str], None]  # (AWS/Lambda metric name, value, unit)


@dataclass
class LocalFunction:
    spec: FunctionSpec
    environment: dict[str, str]
    aws_endpoint: str
    function_name: str
    log_sink: LogSink
    meter: bool = False
    max_instances: int = DEFAULT_MAX_INSTANCES
    init_timeout_s: float = INIT_TIMEOUT_S  # Lambda's init phase limit (tests shorten it)
    # Fork each new instance from a template process that imported the handler once (SnapStart's
    # snapshot and restore, done with fork): the default where the platform allows it.
    fork: bool = field(default_factory=fork_by_default)
    stats: FunctionStats = field(default_factory=FunctionStats)
    metrics: MetricSink | None = None  # the local CloudWatch's AWS/Lambda metrics of this function

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.spec.reserved_concurrency or 1000)
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._instances = asyncio.Condition()
        self._starting = 0
        self._reaping: set[asyncio.Task] = set()
        # A function that must run N at once (reserved concurrency) gets N instances.
        self._instance_cap = max(self.max_instances, self.spec.reserved_concurrency or 0)
        self._fork_server = fork_server.ForkServer(self) if self.fork else None

    @property
    def logical_id(self) -> str:
        return self.spec.logical_id

    def process_env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
        env.update(
            {
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL": self.aws_endpoint,
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:0",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.spec.runtime}",  # the template's Runtime, as Lambda sets it
                "LAMBDA_TASK_ROOT": str(self.spec.code_dir),
                "LOCALCLOUD_LAYERS": os.pathsep.join(str(d) for d in self.spec.layer_dirs),
                "_HANDLER": self.spec.handler,
                "PYTHONUNBUFFERED": "1",
                # No X-Ray daemon runs locally; traces would only produce errors.
                "POWERTOOLS_TRACE_DISABLED": "true",
                "LOCALCLOUD_METER": "1" if self.meter else "0",
            }
        )
        env.update(self.environment)
        return env

    def fork_server(self) -> fork_server.ForkServer | None:
        """Where new instances come from: the template process, unless instances start the plain
        way (LOCALCLOUD_FORK=0, or a template whose init left threads or sockets open)."""
        server = self._fork_server
        return server if server is not None and server.unsafe is None else None

    def log(self, request_id: str | None, line: str) -> None:
        self.log_sink(self.logical_id, request_id, line)

    async def prewarm(self) -> None:
        """Start an instance before any invocation. Its init has the init phase's limit only: one
        that times out is dropped, and the first invocation starts its own."""
        async with self._instances:
            self._starting += 1
        worker, ready = await self._start_worker(for_invocation=False)
        if ready.get("ready"):
            await self._release(worker)

    async def _init(self, for_invocation: bool) -> tuple[Worker, dict]:
        """The init phase, limited to ``init_timeout_s``. One that times out is, for an invocation,
        retried from the start within that invocation's Timeout, as Lambda does (a "suppressed
        init"): a slow init on a loaded machine is not a failed invocation, but the retried init and
        the handler must then fit in Timeout together."""
        worker = Worker(self)
        ready = await worker.start(self.init_timeout_s)
        if ready.get("errorType") != INIT_TIMED_OUT:
            return worker, ready
        self.log(None, f"INIT_REPORT Init Duration: {self.init_timeout_s * 1000:.2f} ms Phase: init Status: timeout")
        await worker.stop()
        if not for_invocation:
            return worker, ready
        self.stats.cold_starts += 1  # the init that timed out; the retried one is counted by the caller
        worker = Worker(self, suppressed_init=True)
        ready = await worker.start(self.spec.timeout)
        if ready.get("errorType") == INIT_TIMED_OUT:
            self.log(None, f"INIT_REPORT Init Duration: {worker.init_s * 1000:.2f} ms Phase: invoke Status: timeout")
        return worker, ready

    async def _start_worker(self, for_invocation: bool = True) -> tuple[Worker, dict]:
        ready: dict = {}
        try:
            worker, ready = await self._init(for_invocation)
        finally:
            async with self._instances:
                self._starting -= 1
                if ready.get("ready"):
                    self._busy.add(worker)  # counted as an instance from here on, until released
                self._instances.notify_all()
        self.stats.cold_starts += 1
        self.stats.init_ms_total += worker.init_ms
        if not ready.get("ready"):
            self.log(None, f"init failed: {ready.get('errorType')}: {ready.get('errorMessage')}")
            for frame in (ready.get("stackTrace") or [])[-6:]:
                self.log(None, frame.rstrip())
            await worker.stop()
        return worker, ready

    async def _acquire(self) -> tuple[Worker | None, dict | None]:
        """A warm instance if one is idle, else a new one (or the first that frees up)."""
        async with self._instances:
            self._drop_dead_idle()
            while not self._idle and (self._starting >= PARALLEL_INITS or self._count() >= self._instance_cap):
                await self._instances.wait()
                self._drop_dead_idle()
            if self._idle:
                worker = self._idle.pop()
                self._busy.add(worker)
                return worker, None
            self._starting += 1
        return await self._start_worker()

    def _drop_dead_idle(self) -> None:
        """Forget idle instances that died (a forked one dies with its template): reap them."""
        for worker in [w for w in self._idle if not w.alive]:
            self._idle.remove(worker)
            self._reap(worker)

    def _reap(self, worker: Worker) -> None:
        reaping = asyncio.create_task(worker.stop())
        self._reaping.add(reaping)
        reaping.add_done_callback(self._reaping.discard)

    def _count(self) -> int:
        return len(self._idle) + len(self._busy) + self._starting

    async def _release(self, worker: Worker) -> None:
        async with self._instances:
            self._busy.discard(worker)
            if worker.alive:
                self._idle.append(worker)
            self._instances.notify_all()
        if not worker.alive:  # killed (timeout, crash): reap it in the background
            self._reap(worker)

    async def invoke(self, event: Any, request_id: str | None = None) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        if self.spec.reserved_concurrency and self._slots.locked():
            # Lambda throttles an invocation beyond the reserved concurrency; here it waits for a
            # slot (as the event source or the caller would retry), and counts as throttled.
            self.stats.throttles += 1
            self._metric("Throttles", 1, "Count")
        async with self._slots:
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
            self._metric("ConcurrentExecutions", self.stats.in_flight, "Count")
            try:
                return await self._invoke(event, request_id)
            finally:
                self.stats.in_flight -= 1
                self._metric("ConcurrentExecutions", self.stats.in_flight, "Count")

    def _metric(self, name: str, value: float, unit: str) -> None:
        if self.metrics is not None:
            self.metrics(name, value, unit)

    async def _invoke(self, event: Any, request_id: str) -> Invocation:
        worker, ready = await self._acquire()
        cold = ready is not None
        if cold and not ready.get("ready"):
            if ready.get("errorType") == INIT_TIMED_OUT:
                return self._timed_out(request_id, cold=True)
            return self._finish(Invocation(request_id, False, error=_error_of(ready), cold_start=True))
        # A retried (suppressed) init ran in this invocation's time.
        suppressed_init_s = worker.init_s if cold and worker.suppressed_init else 0.0
        try:
            started = time.perf_counter()
            try:
                reply = await worker.invoke(event, request_id, self.spec.timeout - suppressed_init_s)
            except asyncio.TimeoutError:
                worker.kill()
                return self._timed_out(request_id, cold)
            except (ConnectionError, ValueError) as crash:
                worker.kill()
                error = {"errorType": "Runtime.ExitError", "errorMessage": worker.ended_by or f"the function's process exited: {crash}"}
                self.log(request_id, error["errorMessage"])
                return self._finish(Invocation(request_id, False, error=error))
            duration = (time.perf_counter() - started + suppressed_init_s) * 1000
            if "meter" in reply:
                self.stats.usage = merge(self.stats.usage, reply["meter"])
            invocation = Invocation(
                request_id,
                bool(reply.get("ok")),
                result=reply.get("result"),
                error=None if reply.get("ok") else _error_of(reply),
                duration_ms=duration,
                cpu_ms=float(reply.get("cpuMs", 0.0)),
                cold_start=cold,
                init_ms=worker.init_ms if cold else 0.0,
            )
            if not invocation.ok:
                self.log(request_id, f"function error: {invocation.error['errorType']}: {invocation.error['errorMessage']}")
                for frame in (invocation.error.get("stackTrace") or [])[-6:]:
                    self.log(request_id, frame.rstrip())
            return self._finish(invocation)
        finally:
            worker.request_id = None
            await self._release(worker)

    def _timed_out(self, request_id: str, cold: bool) -> Invocation:
        self.stats.timeouts += 1
        message = f"{request_id} Task timed out after {self.spec.timeout:.2f} seconds"
        self.log(request_id, message)
        error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
        return self._finish(Invocation(request_id, False, error=error, duration_ms=self.spec.timeout * 1000, cold_start=cold))

    def _finish(self, invocation: Invocation) -> Invocation:
        self.stats.invocations += 1
        self.stats.duration_ms_total += invocation.duration_ms
        self.stats.cpu_ms_total += invocation.cpu_ms
        if not invocation.ok:
            self.stats.errors += 1
        self._metric("Invocations", 1, "Count")
        self._metric("Errors", 0 if invocation.ok else 1, "Count")  # as Lambda: a datapoint per invocation
        self._metric("Duration", invocation.duration_ms, "Milliseconds")
        return invocation

    def end_in_flight(self, reason: str) -> int:
        """End the invocations running now (their process is stopped, as at a timeout); how many."""
        running = [w for w in self._busy if w.request_id is not None and w.alive]
        for worker in running:
            worker.ended_by = reason
            worker.kill()
        return len(running)

    async def stop(self) -> None:
        workers, self._idle = self._idle + list(self._busy), []
        await asyncio.gather(*(w.stop() for w in workers), *self._reaping, return_exceptions=True)
        if self._fork_server is not None:
            await self._fork_server.stop()  # after its instances, which die with it


def _error_of(reply: dict) -> dict:
    return {k: reply.get(k) for k in ("errorType", "errorMessage", "stackTrace") if reply.get(k) is not None}
