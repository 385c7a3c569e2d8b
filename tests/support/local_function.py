"""A LocalFunction running one of tests/localcloud/fixture_function's handlers (on a runtime API
address nothing listens on), and run(), how these tests run an async scenario."""

from __future__ import annotations

import asyncio
from pathlib import Path

from localcloud.services.awslambda.constants import INIT_TIMEOUT_S
from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.template import FunctionSpec

HERE = Path(__file__).resolve().parents[1] / "localcloud" / "fixture_function"


def function(
    handler: str, timeout: int = 3, env: dict | None = None, reserved: int | None = None, logs: list | None = None, max_instances: int = 8, init_timeout_s: float = INIT_TIMEOUT_S
) -> LocalFunction:
    spec = FunctionSpec(handler.replace(".", "_"), HERE, handler, "python3.11", timeout, 128, reserved, {}, [])
    sink = (lambda fn, rid, line: logs.append((rid, line))) if logs is not None else (lambda *a: None)
    return LocalFunction(spec, env or {}, "http://127.0.0.1:9", f"test-{handler}", sink, max_instances=max_instances, init_timeout_s=init_timeout_s)


def run(coroutine):
    return asyncio.run(coroutine)
