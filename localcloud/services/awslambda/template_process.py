"""A function's template process: what Lambda SnapStart does, done with fork(). It imports the
handler once (the init phase, as a worker would: same environment, sys.path and cwd), runs the
before-snapshot hooks, checks that it is safe to fork (one thread, no open socket), then forks a new
instance each time the local cloud asks (fork_server.py). Each instance runs the after-restore hooks
(snapshot_restore_py's, as Lambda runs them in an instance restored from a snapshot) and serves
invocations exactly as a worker (worker.py) does.

Channels: stdin is a Unix socket on which each request carries the new instance's two sockets (its
requests and results; its log stream); stdout answers one JSON line at start (ready, or why not)
and then one per instance forked ({"token", "pid"}); stderr is the function's log stream.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import time
from typing import IO, Callable

from localcloud.lifeline import die_with
from localcloud.meter import Meter
from localcloud.services.awslambda import worker

CONTROL_FD = 0


def hooks(kind: str) -> list[tuple[Callable, tuple, dict]]:
    """The registered runtime hooks (``before`` a snapshot or ``after`` a restore), in the order
    Lambda runs them: before-snapshot hooks in reverse order of registration, after-restore hooks
    in order. None without snapshot_restore_py (nothing registered any)."""
    try:
        import snapshot_restore_py
    except ImportError:
        return []
    if kind == "before":
        return list(reversed(snapshot_restore_py.get_before_snapshot()))
    return list(snapshot_restore_py.get_after_restore())


def run_hooks(kind: str) -> None:
    for func, args, kwargs in hooks(kind):
        func(*args, **kwargs)


def fork_hazards() -> str | None:
    """Why forking this process would be unsafe, or None: a thread (another thread's lock would
    stay held in every child) or an open socket (every instance would share one connection)."""
    threads = os.listdir("/proc/self/task")
    if len(threads) > 1:
        return f"{len(threads)} threads are running after the init (a child of fork() gets only one, with their locks held)"
    sockets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed by now
            continue
        if target.startswith("socket:") and int(fd) != CONTROL_FD:
            sockets.append(fd)
    if sockets:
        return f"sockets are open after the init (descriptors {', '.join(sockets)}): every instance would share them"
    return None


def main() -> None:
    control = socket.socket(fileno=CONTROL_FD)
    replies, meter = worker.prepare()
    handler, ready = worker.load()
    if ready["ready"]:
        try:
            run_hooks("before")
        except Exception as error:  # noqa: BLE001 - Lambda fails the snapshot: the init failed
            ready = {"ready": False, **worker.error_reply(error, "Runtime.BeforeSnapshotError")}
    if ready["ready"] and (hazard := fork_hazards()):
        ready = {"ready": False, "forkUnsafe": hazard}
    replies.write(json.dumps(ready) + "\n")
    if not ready["ready"]:
        return  # the local cloud reports the failure per instance, or starts instances the plain way
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the instances: none is waited for here
    gc.freeze()  # the init's objects: a collection in an instance then touches (copies) none of their pages
    template = os.getpid()
    while True:
        message, fds, _, _ = socket.recv_fds(control, 256, 2)
        if not message:
            return  # the local cloud closed the channel: no more instances
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _instance(fds, control, replies, handler, meter, template)
                code = 0
            finally:
                os._exit(code)  # never back into the template's loop, nor its exit handlers
        for fd in fds:
            os.close(fd)
        replies.write(json.dumps({"token": message.decode(), "pid": pid}) + "\n")


def _instance(fds: list[int], control: socket.socket, replies: IO[str], handler: Callable | None, meter: Meter | None, template: int) -> None:
    """In a forked child: become an instance (its own process group and channels), restore, serve."""
    started = time.perf_counter()
    os.setpgid(0, 0)  # its own process group, as a plainly started instance has (localcloud.lifeline)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the function's own subprocesses are waited for
    die_with(template)  # the template dies with the local cloud, and its instances with it
    control.close()
    replies.close()
    io, log = fds
    os.dup2(io, 0)
    results = os.fdopen(os.dup(io), "w", buffering=1)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(io)
    os.close(log)
    if meter is not None:
        meter.take()  # what the template's init counted ran once, before the snapshot: not this instance's
    try:
        run_hooks("after")
        ready = {"ready": True, "initMs": round((time.perf_counter() - started) * 1000, 2)}
    except Exception as error:  # noqa: BLE001 - Lambda reports a failed restore hook as SnapStartException
        handler, ready = None, {"ready": False, **worker.error_reply(error, "SnapStartException")}
    worker.serve(handler, ready, results, meter)
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main()
