"""The local cloud's side of a function's template process (template_process.py): start it, ask
it for a new instance, and hold that instance as instance.Worker holds a plainly started one (an
asyncio subprocess: stdin, stdout, stderr, kill, wait). The instance is the template's child, not
ours: it is watched through a pidfd (its exit makes it readable) and killed through it too, so a
pid the kernel gave to another process since is never signalled once the pidfd is open. One window
is left: an instance that ends (and is reaped by its template) before ``attach`` opens its pidfd,
and whose pid the kernel hands out again in between (it would need a wrap-around of the pid space
within that moment); a child that sent its own pidfd over its channel would close it."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import select
import signal
import socket
import sys
from typing import TYPE_CHECKING

from localcloud.lifeline import child_env

if TYPE_CHECKING:
    from localcloud.services.awslambda.runtime import LocalFunction

TEMPLATE_MODULE = "localcloud.services.awslambda.template_process"
LOG_LINE_LIMIT = 16 * 1024 * 1024
# Forking needs pidfds (Linux 5.3+) to watch and kill a process that is not our child.
SUPPORTED = hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal") and hasattr(socket, "send_fds")


class TemplateGone(Exception):
    """The template ended before forking the instance. ``ready`` is its answer when its init
    failed (reported per instance, as a plain start reports it), else None (it crashed, was
    killed, or cannot fork safely): the instance then starts the plain way."""

    def __init__(self, ready: dict | None) -> None:
        super().__init__(ready)
        self.ready = ready


class ForkedProcess:
    """An instance forked from the template, with the parts of asyncio.subprocess.Process that
    instance.Worker uses. Its exit status is the template's to reap: ``returncode`` says only
    that it ended (-9 when we killed it, else 0)."""

    def __init__(self, pid: int, pidfd: int | None, stdin: asyncio.StreamWriter, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader) -> None:
        self.pid, self._pidfd = pid, pidfd
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self._returncode: int | None = None
        self._killed = False
        self._exited = asyncio.get_running_loop().create_future()
        if pidfd is None:  # it had ended (and been reaped) before we could watch it
            self._ended()
        else:
            asyncio.get_running_loop().add_reader(pidfd, self._ended)

    @classmethod
    async def attach(cls, pid: int, io: socket.socket, log: int) -> "ForkedProcess":
        """Watch instance ``pid``: ``io`` carries its requests and results, ``log`` (a pipe's
        read end) its log stream."""
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            pidfd = None
        stdout, stdin = await asyncio.open_unix_connection(sock=io, limit=LOG_LINE_LIMIT)
        stderr = asyncio.StreamReader(limit=LOG_LINE_LIMIT)
        await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stderr), os.fdopen(log, "rb", 0))
        return cls(pid, pidfd, stdin, stdout, stderr)

    @property
    def returncode(self) -> int | None:
        # Asked now, not when the event loop next polls: an idle instance that died (with its
        # template) must not be handed an invocation.
        if self._returncode is None and self._pidfd is not None and select.select([self._pidfd], [], [], 0)[0]:
            self._ended()
        return self._returncode

    def _ended(self) -> None:
        if self._pidfd is not None:
            asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        self._returncode = -signal.SIGKILL if self._killed else 0
        self._exited.set_result(self._returncode)

    def kill(self) -> None:
        if self.returncode is None and self._pidfd is not None:
            self._killed = True
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    async def wait(self) -> int:
        code = await asyncio.shield(self._exited)
        self.stdin.close()  # the channel outlives the process until its reader is done with it
        return code


class ForkServer:
    """One function's template process, started when an instance is first asked for (again
    after it died or was killed). ``unsafe`` says why its instances start the plain way, when
    its init left threads or sockets that a fork would copy."""

    def __init__(self, function: "LocalFunction") -> None:
        self.function = function
        self.unsafe: str | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.init_ms = 0.0  # the template's init (the import), billed to its first instance
        self._billed = False
        self._ready = False  # its init is done: it forks
        self._control: socket.socket | None = None
        self._pending: dict[str, asyncio.Future] = {}
        self._tokens = itertools.count()
        self._starting = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    async def instance(self) -> tuple[ForkedProcess, float]:
        """A new instance, and the template's init time when this is its first one. Cancelled
        (a timeout), the request is dropped; the caller decides whether to kill the template."""
        await self._ensure_started()
        assert self._control is not None
        token, pending = str(next(self._tokens)), self._pending
        forked = pending[token] = asyncio.get_running_loop().create_future()
        io, io_child = socket.socketpair()
        log, log_child = os.pipe()
        try:
            try:
                socket.send_fds(self._control, [token.encode()], [io_child.fileno(), log_child])
            except OSError:  # it ended just now: its reader has not yet seen it
                raise TemplateGone(None) from None
            pid = await forked
        except BaseException:
            io.close()
            os.close(log)
            raise
        finally:
            pending.pop(token, None)
            io_child.close()
            os.close(log_child)
        init_ms, self._billed = (0.0 if self._billed else self.init_ms), True
        return await ForkedProcess.attach(pid, io, log), init_ms

    async def _ensure_started(self) -> None:
        async with self._starting:
            if self.process is not None and self.process.returncode is None and self._control is not None:
                return
            self._control, theirs = socket.socketpair()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", TEMPLATE_MODULE,
                stdin=theirs, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                env=child_env(self.function.process_env()), limit=LOG_LINE_LIMIT,
                process_group=0,  # see localcloud.lifeline
            )  # fmt: skip
            theirs.close()
            self.init_ms, self._billed, self._ready = 0.0, False, False
            self._pending = {}  # this template's requests: the previous one's reader fails only its own
            for job in (self._read_replies(self.process, self._control, self._pending), self._pump_logs(self.process)):
                task = asyncio.create_task(job)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _read_replies(self, process: asyncio.subprocess.Process, control: socket.socket, pending: dict[str, asyncio.Future]) -> None:
        assert process.stdout is not None
        failure: dict | None = None
        first = await process.stdout.readline()
        ready = json.loads(first or b"{}")
        if ready.get("ready"):
            if self.process is process:
                self.init_ms, self._ready = float(ready.get("initMs", 0.0)), True
            while line := await process.stdout.readline():
                reply = json.loads(line)
                if (waiting := pending.get(reply["token"])) is not None and not waiting.done():
                    waiting.set_result(reply["pid"])
        elif ready.get("forkUnsafe"):
            self.unsafe = ready["forkUnsafe"]
            self.function.log(None, f"instances start the plain way (no fork server): {self.unsafe}")
        elif first:
            failure = ready
        # The template has ended (or is ending): nothing more will be forked from it.
        if self._control is control:
            self._forget_control()
        control.close()
        for waiting in list(pending.values()):
            if not waiting.done():
                waiting.set_exception(TemplateGone(failure))
        await process.wait()

    async def _pump_logs(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            self.function.stats.log_bytes += len(line)
            self.function.log(None, line.decode(errors="replace").rstrip("\n"))

    def give_up_init(self) -> None:
        """An instance waited past the init limit: if the template is still in its init, end it,
        so that the next instance starts a new one whose init runs again from the start (a ready
        template is kept: its instances, which die with it, are not to blame)."""
        if self.process is not None and self.process.returncode is None and not self._ready:
            self.process.kill()
            self._forget_control()  # the next instance starts a new template, not this dying one

    def _forget_control(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None

    async def stop(self) -> None:
        self._forget_control()  # the template reads the end of its requests and exits
        if self.process is not None and self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), 2)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()
        await asyncio.gather(*self._tasks, return_exceptions=True)
