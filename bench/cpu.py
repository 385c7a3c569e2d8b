"""CPU seconds spent by each kind of local-cloud process (Linux /proc), to see where an
order's CPU goes: moto, the local cloud itself, and each function's instances."""

from __future__ import annotations

import os
from collections import Counter

from localcloud.services.awslambda.fork_server import TEMPLATE_MODULE
from localcloud.services.awslambda.instance import WORKER_MODULE
from localcloud.services.dynamodb.endpoint import SERVER_MODULE

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_FUNCTIONS = ("api", "order_consumer", "websocket", "broadcaster", "dead_letter", "sweeper", "authorizer")  # order_consumer: the settler too


def _kind(cmdline: str, environ: str) -> str | None:
    if SERVER_MODULE in cmdline or "moto" in cmdline:
        return "moto (DynamoDB)"
    if "localcloud.cli up" in cmdline:
        return "local cloud (HTTP, WebSocket, SQS, event sources)"
    if WORKER_MODULE in cmdline or TEMPLATE_MODULE in cmdline:  # an instance forked from its template has its command line
        return next((f"function: {f}" for f in _FUNCTIONS if f"/functions/{f}" in environ), "function: ?")
    return None


def snapshot(session: int | None = None) -> dict[str, tuple[str, float]]:
    """pid -> (kind, CPU seconds so far) for every local-cloud process; with ``session``, only
    the processes of that session (the cloud under test: `start_cloud` makes it a session
    leader, and moto and every function instance stay in its session), not other people's."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            if "localcloud" not in cmdline and "moto" not in cmdline:
                continue
            environ = ""
            if WORKER_MODULE in cmdline or TEMPLATE_MODULE in cmdline:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = f.read().decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if session is not None and int(fields[3]) != session:
            continue
        kind = _kind(cmdline, environ)
        if kind:
            out[pid] = (kind, (int(fields[11]) + int(fields[12])) / _TICKS)
    return out


def per_kind(before: dict[str, tuple[str, float]], after: dict[str, tuple[str, float]]) -> Counter:
    """CPU seconds each kind used between two snapshots (processes started in between count whole)."""
    used: Counter = Counter()
    for pid, (kind, seconds) in after.items():
        used[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return used
