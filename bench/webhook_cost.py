"""What a webhook costs per order, and that an order without one costs nothing more
(docs/webhooks.md): a metered local cloud, N orders without a webhook, N with one (to a receiver
here that answers 200), N without again; calls the functions make and invocations, per order.

  python -m bench.webhook_cost [N]
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp

from tests.support.cloud_client import get_order, poll, submit, wait_final
from tests.support.cloud_process import FAST
from tests.support.cloud_process import RunningCloud, start_cloud, stop_cloud


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _counters(cloud: RunningCloud) -> tuple[Counter, Counter]:
    stats = cloud.stats()
    invocations = Counter({name: f["invocations"] for name, f in stats["functions"].items()})
    calls = Counter({f"{name} {op}": n for name, f in stats["functions"].items() for op, n in (f.get("usage", {}).get("calls") or {}).items()})
    return invocations, calls


def _quiet(cloud: RunningCloud, for_s: float = 1.5, timeout_s: float = 60) -> None:
    """Until no function has been invoked for ``for_s`` (the stream's last records handled)."""
    last, since, deadline = _counters(cloud)[0], time.monotonic(), time.monotonic() + timeout_s
    while time.monotonic() < deadline and time.monotonic() - since < for_s:
        time.sleep(0.25)
        now = _counters(cloud)[0]
        if now != last:
            last, since = now, time.monotonic()


async def _orders(cloud: RunningCloud, count: int, **fields) -> list[dict]:
    async with aiohttp.ClientSession(headers=cloud.headers) as session:
        accepted = await asyncio.gather(*(submit(session, cloud.http, **fields) for _ in range(count)))
        finals = await asyncio.gather(*(wait_final(session, cloud.http, a["orderId"], timeout=120) for a in accepted))
        if fields.get("webhookUrl"):  # until each status change has been recorded
            for order in finals:
                await poll(lambda: get_order(session, cloud.http, order["orderId"]), lambda o: len(o["webhookDeliveries"] or {}) == len(o["history"]), 60, 0.2)
        return finals


def measure(count: int = 30) -> dict:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cloud = start_cloud(FAST, "--meter", "--quiet")
    try:
        asyncio.run(_orders(cloud, count))  # warm every function first
        _quiet(cloud)
        results = {}
        for phase, fields in (("without", {}), ("with", {"webhookUrl": f"http://127.0.0.1:{server.server_port}/hook"}), ("without, again", {})):
            before = _counters(cloud)
            finals = asyncio.run(_orders(cloud, count, **fields))
            _quiet(cloud)
            after = _counters(cloud)
            results[phase] = {
                "confirmed": sum(o["status"] == "confirmed" for o in finals),
                # GET polling by this script shows as ApiFunction/AuthorizerFunction calls in every phase alike.
                "invocationsPerOrder": {k: round(v / count, 2) for k, v in sorted((after[0] - before[0]).items())},
                "callsPerOrder": {k: round(v / count, 2) for k, v in sorted((after[1] - before[1]).items())},
            }
        return results
    finally:
        stop_cloud(cloud)
        server.shutdown()


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 30), indent=1))
