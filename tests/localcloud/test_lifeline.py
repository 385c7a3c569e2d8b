"""The local cloud's children die with it, however it dies, and are started without running
Python between fork and exec (localcloud.lifeline)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Callable
from pathlib import Path

import pytest

from localcloud.lifeline import PARENT_PID
from tests.support.local_function import function, run

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("either_instance_start")

PARENT = textwrap.dedent(
    """
    import asyncio, sys
    from tests.support.local_function import function

    # An instance busy with a long invocation: it is not waiting on its stdin, so only the
    # kernel can tell it that its parent is gone.
    asyncio.run(function("app.busy", timeout=900).invoke({"pidFile": sys.argv[1], "seconds": 600}))
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has died: only its entry is left to reap
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def _wait_until_dead(pid: int, timeout_s: float, kill: Callable[[], None], failure: str) -> None:
    """Wait for ``pid`` to die; past the deadline, kill it (leave no orphan behind) and fail."""
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        if time.monotonic() > deadline:
            kill()
            raise AssertionError(failure)
        time.sleep(0.05)


def test_a_busy_function_instance_dies_when_its_parent_is_killed(tmp_path):
    pid_file = tmp_path / "pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(pid_file)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text():
            assert parent.poll() is None and time.monotonic() < deadline, "the instance never started"
            time.sleep(0.02)
        worker = int(pid_file.read_text())
        assert _alive(worker) and os.getpgid(worker) == worker, "its own process group: Ctrl-C reaches only the parent"
    finally:
        parent.send_signal(signal.SIGKILL)  # no chance to stop its children itself
        parent.wait(30)
    _wait_until_dead(worker, 30, lambda: os.kill(worker, signal.SIGKILL), f"instance {worker} outlived its parent")


def test_the_function_never_sees_the_lifeline_variable():
    async def scenario():
        fn = function("app.environ")
        try:
            return (await fn.invoke({})).result
        finally:
            await fn.stop()

    names = run(scenario())
    assert "AWS_LAMBDA_FUNCTION_NAME" in names and PARENT_PID not in names


STARTER = textwrap.dedent(
    """
    import sys
    from tests.support.cloud_process import start_cloud

    cloud = start_cloud([], "--template", sys.argv[1], "--quiet", timeout_s=120)
    print(cloud.process.pid, flush=True)
    sys.stdin.read()  # until killed
    """
)


def test_a_cloud_started_for_a_test_stops_when_the_test_process_is_killed():
    """A test killed before its teardown (CI's time limit, a Ctrl-C in the wrong place) must not
    leave its local cloud running: the cloud, and so its children, stop with the test process."""
    template = ROOT / "tests" / "localcloud" / "fixture_template.yaml"
    starter = subprocess.Popen([sys.executable, "-c", STARTER, str(template)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        cloud = int(starter.stdout.readline())
        assert _alive(cloud) and os.getsid(cloud) == cloud, "the cloud runs in a session of its own"
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait(30)
    _wait_until_dead(cloud, 60, lambda: os.killpg(cloud, signal.SIGKILL), f"the cloud {cloud} outlived the process that started it")
