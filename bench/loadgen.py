"""Our own load generator: asyncio, a real HTTP POST and one real WebSocket per order.

Times are wall-clock milliseconds (time.time), the clock the engine stamps each status with,
so "status written -> received" compares like with like on one machine.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import aiohttp

FINAL = ("confirmed", "failed")


def now_ms() -> float:
    return time.time() * 1000


@dataclass
class OrderTrace:
    index: int
    offered_ms: float
    posted_ms: float | None = None
    accepted_ms: float | None = None
    ws_opened_ms: float | None = None  # the WebSocket handshake done ($connect answered)
    ws_open_ms: float | None = None  # how long the handshake took
    http_status: int | None = None
    order_id: str | None = None
    final_status: str | None = None
    final_ms: float | None = None
    error: str | None = None
    refusal: str | None = None  # the API's message when it did not accept the order
    # status -> (written ms on the server, received ms here, live: False when it came in a snapshot)
    statuses: dict[str, tuple[float, float, bool]] = field(default_factory=dict)

    @property
    def post_ms(self) -> float | None:
        return None if self.accepted_ms is None or self.posted_ms is None else self.accepted_ms - self.posted_ms

    @property
    def submit_to_final_ms(self) -> float | None:
        return None if self.final_ms is None or self.posted_ms is None else self.final_ms - self.posted_ms

    def written(self, status: str) -> float | None:
        return self.statuses[status][0] if status in self.statuses else None


def burst(count: int) -> list[float]:
    """Every order offered at once (seconds from the start)."""
    return [0.0] * count


def poisson(rate_per_minute: float, duration_s: float, seed: int) -> list[float]:
    rng, t, out = random.Random(seed), 0.0, []
    while True:
        t += rng.expovariate(rate_per_minute / 60)
        if t >= duration_s:
            return out
        out.append(t)


class LoadGenerator:
    def __init__(
        self, api: str, order_body: Callable[[int], dict], timeout_s: float, post_concurrency: int = 64, api_key: str = ""
    ) -> None:
        """``post_concurrency`` is the number of clients: at most that many POSTs at once. The
        API key goes on every request and WebSocket handshake (the x-api-key header)."""
        self.api = api
        self.headers = {"x-api-key": api_key} if api_key else {}
        self.order_body = order_body
        self.timeout_s = timeout_s
        self._post_slots = asyncio.Semaphore(post_concurrency)

    async def run(self, offsets_s: list[float]) -> list[OrderTrace]:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None), headers=self.headers) as session:
            start = time.monotonic()
            traces = [OrderTrace(i, 0.0) for i in range(len(offsets_s))]
            tasks = [asyncio.create_task(self._one(session, trace, start + offset)) for trace, offset in zip(traces, offsets_s)]
            await asyncio.gather(*tasks)
        return traces

    async def run_one_at_a_time(self, count: int) -> list[OrderTrace]:
        """One client, one order at a time: each order is offered once the last is final."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None), headers=self.headers) as session:
            traces = [OrderTrace(i, 0.0) for i in range(count)]
            for trace in traces:
                await self._one(session, trace, time.monotonic())
        return traces

    async def _one(self, session: aiohttp.ClientSession, trace: OrderTrace, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        trace.offered_ms = now_ms()
        try:
            async with self._post_slots:
                trace.posted_ms = now_ms()
                async with session.post(f"{self.api}/api/orders/execute", json=self.order_body(trace.index)) as response:
                    trace.http_status = response.status
                    body = await response.json(content_type=None)
                    trace.accepted_ms = now_ms()
            if response.status != 202:
                trace.error = f"HTTP {response.status}: {body}"
                trace.refusal = body.get("error", {}).get("message") if isinstance(body, dict) else None
                return
            trace.order_id = body["orderId"]
            await asyncio.wait_for(self._watch(session, body["websocketUrl"], trace), self.timeout_s)
        except asyncio.TimeoutError:
            trace.error = f"not final after {self.timeout_s:.0f} s"
        except (aiohttp.ClientError, ValueError, KeyError) as error:
            trace.error = f"{type(error).__name__}: {error}"

    async def _watch(self, session: aiohttp.ClientSession, url: str, trace: OrderTrace) -> None:
        opening = now_ms()
        async with session.ws_connect(url) as socket:
            trace.ws_opened_ms = now_ms()
            trace.ws_open_ms = trace.ws_opened_ms - opening
            await socket.send_str(json.dumps({"action": "subscribe", "orderId": trace.order_id}))
            async for message in socket:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                received = now_ms()
                payload = json.loads(message.data)
                if payload.get("type") == "snapshot":
                    for entry in payload["history"]:
                        trace.statuses.setdefault(entry["status"], (entry["timestampMs"], received, False))
                elif payload.get("type") == "status_update":
                    trace.statuses.setdefault(payload["status"], (payload["timestampMs"], received, True))
                elif payload.get("type") == "error":
                    trace.error = payload["error"]["message"]
                    return
                final = next((s for s in FINAL if s in trace.statuses), None)
                if final:
                    trace.final_status, trace.final_ms = final, trace.statuses[final][1]
                    return
            trace.error = "WebSocket closed before the order was final"


class InFlightSampler:
    """Samples the local cloud's invocation counters while a profile runs."""

    def __init__(self, stats_url: str, function: str, period_s: float = 0.2) -> None:
        self.stats_url = stats_url
        self.function = function
        self.period_s = period_s
        self.samples: list[tuple[float, int]] = []
        self._task: asyncio.Task | None = None

    async def _loop(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(self.stats_url) as r:
                        stats = await r.json()
                    self.samples.append((now_ms(), stats["functions"][self.function]["inFlight"]))
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(self.period_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
