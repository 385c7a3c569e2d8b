"""start_cloud (tests/support/cloud_process.py), which every e2e test and the benchmarks rely on:
it fails at once, with the log, when `solroute up` exits, and starts once more on new ports when
another process took a port it picked."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support import cloud_process
from tests.support.cloud_process import start_cloud, stop_cloud

FIXTURE = Path(__file__).resolve().parents[1] / "localcloud" / "fixture_template.yaml"  # quick to start


def test_a_cloud_that_exits_fails_at_once_with_its_log():
    with pytest.raises(RuntimeError, match=r"exited with 2:\n.*--param wants KEY=VALUE"):
        start_cloud(["NotAPair"], "--template", str(FIXTURE), timeout_s=60)


def test_a_port_taken_before_the_cloud_listens_is_given_up_for_new_ports(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_port = taken.getsockname()[1]
        picks = iter([taken_port])  # the first port picked, the HTTP API's, is taken
        real_free_port = cloud_process.free_port
        monkeypatch.setattr(cloud_process, "free_port", lambda: next(picks, None) or real_free_port())
        cloud = start_cloud([], "--template", str(FIXTURE), "--quiet", timeout_s=60)
    try:
        assert cloud.http != f"http://127.0.0.1:{taken_port}"
        status, body = cloud.health()
        assert (status, body["status"], body["endpoints"]["http"]) == (200, "ready", cloud.http)
    finally:
        assert stop_cloud(cloud) == 0, cloud.log()[-3000:]
