"""The local cloud's child processes (function instances, the DynamoDB endpoint) die with it.

On Linux a process can ask the kernel for a signal when its parent dies (``PR_SET_PDEATHSIG``).
The child asks, first thing, from its own code. Asking between fork and exec (``preexec_fn``)
would be simpler but is unsafe in a parent with threads: a lock that another thread held at the
fork (the dynamic loader's, an import's) is never released in the child, which then hangs before
exec, and the parent hangs with it, waiting for the exec to be reported. Without ``preexec_fn``
Python can also start the child with vfork, which is much cheaper from a large parent.

Each child also runs in its own process group (``process_group=0``), so a Ctrl-C at the terminal
reaches only the local cloud, which drains and stops its children itself."""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Mapping

PARENT_PID = "LOCALCLOUD_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The child's environment, naming this process as the parent it must not outlive."""
    return {**env, PARENT_PID: str(os.getpid())}


def die_with_parent() -> None:
    """In the child: SIGTERM when the parent dies, and exit now if it already has. A no-op where
    the kernel offers no such signal, or when no parent asked for it."""
    parent = os.environ.pop(PARENT_PID, None)  # the function's code never sees it
    if parent is not None:
        die_with(int(parent))


def die_with(parent: int) -> None:
    """In a child of ``parent``: SIGTERM when it dies, and exit now if it already has."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before we asked: nobody would reap or stop us
        os._exit(0)
