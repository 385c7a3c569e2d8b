"""A handler whose module registers SnapStart runtime hooks (snapshot_restore_py), for the fork
server's tests: each records where and in what order it ran. RESTORE_FAILS=1: an after-restore
hook raises."""

import os

from snapshot_restore_py import register_after_restore, register_before_snapshot

INIT = {"pid": os.getpid(), "before": [], "after": []}


@register_before_snapshot
def first_before():
    INIT["before"].append(["first", os.getpid()])


@register_before_snapshot
def second_before():
    INIT["before"].append(["second", os.getpid()])


@register_after_restore
def first_after():
    INIT["after"].append(["first", os.getpid()])
    if os.environ.get("RESTORE_FAILS") == "1":
        raise RuntimeError("cannot reopen")


@register_after_restore
def second_after():
    INIT["after"].append(["second", os.getpid()])


def handler(event, context):
    return {"pid": os.getpid(), "parent": os.getppid(), "initPid": INIT["pid"], "before": INIT["before"], "after": INIT["after"]}
