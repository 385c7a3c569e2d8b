"""The local cloud's CloudWatch Logs: every line every function printed (and the local cloud's own
lines), kept in memory and searchable (GET /_localcloud/logs?contains=TEXT&limit=N).

Bounded: the newest MAX_LINES lines and at most MAX_BYTES of text, the oldest dropped first, so a
cloud left running for days holds the last hours, not everything. A line costs one tuple and an
append on the sink's path; the work of a search (a substring test per line kept) is paid by the
search, not by the functions."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from aiohttp import web

MAX_LINES = 200_000
MAX_BYTES = 64 * 1024 * 1024
DEFAULT_LIMIT, MOST_LIMIT = 1000, 10_000

Sink = Callable[[str, str | None, str], None]


class LogEvent(NamedTuple):
    timestamp_ms: int
    function: str  # the logical id, or "localcloud" for the cloud's own lines
    request_id: str | None
    message: str

    def as_json(self) -> dict:
        return {"timestampMs": self.timestamp_ms, "function": self.function, "requestId": self.request_id, "message": self.message}


class LogStore:
    def __init__(self, max_lines: int = MAX_LINES, max_bytes: int = MAX_BYTES) -> None:
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self._events: deque[LogEvent] = deque()
        self._bytes = 0
        self.dropped = 0  # lines let go to stay within the bound
        self._lock = threading.Lock()  # lines come from the event loop and from the threads that read instances

    def add(self, function: str, request_id: str | None, line: str) -> None:
        if not line or line.isspace():
            return
        event = LogEvent(int(time.time() * 1000), function, request_id, line)
        with self._lock:
            self._events.append(event)
            self._bytes += len(line)
            while len(self._events) > self.max_lines or self._bytes > self.max_bytes:
                self._bytes -= len(self._events.popleft().message)
                self.dropped += 1

    def tee(self, sink: Sink) -> Sink:
        """``sink``, with every line also kept here."""

        def both(function: str, request_id: str | None, line: str) -> None:
            self.add(function, request_id, line)
            sink(function, request_id, line)

        return both

    def search(self, contains: str, limit: int = DEFAULT_LIMIT) -> list[LogEvent]:
        """The newest ``limit`` lines that contain ``contains`` (every line when empty), oldest first."""
        with self._lock:
            kept = list(self._events)  # a snapshot: the sink goes on while this searches
        found: list[LogEvent] = []
        for event in reversed(kept):
            if contains in event.message:
                found.append(event)
                if len(found) >= limit:
                    break
        found.reverse()
        return found

    async def handle(self, request: web.Request) -> web.Response:
        """GET /_localcloud/logs?contains=TEXT&limit=N -> {"events": [...], "dropped": n}."""
        try:
            limit = int(request.query.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return web.json_response({"message": "limit must be a whole number"}, status=400)
        if not 1 <= limit <= MOST_LIMIT:
            return web.json_response({"message": f"limit must be 1 to {MOST_LIMIT}"}, status=400)
        events = self.search(request.query.get("contains", ""), limit)
        return web.json_response({"events": [e.as_json() for e in events], "dropped": self.dropped})
