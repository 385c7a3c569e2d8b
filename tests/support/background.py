"""Run an aiohttp app or an in-process local cloud on an event loop of its own, in a thread, so
a test can call a command line that runs `asyncio.run` itself (as `solroute` does)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")


@contextmanager
def loop_in_thread() -> Iterator[Callable[[Awaitable[T]], T]]:
    """Yields ``run(coroutine)``: runs it on the thread's loop and returns its result."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine: Awaitable[T], timeout_s: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout_s)  # type: ignore[arg-type]

    try:
        yield run
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextmanager
def serving(app: web.Application) -> Iterator[str]:
    """Serve ``app`` on a free port; yields its base URL."""
    with loop_in_thread() as run:
        runner = web.AppRunner(app)
        run(runner.setup())
        run(web.TCPSite(runner, "127.0.0.1", 0).start())
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            run(runner.cleanup())


@contextmanager
def local_cloud(config: Any, printer: Any) -> Iterator[Any]:
    """A started LocalCloud (localcloud.cloud) for ``config``; stopped on exit."""
    from localcloud.cloud import LocalCloud

    with loop_in_thread() as run:
        cloud = LocalCloud(config, printer)
        try:
            run(cloud.start(), 120)
            yield cloud
        finally:
            run(cloud.stop(), 60)
