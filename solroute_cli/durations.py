"""Durations as the options take them: "90" or "90s", "10m", "2h", "1d"."""

from __future__ import annotations

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> int | None:
    """Seconds in "90", "90s", "10m", "2h" or "1d"; None when the text is not a duration (an ISO time)."""
    text = text.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    if not number.isdigit():
        return None
    return int(number) * _UNITS[unit]
