"""Count what a process asks of AWS, for the cost benchmark (solroute up --meter).

Hooks botocore's event system on every client the process creates: calls by service and
operation, and DynamoDB request units estimated from item sizes as DynamoDB bills them
(writes per started KB, strongly consistent reads per started 4 KB, eventually consistent
reads at half). It also adds up time spent in time.sleep (the simulated venue delays and the
engine's waits for the chain), and counts JSON-RPC requests sent with http.client (the Solana
node: the engine's RPC client is not botocore). With the invocation's CPU time, take() gives what
the cost model bills: each invocation's CPU and sleep, rounded up to the millisecond.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
from collections import Counter
from typing import Any

_WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem"}


def attribute_size(value: dict) -> int:
    """Bytes DynamoDB counts for one typed attribute value ({"S": ...}, {"N": ...}, ...)."""
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = len(str(data).lstrip("-").replace(".", "").lstrip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in data)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in data.items())
    return 0


def item_size(item: dict | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


class Meter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.wru = 0.0
        self.rru = 0.0
        self._sleeps: list[tuple[float, float]] = []  # (start, end) of each sleep, monotonic seconds
        self._lock = threading.Lock()

    # ------------------------------------------------------------ install
    def install(self) -> "Meter":
        import botocore.session

        meter, original_create = self, botocore.session.Session.create_client

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original_create(session, *args, **kwargs)
            client.meta.events.register("before-call.*.*", meter._remember_params)
            client.meta.events.register("after-call.*.*", meter._after_call)
            client.meta.events.register("after-call-error.*.*", meter._after_error)
            return client

        botocore.session.Session.create_client = create_client
        real_sleep = time.sleep

        def sleep(seconds: float) -> None:
            # The time asked for, from when it was asked: oversleeping on a busy machine is not billed.
            started = time.monotonic()
            with meter._lock:
                meter._sleeps.append((started, started + max(0.0, seconds)))
            real_sleep(seconds)

        time.sleep = sleep
        real_request = http.client.HTTPConnection.request

        def request(connection: Any, method: str, url: str, body: Any = None, *args: Any, **kwargs: Any) -> Any:
            meter._count_json_rpc(body)
            return real_request(connection, method, url, body, *args, **kwargs)

        http.client.HTTPConnection.request = request  # HTTPSConnection inherits it
        return self

    # ------------------------------------------------------------ hooks
    _local = threading.local()

    def _remember_params(self, params: dict, **_: Any) -> None:
        # The serialized request: for DynamoDB, JSON with typed attribute values.
        body = params.get("body") if isinstance(params, dict) else None
        try:
            self._local.params = json.loads(body) if body else {}
        except (TypeError, ValueError):
            self._local.params = {}

    def _after_call(self, event_name: str, parsed: dict, model: Any, **_: Any) -> None:
        self._count(event_name, model.name, getattr(self._local, "params", {}) or {}, parsed or {})

    def _after_error(self, event_name: str, model: Any, **_: Any) -> None:
        self._count(event_name, model.name, getattr(self._local, "params", {}) or {}, {})

    def _count(self, event_name: str, operation: str, params: dict, parsed: dict) -> None:
        service = event_name.split(".")[1]
        wru = rru = 0.0
        if service == "dynamodb":
            try:
                wru, rru = self._units(operation, params, parsed)
            except Exception:  # noqa: BLE001 - measuring must never break the function
                wru = rru = 0.0
        with self._lock:
            self.calls[f"{service}.{operation}"] += 1
            self.wru += wru
            self.rru += rru

    def _count_json_rpc(self, body: Any) -> None:
        """One call a JSON-RPC 2.0 request (each of a batch), as ``jsonrpc.<method>``. botocore's
        requests pass here too (urllib3 1.x) or not at all (2.x): they are not JSON-RPC."""
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, (bytes, bytearray)) or b'"jsonrpc"' not in body:
            return
        try:
            message = json.loads(body)
        except ValueError:
            return
        batch = message if isinstance(message, list) else [message]
        methods = [m["method"] for m in batch if isinstance(m, dict) and "jsonrpc" in m and isinstance(m.get("method"), str)]
        with self._lock:
            self.calls.update(f"jsonrpc.{m}" for m in methods)

    @staticmethod
    def _units(operation: str, params: dict, parsed: dict) -> tuple[float, float]:
        if operation in _WRITE_OPS:
            size = item_size(params.get("Item") or parsed.get("Attributes") or params.get("Key"))
            return float(max(1, math.ceil(size / 1024))), 0.0
        if operation == "BatchWriteItem":
            units = 0
            for requests in params.get("RequestItems", {}).values():
                for request in requests:
                    put = request.get("PutRequest", {}).get("Item")
                    units += max(1, math.ceil(item_size(put) / 1024)) if put else 1
            return float(units), 0.0
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            blocks = max(1, math.ceil(item_size(parsed.get("Item")) / 4096))
            return 0.0, blocks * (1.0 if consistent else 0.5)
        if operation in ("Query", "Scan"):
            blocks = max(1, math.ceil(sum(item_size(i) for i in parsed.get("Items", [])) / 4096))
            return 0.0, blocks * (1.0 if consistent else 0.5)
        return 0.0, 0.0

    # ------------------------------------------------------------ report
    def take(self, cpu_ms: float | None = None) -> dict:
        """What was counted since the last take(). Called once an invocation with its CPU time
        (``cpu_ms``), it adds the invocation's own billed part: ceil(CPU + sleep) in whole ms."""
        with self._lock:
            slept_ms = _covered(self._sleeps) * 1000
            out = {"calls": dict(self.calls), "wru": self.wru, "rru": self.rru, "sleptMs": slept_ms}
            if cpu_ms is not None:
                out["cpuMs"] = cpu_ms
                out["cpuSleptCeilMs"] = math.ceil(round(cpu_ms + slept_ms, 6))
            self.calls, self.wru, self.rru, self._sleeps = Counter(), 0.0, 0.0, []
        return out


def _covered(intervals: list[tuple[float, float]]) -> float:
    """Seconds during which at least one sleep ran: sleeps in parallel threads (the router asks
    the venues at once) overlap, and an invocation waits through them once, not once each."""
    covered, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered


def merge(total: dict, part: dict) -> dict:
    calls = Counter(total.get("calls", {}))
    calls.update(part.get("calls", {}))
    return {
        "calls": dict(calls),
        "wru": total.get("wru", 0.0) + part.get("wru", 0.0),
        "rru": total.get("rru", 0.0) + part.get("rru", 0.0),
        "sleptMs": total.get("sleptMs", 0.0) + part.get("sleptMs", 0.0),
        "cpuMs": total.get("cpuMs", 0.0) + part.get("cpuMs", 0.0),
        "cpuSleptCeilMs": total.get("cpuSleptCeilMs", 0) + part.get("cpuSleptCeilMs", 0),
    }
