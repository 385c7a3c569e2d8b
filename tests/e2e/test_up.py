"""End-to-end: `solroute up` (what `make run` runs) as a user meets it: its banner says which
template overrides and faults are active and that a restart starts empty, and Ctrl-C with an open
limit order stops promptly, saying what it ends and what it waits for."""

from __future__ import annotations

import time

from tests.support.cloud_client import open_limit_order
from tests.support.cloud_process import FAST, start_cloud, stop_cloud


def test_the_banner_names_every_override_and_fault_and_says_a_restart_starts_empty(lossy_cloud, idle_cloud):
    banner = lossy_cloud.log()
    assert "  Overrides      " + ", ".join(FAST) + "   (--param" in banner
    assert "  Faults         ws-gone=1   (chaos mode" in banner
    assert "  Data           in memory: a restart starts empty (no orders, no keys, a new demo key)" in banner
    assert "  Faults         none" in idle_cloud.log()
    assert "  WebSocket      idle close after 2 s" in idle_cloud.log(), "a shortened API Gateway limit is said too"


def test_ctrl_c_with_an_open_limit_order_ends_the_triggers_run_at_once_and_says_so():
    cloud = start_cloud(FAST)
    try:
        open_limit_order(cloud)
        deadline = time.monotonic() + 60
        while cloud.stats()["functions"]["TriggerFunction"]["inFlight"] < 1:  # its run ticks for a minute while the order is open
            assert time.monotonic() < deadline, "the trigger never ran"
            time.sleep(0.05)
    finally:
        code = stop_cloud(cloud)  # Ctrl-C; a cloud still running after 30 s is killed, and fails here
    log = cloud.log()
    assert code == 0, log[-3000:]
    assert "ended 1 run(s) of TriggerFunction at once" in log
    assert "stopping: no new invocations from now on" in log
