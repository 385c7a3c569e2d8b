"""Start `solroute up` as a child process on free ports, wait until its health endpoint says it
is ready, and stop it (tests and benchmarks).

It runs as `python -m localcloud.cli up`: bench/cpu.py finds the cloud's process by that command line."""

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
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from localcloud import lifeline

HEALTH_PATH = "/_localcloud/health"
# What `solroute up` says when a port picked here was taken before it could listen there.
PORT_TAKEN = re.compile(r"address already in use|port \d+ is taken", re.IGNORECASE)

# Short simulated delays keep the suite fast; the seed keeps prices reproducible. The demo key
# every test shares may submit as fast as the tests do (their keys' own limits are tested apart).
FAST = [
    "QuoteDelayMs=20", "SwapDelayMinMs=200", "SwapDelayMaxMs=300", "FailureRate=0", "SimulationSeed=3", "RateLimitPerMinute=0",
    "KeyRatePerMinute=10000",
    # A revoked key's cached authorization ends within 2 s, not the default 30: tests wait for it.
    "RevocationDelaySeconds=2",
]  # fmt: skip


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
    api_key: str = ""  # the demo key the cloud issued at start ("" when its template keeps none)
    sam_env_vars: str = ""  # the --env-vars file for `sam local` it wrote (not the project's own)
    solana: str = ""  # the local Solana validator's JSON-RPC URL

    @property
    def headers(self) -> dict[str, str]:
        """What a client sends with every request (HTTP and the WebSocket handshake)."""
        return {"x-api-key": self.api_key} if self.api_key else {}

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.http}/_localcloud/stats", timeout=5) as r:
            return json.loads(r.read())

    def health(self) -> tuple[int, dict] | None:
        """(status, body) of the health endpoint; None while nothing listens."""
        try:
            with urllib.request.urlopen(f"{self.http}{HEALTH_PATH}", timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as error:  # 503 while starting
            try:
                return error.code, json.loads(error.read() or b"{}")
            except ValueError:
                return error.code, {}
        except (OSError, ValueError):
            return None

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()


class PortTaken(RuntimeError):
    """Another process took a port picked here before `solroute up` could listen on it."""


def start_cloud(
    params: list[str], *flags: str, env: Mapping[str, str] | None = None, timeout_s: float = 180, host: str = "127.0.0.1"
) -> RunningCloud:
    """Start `solroute up` and return once its health endpoint says everything has started.

    The HTTP API listens on a free port picked here (its health endpoint says where the rest
    listens), and so does moto (a separate process); the other servers pick their own (port 0).
    A port picked here can be taken by another process before the cloud listens on it: then it
    is started once more on new ports. ``env`` is added to the child's environment, which has no
    AWS_ENDPOINT_URL unless ``env`` gives one. The deadline is generous: on a loaded machine
    every function's first init is slow. ``host`` is the address it listens on."""
    try:
        return _start(params, flags, env or {}, timeout_s, host)
    except PortTaken:
        return _start(params, flags, env or {}, timeout_s, host)


def _start(params: list[str], flags: tuple[str, ...], env: Mapping[str, str], timeout_s: float, host: str) -> RunningCloud:
    http_port, aws_port = free_port(), free_port()
    log = tempfile.NamedTemporaryFile("w", prefix="localcloud-", suffix=".log", delete=False)
    # The cloud stops when this process dies, even killed before it could stop the cloud itself
    # (a test's teardown never ran): servers started for a test never outlive it.
    child_env = lifeline.child_env({k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"} | dict(env))
    ports = ["--http-port", str(http_port), "--ws-port", "0", "--sqs-port", "0", "--lambda-port", "0", "--solana-port", "0", "--aws-port", str(aws_port)]
    sam_env_vars = log.name.removesuffix(".log") + "-sam-env.json"  # a developer's own file stays theirs
    args = [sys.executable, "-m", "localcloud.cli", "up", "--host", host, *ports, "--sam-env-vars", sam_env_vars]
    for p in params:
        args += ["--param", p]
    process = subprocess.Popen([*args, *flags], stdout=log, stderr=subprocess.STDOUT, env=child_env, start_new_session=True)
    cloud = RunningCloud(process, f"http://{host}:{http_port}", "", "", log.name, sam_env_vars=sam_env_vars)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            failure = PortTaken if PORT_TAKEN.search(cloud.log()) else RuntimeError
            raise failure(f"solroute up exited with {process.returncode}:\n{cloud.log()}")
        answer = cloud.health()
        if answer is not None and answer[1].get("status") == "ready":
            endpoints = answer[1]["endpoints"]
            cloud.http = endpoints["http"]
            cloud.ws = urlsplit(endpoints["websocket"] or "")._replace(path="").geturl()  # without /{stage}
            cloud.aws = endpoints["aws"]
            cloud.sqs = endpoints["sqs"]
            cloud.lambda_endpoint = endpoints["lambda"]
            cloud.solana = endpoints["solana"]
            cloud.api_key = answer[1].get("demoKey") or ""
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
