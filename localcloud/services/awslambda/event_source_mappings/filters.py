"""Lambda event filtering: the EventBridge-style pattern syntax of FilterCriteria."""

from __future__ import annotations

import json
from typing import Any

_MISSING = object()


def _numeric(spec: list, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return False
    ops = {"<": float.__lt__, "<=": float.__le__, "=": float.__eq__, ">": float.__gt__, ">=": float.__ge__}
    return all(ops[spec[i]](float(value), float(spec[i + 1])) for i in range(0, len(spec), 2))


def _matches_value(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        (op, arg), = rule.items()
        if op == "exists":
            return (value is not _MISSING) == bool(arg)
        if value is _MISSING:
            return False
        if op == "prefix":
            return isinstance(value, str) and value.startswith(arg)
        if op == "suffix":
            return isinstance(value, str) and value.endswith(arg)
        if op == "equals-ignore-case":
            return isinstance(value, str) and value.lower() == str(arg).lower()
        if op == "anything-but":
            excluded = arg if isinstance(arg, list) else [arg]
            return value not in excluded
        if op == "numeric":
            return _numeric(arg, value)
        raise ValueError(f"unsupported filter operator {op!r}")
    if value is _MISSING:
        return False
    return rule == value


def matches(pattern: dict, event: Any) -> bool:
    """True when ``event`` satisfies every field of ``pattern``."""
    if not isinstance(event, dict):
        return False
    for key, rule in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(rule, dict):
            if not matches(rule, value if isinstance(value, dict) else {}):
                return False
            continue
        candidates = value if isinstance(value, list) else [value]
        if not any(_matches_value(r, v) for r in rule for v in candidates):
            return False
    return True


def passes(filter_criteria: dict | None, record: dict) -> bool:
    """A record passes when there are no filters, or when any one filter matches it."""
    filters = (filter_criteria or {}).get("Filters") or []
    if not filters:
        return True
    return any(matches(json.loads(f["Pattern"]), record) for f in filters)
