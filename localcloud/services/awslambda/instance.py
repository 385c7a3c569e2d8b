"""One instance of a function (an execution environment) as the runtime sees it: a
`python -m localcloud.services.awslambda.worker` process (or one forked from the function's template
process, fork_server.py), started and given up on within a time,
sent requests and read for results as JSON lines, its logs passed on line by line, killed or
stopped. What runs inside the process is worker.py; how instances are pooled, runtime.py."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from localcloud.lifeline import child_env
from localcloud.services.awslambda.fork_server import LOG_LINE_LIMIT, TemplateGone

if TYPE_CHECKING:
    from localcloud.services.awslambda.runtime import LocalFunction

WORKER_MODULE = "localcloud.services.awslambda.worker"  # what an instance's process runs (worker.py)
# What Worker.start answers when the process was not ready in time (the invocation's error type
# when the time was the invocation's own).
INIT_TIMED_OUT = "Sandbox.Timedout"


def _init_timed_out(timeout_s: float) -> dict:
    return {"ready": False, "errorType": INIT_TIMED_OUT, "errorMessage": f"init did not finish within {timeout_s:.2f} seconds"}


class Worker:
    """One execution environment: a `python -m localcloud.services.awslambda.worker` process, or
    a process forked from the function's template (fork_server.py)."""

    def __init__(self, function: "LocalFunction", suppressed_init: bool = False) -> None:
        self.function = function
        self.suppressed_init = suppressed_init  # its init ran within an invocation's Timeout
        self.process: asyncio.subprocess.Process | None = None
        self.request_id: str | None = None
        self.init_ms = 0.0  # the import (or a forked instance's restore), as the process measured it
        self.init_s = 0.0  # from starting the process until it was ready (or given up on)
        self.killed = False
        self.ended_by: str | None = None  # why the local cloud ended its invocation, when it did
        self._log_task: asyncio.Task | None = None

    async def start(self, timeout_s: float) -> dict:
        """Start the instance (forked from the function's template process when it has one, else
        a new process) and wait up to ``timeout_s`` for its init; past that, kill it. ``init_s``
        says how long it took."""
        started = time.monotonic()
        template_init_ms = 0.0
        server = self.function.fork_server()
        if server is not None:
            try:
                self.process, template_init_ms = await asyncio.wait_for(server.instance(), timeout_s)
            except asyncio.TimeoutError:
                server.give_up_init()
                self.init_s = time.monotonic() - started
                return _init_timed_out(timeout_s)
            except TemplateGone as gone:
                if gone.ready is not None:  # its init failed: reported per instance, as a plain start reports it
                    self.init_s = time.monotonic() - started
                    return gone.ready
                # The template died or cannot fork safely: this instance starts the plain way.
        if self.process is None:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                WORKER_MODULE,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=child_env(self.function.process_env()),
                limit=LOG_LINE_LIMIT,
                process_group=0,  # see localcloud.lifeline
            )
        self._log_task = asyncio.create_task(self._pump_logs())
        reading = asyncio.ensure_future(self.process.stdout.readline())
        done, _ = await asyncio.wait({reading}, timeout=max(0.0, timeout_s - (time.monotonic() - started)))
        self.init_s = time.monotonic() - started
        if not done:
            reading.cancel()
            self.kill()
            return _init_timed_out(timeout_s)
        ready = json.loads(reading.result() or b"{}")
        self.init_ms = float(ready.get("initMs", 0)) + template_init_ms
        return ready

    async def _pump_logs(self) -> None:
        assert self.process and self.process.stderr
        while line := await self.process.stderr.readline():
            self.function.stats.log_bytes += len(line)
            self.function.log(self.request_id, line.decode(errors="replace").rstrip("\n"))

    async def invoke(self, event: Any, request_id: str, timeout_s: float) -> dict:
        assert self.process and self.process.stdin and self.process.stdout
        self.request_id = request_id
        request = {"requestId": request_id, "event": event, "timeoutMs": int(timeout_s * 1000)}
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout_s)
        if not line:
            raise ConnectionError("the function's process exited")
        return json.loads(line)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None and not self.killed

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.killed = True

    async def stop(self) -> None:
        if self.alive:
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 2)
            except asyncio.TimeoutError:
                self.process.kill()
        elif self.process is not None and self.process.returncode is None:
            await self.process.wait()  # reap a killed instance
        if self._log_task:
            await asyncio.gather(self._log_task, return_exceptions=True)
