"""What a function's process does around a snapshot: Lambda SnapStart (Python 3.12+) takes one
after the init and resumes every new instance from it; the local cloud's fork server does the same
with fork() and runs the same hooks. These are snapshot_restore_py's runtime hooks, which Lambda's
Python 3.12+ runtimes include: the layer does not ship the library (a copy of our own could hide
the runtime's, whose registry is the one it runs), and a runtime without it (python3.11, no
SnapStart) never takes a snapshot, so registering is then a no-op.

After a restore, every instance starts from the same memory: whatever a random generator drew or
seeded at init is the same in all of them, and every connection the image holds is dead (on AWS)
or shared by every instance (forked locally). So the engine re-seeds ``random`` here, and the
composition root (services) drops its clients, connections and the chain's opened root. uuid4 and
secrets read os.urandom on every call: nothing of theirs is kept in the image. Nothing time-based
is captured at init (every clock reads the time when asked), so nothing else is reset.
"""

from __future__ import annotations

import random
from typing import Any, Callable

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # no SnapStart in this runtime: no snapshot is taken, no hook is ever run

    def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return func

    def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return func


__all__ = ["register_after_restore", "register_before_snapshot", "reseed_random"]


@register_after_restore
def reseed_random() -> None:
    """The module-level generator (retry jitter, ours and botocore's) from os.urandom again: from
    one snapshot, every instance would draw the same jitter and retry in step."""
    random.seed()
