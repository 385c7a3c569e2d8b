"""The DynamoDB endpoint the local cloud starts: server.py in a child process (MotoServer), and
the wait until an AWS endpoint answers, that one or one the user points at."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from localcloud.host_guard import ENV as HOSTS_ENV
from localcloud.host_guard import AllowedHosts
from localcloud.lifeline import child_env

SERVER_MODULE = "localcloud.services.dynamodb.server"  # what the child process runs (server.py)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return True
        except OSError:
            return False


def wait_until_up(url: str, timeout_s: float = 20.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the AWS endpoint process exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"no AWS endpoint answered at {url} within {timeout_s:.0f} s")


class MotoServer:
    """moto's DynamoDB and DynamoDB Streams in a child process: it gets its own core, and
    dies with us (server.py)."""

    def __init__(self, host: str, port: int, meter: bool = False, allowed_hosts: AllowedHosts | None = None) -> None:
        self.host = host
        self.port = port
        self.meter = meter
        self.allowed_hosts = allowed_hosts
        self.url = f"http://{host}:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        if not port_is_free(self.host, self.port):
            raise OSError(
                f"port {self.port} is taken: another local cloud or LocalStack may be running. "
                f"Stop it, pass --aws-port, or set AWS_ENDPOINT_URL to use it."
            )
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true", "PYTHONUNBUFFERED": "1"}
        if self.allowed_hosts is not None:
            env[HOSTS_ENV] = self.allowed_hosts.to_env()
        self.process = subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, self.host, str(self.port), *(["--meter"] if self.meter else [])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_env(env),
            process_group=0,  # see localcloud.lifeline
        )
        wait_until_up(f"{self.url}/", process=self.process)
        return self.url

    def usage(self) -> dict:
        """What DynamoDB would bill so far (request units by table; with ``meter`` only)."""
        with urllib.request.urlopen(f"{self.url}/_localcloud/usage", timeout=5) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
