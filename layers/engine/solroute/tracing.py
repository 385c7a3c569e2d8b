"""Powertools' Tracer when tracing is on, and nothing when it is off.

Creating a Tracer imports the X-Ray SDK, about 70 ms of every cold start, even with
POWERTOOLS_TRACE_DISABLED set (the local cloud sets it: no X-Ray daemon runs there). With
tracing off the handler is returned as it is; on AWS (Tracing: Active) nothing changes."""

from __future__ import annotations

import os
from typing import Any, Callable


def _disabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true")


def capture_lambda_handler(handler: Callable[..., Any]) -> Callable[..., Any]:
    if _disabled():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(handler)
