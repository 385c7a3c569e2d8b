"""Start `solroute up` as a child process on free ports, and stop it (tests and benchmarks)."""

from __future__ import annotations

import json
import os
import re
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
    lambda_endpoint: str = ""  # the Lambda Invoke API: boto3.client("lambda", endpoint_url=...)

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.http}/_localcloud/stats", timeout=5) as r:
            return json.loads(r.read())

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()


def start_cloud(params: list[str], *flags: str, use_env_endpoint: bool = False, timeout_s: float = 180) -> RunningCloud:
    """Start `solroute up`; its servers pick their own free ports (port 0, no race with other
    processes), read back from its banner. moto is a separate process and gets a free port.
    The deadline is generous: on a loaded machine every function's first init is slow."""
    aws_port = free_port()
    log = tempfile.NamedTemporaryFile("w", prefix="localcloud-", suffix=".log", delete=False)
    env = {k: v for k, v in os.environ.items() if use_env_endpoint or k != "AWS_ENDPOINT_URL"}
    ports = ["--http-port", "0", "--ws-port", "0", "--sqs-port", "0", "--lambda-port", "0", "--aws-port", str(aws_port)]
    args = [sys.executable, "-m", "localcloud.cli", "up", *ports]
    for p in params:
        args += ["--param", p]
    process = subprocess.Popen([*args, *flags], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    aws = env["AWS_ENDPOINT_URL"] if use_env_endpoint else f"http://127.0.0.1:{aws_port}"
    cloud = RunningCloud(process, "", "", aws, log.name)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"solroute up exited with {process.returncode}:\n{cloud.log()}")
        text = cloud.log()
        if "local cloud is up" in text:
            cloud.http = _banner_url(text, "HTTP API")
            cloud.ws = re.match(r"ws://[^/]+", _banner_url(text, "WebSocket API")).group(0)  # without /{stage}?...
            cloud.lambda_endpoint = _banner_url(text, "Lambda API")
            cloud.sqs = aws if use_env_endpoint else _banner_url(text, "SQS endpoint")
            return cloud
        time.sleep(0.1)
    stop_cloud(cloud)
    raise TimeoutError(f"solroute up did not come up in {timeout_s:.0f} s:\n{cloud.log()}")


def _banner_url(log: str, label: str) -> str:
    found = re.search(rf"^  {re.escape(label)} +(\S+)", log, re.MULTILINE)
    if not found:
        raise RuntimeError(f"no {label} in the banner of solroute up:\n{log}")
    return found.group(1)


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
