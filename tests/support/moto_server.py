"""A plain moto server on a free port, started as a process: an AWS endpoint the local cloud did
not start."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from localcloud.services.dynamodb.endpoint import wait_until_up
from tests.support.cloud_process import free_port


@contextmanager
def moto_server() -> Iterator[tuple[str, int]]:
    """A plain moto server on a free port: an AWS endpoint the local cloud did not start.
    Yields its URL and port."""
    port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(endpoint, timeout_s=60, process=moto)  # a loaded machine imports moto slowly
        yield endpoint, port
    finally:
        moto.terminate()
        moto.wait(10)
