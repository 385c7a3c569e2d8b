"""One instance of a function (an execution environment) as the runtime sees it: a
`python -m localcloud.services.awslambda.worker` process, started and given up on within a time,
sent requests and read for results as JSON lines, its logs passed on line by line, killed or
stopped. What runs inside the process is worker.py; how instances are pooled, runtime.py."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from localcloud.lifeline import child_env

if TYPE_CHECKING:
    from localcloud.services.awslambda.runtime import LocalFunction

WORKER_MODULE = "localcloud.services.awslambda.worker"  # what an instance's process runs (worker.py)
LOG_LINE_LIMIT = 16 * 1024 * 1024
# What Worker.start answers when the process was not ready in time (the invocation's error type
# when the time was the invocation's own).
INIT_TIMED_OUT = "Sandbox.Timedout"


class Worker:
    """One execution environment (a `python -m localcloud.services.awslambda.worker` process)."""

    def __init__(self, function: "LocalFunction", suppressed_init: bool = False) -> None:
        self.function = function
        self.suppressed_init = suppressed_init  # its init ran within an invocation's Timeout
        self.process: asyncio.subprocess.Process | None = None
        self.request_id: str | None = None
        self.init_ms = 0.0  # the import, as the worker measured it
        self.init_s = 0.0  # from starting the process until it was ready (or given up on)
        self.killed = False
        self.ended_by: str | None = None  # why the local cloud ended its invocation, when it did
        self._log_task: asyncio.Task | None = None

    async def start(self, timeout_s: float) -> dict:
        """Start the process and wait up to ``timeout_s`` for its init; past that, kill it.
        ``init_s`` says how long it took."""
        started = time.monotonic()
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
        done, _ = await asyncio.wait({reading}, timeout=timeout_s)
        self.init_s = time.monotonic() - started
        if not done:
            reading.cancel()
            self.kill()
            message = f"init did not finish within {timeout_s:.2f} seconds"
            return {"ready": False, "errorType": INIT_TIMED_OUT, "errorMessage": message}
        ready = json.loads(reading.result() or b"{}")
        self.init_ms = float(ready.get("initMs", 0))
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
