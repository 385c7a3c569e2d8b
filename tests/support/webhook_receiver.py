"""A webhook receiver for the end-to-end tests: a real HTTP server on 127.0.0.1 with paths that
answer at once, fail twice, or hang; and the wait until every status of an order is delivered."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp

from tests.support.cloud_client import get_order, poll, run


class Receiver:
    """An HTTP server on a free port of 127.0.0.1. Paths: /ok answers 204; /flaky answers 500 to
    the first two attempts of every status change, then 200; /hang answers only once released."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict, bytes]] = []
        self.answered: Counter[str] = Counter()  # by path
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.requests.append((self.path, headers, body))
                    seen = sum(1 for p, h, _ in receiver.requests if p == self.path and h["x-solroute-delivery"] == headers["x-solroute-delivery"])
                if self.path == "/hang":
                    receiver.release.wait(30)  # stops by itself whatever happens to the test
                status = 500 if self.path == "/flaky" and seen <= 2 else 204 if self.path == "/ok" else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    return  # the sender gave up waiting
                with receiver._lock:
                    receiver.answered[self.path] += 1

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path: str) -> list[tuple[dict, bytes]]:
        with self._lock:
            return [(h, b) for p, h, b in self.requests if p == path]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def until_every_status_delivered(cloud, order: dict, timeout: float = 90) -> dict:
    """The order once each status change in its history shows a delivered attempt."""
    seqs = {str(h["seq"]) for h in order["history"]}

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            return await poll(
                lambda: get_order(session, cloud.http, order["orderId"]),
                lambda o: all(any(a["outcome"] == "delivered" for a in (o["webhookDeliveries"] or {}).get(s, [])) for s in seqs),
                timeout=timeout, interval=0.2,
            )  # fmt: skip

    return run(scenario())
