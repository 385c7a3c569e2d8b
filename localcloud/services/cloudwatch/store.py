"""The local cloud's CloudWatch metrics: datapoints (time, value, unit) per metric, where a
metric is (namespace, name, dimensions), and the statistics CloudWatch answers over a window."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Mapping

# Until the cloud sets it from its alarms (the longest window plus a margin: service.watch), what
# a store keeps; either way bounded, so a long-running local cloud does not grow without end.
RETENTION_S = 3 * 3600
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")
STATISTICS = ("Sum", "Maximum", "Minimum", "Average", "SampleCount")

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]


def metric_key(namespace: str, name: str, dimensions: Mapping[str, str] | None) -> MetricKey:
    return namespace, name, frozenset((str(k), str(v)) for k, v in (dimensions or {}).items())


def check_statistic(stat: str) -> None:
    if stat not in STATISTICS and not _PERCENTILE.match(stat):
        raise ValueError(f"statistic {stat!r} is not one the local cloud computes ({', '.join(STATISTICS)}, pNN)")


def statistic(values: list[float], stat: str) -> float | None:
    """CloudWatch's statistic of a window's values; None (no datapoint) when it holds none."""
    if not values:
        return None
    if stat == "Sum":
        return sum(values)
    if stat == "Maximum":
        return max(values)
    if stat == "Minimum":
        return min(values)
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "SampleCount":
        return float(len(values))
    match = _PERCENTILE.match(stat)
    if not match:
        check_statistic(stat)
    ordered = sorted(values)  # nearest rank: a value that was observed, as CloudWatch reports
    rank = max(1, math.ceil(float(match.group(1)) / 100 * len(ordered)))
    return ordered[rank - 1]


class _Series:
    """One metric's datapoints in buckets of a second: a window reads only its own seconds, so
    evaluating the alarms each second costs what their windows hold, not what is kept."""

    def __init__(self) -> None:
        self.buckets: dict[int, list[tuple[float, float, str]]] = {}
        self.seconds: deque[int] = deque()  # the buckets' seconds, oldest first

    def add(self, at: float, value: float, unit: str, oldest: float) -> None:
        second = math.floor(at)
        bucket = self.buckets.get(second)
        if bucket is None:
            bucket = self.buckets[second] = []
            self.seconds.append(second)  # a late point (an EMF line's earlier Timestamp) may come out of order: harmless
        bucket.append((at, value, unit))
        while self.seconds and self.seconds[0] < math.floor(oldest):  # every point of that second is older
            self.buckets.pop(self.seconds.popleft(), None)

    def values(self, start: float, end: float) -> list[float]:
        out: list[float] = []
        for second in range(math.floor(start), math.floor(end) + 1):
            bucket = self.buckets.get(second)
            if bucket:
                out += [v for at, v, _ in bucket if start <= at < end]
        return out


class MetricStore:
    """Datapoints per metric; points older than the retention are dropped as new ones come."""

    def __init__(self, retention_s: float = RETENTION_S, clock=time.time) -> None:
        self.retention_s = retention_s
        self.clock = clock
        self._series: dict[MetricKey, _Series] = {}
        self._lock = threading.Lock()  # function logs arrive from the loop and from worker threads

    def put(self, namespace: str, name: str, dimensions: Mapping[str, str] | None, value: float, unit: str = "None", at: float | None = None) -> None:
        at = self.clock() if at is None else at
        key = metric_key(namespace, name, dimensions)
        with self._lock:
            self._series.setdefault(key, _Series()).add(at, float(value), unit, self.clock() - self.retention_s)

    def values(self, namespace: str, name: str, dimensions: Mapping[str, str] | None, start: float, end: float) -> list[float]:
        """The values of datapoints with start <= time < end."""
        with self._lock:
            series = self._series.get(metric_key(namespace, name, dimensions))
            return series.values(start, end) if series else []

    def statistic(self, namespace: str, name: str, dimensions: Mapping[str, str] | None, stat: str, start: float, end: float) -> float | None:
        return statistic(self.values(namespace, name, dimensions, start, end), stat)

    def metrics(self) -> list[MetricKey]:
        with self._lock:
            return list(self._series)
