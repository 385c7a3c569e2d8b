"""SQS endpoints for tests: the local cloud's own SQS and moto's server, each on a free loopback
port, each stopped when its `with` block ends; and boto3 clients for them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from aiohttp import web
from moto.server import ThreadedMotoServer

from localcloud.services.sqs import LocalSqs


def client(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


@contextmanager
def local_sqs(service: LocalSqs | None = None) -> Iterator[str]:
    """Serve a LocalSqs (a new one unless given) from its own event loop in a thread; yields its URL."""
    service = service or LocalSqs()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(service.app())

    async def start() -> str:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    service.base_url = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield service.base_url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextmanager
def moto_sqs() -> Iterator[str]:
    """moto's server (every service it emulates, SQS included); yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
