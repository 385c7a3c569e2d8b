"""Start `solroute up` as a child process on free ports, and stop it (tests and benchmarks)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningCloud:
    process: subprocess.Popen
    http: str
    ws: str
    aws: str
    log_path: str
    sqs: str = ""

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.http}/_localcloud/stats", timeout=5) as r:
            return json.loads(r.read())

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()


def start_cloud(params: list[str], *flags: str, use_env_endpoint: bool = False, timeout_s: float = 60) -> RunningCloud:
    http_port, ws_port, aws_port, sqs_port = free_port(), free_port(), free_port(), free_port()
    log = tempfile.NamedTemporaryFile("w", prefix="localcloud-", suffix=".log", delete=False)
    env = {k: v for k, v in os.environ.items() if use_env_endpoint or k != "AWS_ENDPOINT_URL"}
    args = [sys.executable, "-m", "localcloud.cli", "up", "--http-port", str(http_port), "--ws-port", str(ws_port), "--aws-port", str(aws_port), "--sqs-port", str(sqs_port)]
    for p in params:
        args += ["--param", p]
    process = subprocess.Popen([*args, *flags], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    aws = env["AWS_ENDPOINT_URL"] if use_env_endpoint else f"http://127.0.0.1:{aws_port}"
    sqs = aws if use_env_endpoint else f"http://127.0.0.1:{sqs_port}"
    cloud = RunningCloud(process, f"http://127.0.0.1:{http_port}", f"ws://127.0.0.1:{ws_port}", aws, log.name, sqs)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"solroute up exited with {process.returncode}:\n{cloud.log()}")
        if "local cloud is up" in cloud.log():
            return cloud
        time.sleep(0.1)
    stop_cloud(cloud)
    raise TimeoutError(f"solroute up did not come up in {timeout_s:.0f} s:\n{cloud.log()}")


def stop_cloud(cloud: RunningCloud, timeout_s: float = 30) -> int:
    """Ctrl-C, as a user would; a cloud that does not drain in time is killed (and fails)."""
    if cloud.process.poll() is None:
        cloud.process.send_signal(signal.SIGINT)
        try:
            cloud.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(cloud.process.pid, signal.SIGKILL)
            cloud.process.wait()
            return -9
    return cloud.process.returncode
