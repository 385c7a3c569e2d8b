"""One readable log stream: time, function, request id, level, message and the useful keys."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TextIO

# Keys powertools adds to every line; the stream shows the function and request id itself (so does `solroute ops order`).
QUIET_KEYS = {
    "level", "message", "timestamp", "location", "service", "cold_start", "function_name", "function_memory_size",
    "function_arn", "function_request_id", "xray_trace_id", "sampling_rate", "exception_name",
}  # fmt: skip
_COLORS = {"DEBUG": "\033[90m", "INFO": "\033[36m", "WARNING": "\033[33m", "ERROR": "\033[31m", "CRITICAL": "\033[31m"}


class LogPrinter:
    def __init__(self, stream: TextIO | None = None, show_metrics: bool = False, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.show_metrics = show_metrics
        self.quiet = quiet
        self.color = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._lock = threading.Lock()

    def __call__(self, source: str, request_id: str | None, line: str) -> None:
        if self.quiet or not line.strip():
            return
        level, text = "INFO", line
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                if "_aws" in record:
                    if not self.show_metrics:
                        return
                    names = [m["Name"] for d in record["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
                    text = "metrics " + " ".join(f"{n}={record.get(n)}" for n in names)
                else:
                    level = str(record.get("level", "INFO"))
                    extras = " ".join(f"{k}={v}" for k, v in record.items() if k not in QUIET_KEYS and k != "exception")
                    text = f"{record.get('message', '')}  {extras}".rstrip()
                    if record.get("exception"):
                        text += "\n" + str(record["exception"])
        self.emit(source, request_id, level, text)

    def emit(self, source: str, request_id: str | None, level: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime()) + f".{int(time.time() * 1000) % 1000:03d}"
        rid = (request_id or "-")[:8]
        tag = f"{_COLORS.get(level, '')}{level:<5}\033[0m" if self.color else f"{level:<5}"
        with self._lock:
            self.stream.write(f"{stamp} {source:<22} {rid:<8} {tag} {text}\n")
            self.stream.flush()
