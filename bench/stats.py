"""Statistics the benchmarks report: percentiles, rolling-window counts, CDFs."""

from __future__ import annotations

import bisect
import math
from typing import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summary(values: Sequence[float], digits: int = 1) -> dict:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "count": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values)) if values else None,
        "mean": r(sum(values) / len(values)) if values else None,
    }


def max_in_window(times: Sequence[float], window: float) -> int:
    """The most events in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, bisect.bisect_left(ordered, start + window) - i)
    return best


def min_in_full_windows(times: Sequence[float], window: float, start: float, end: float, step: float = 1.0) -> int | None:
    """The fewest events in any window [t, t + window) lying wholly inside [start, end];
    None when the span is shorter than one window."""
    if end - start < window:
        return None
    ordered = sorted(times)
    lowest, t = None, start
    while t + window <= end + 1e-9:
        count = bisect.bisect_left(ordered, t + window) - bisect.bisect_left(ordered, t)
        lowest = count if lowest is None else min(lowest, count)
        t += step
    return lowest


def rate_per_minute(times: Sequence[float]) -> float | None:
    """Events per minute between the first and the last event (n - 1 intervals)."""
    if len(times) < 2:
        return None
    span = max(times) - min(times)
    return (len(times) - 1) / span * 60 if span > 0 else None


def cdf(values: Sequence[float]) -> tuple[list[float], list[float]]:
    ordered = sorted(values)
    n = len(ordered)
    return ordered, [(i + 1) / n for i in range(n)]


def sliding_log_starts(arrivals: Sequence[float], limit: int, window: float) -> list[float]:
    """When each order would start under the most permissive limiter that keeps "at most
    ``limit`` starts in any rolling ``window``": a sliding log of starts. An order starts at
    its arrival, or, when the last ``limit`` starts all lie within one window of that, as soon
    as the oldest of them leaves the window. Returned in arrival order."""
    starts: list[float] = []
    for arrival in sorted(arrivals):
        start = arrival
        if len(starts) >= limit:
            start = max(start, starts[-limit] + window)
        starts.append(start)
    return starts
