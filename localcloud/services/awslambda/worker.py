"""One Lambda execution environment: a process that imports one handler and runs it per request.

The parent (runtime.py, through instance.py) speaks JSON lines: requests on stdin, results on the
original stdout. The function's own prints and logs go to stderr, which the parent prefixes and shows.
An instance forked from a function's template process (template_process.py) runs serve() too,
after the runtime hooks a restored snapshot runs (snapshot_restore_py's after-restore hooks).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import IO, Any, Callable

from localcloud.lifeline import die_with_parent
from localcloud.meter import Meter
from localcloud.services.awslambda.context import LambdaContext


def error_reply(error: BaseException, error_type: str | None = None) -> dict:
    return {
        "ok": False,
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(type(error), error, error.__traceback__)[1:],
    }


def prepare() -> tuple[IO[str], Meter | None]:
    """The process as Lambda lays it out: the function's code and layers on sys.path, its code
    directory as cwd, print() going to the log stream. Returns the result channel (the original
    stdout) and the meter, when one is asked for."""
    die_with_parent()
    results = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # print() inside the function goes to the log stream, not the result channel
    sys.stdout.reconfigure(line_buffering=True)
    code_dir = os.environ["LAMBDA_TASK_ROOT"]
    layers = [p for p in os.environ.get("LOCALCLOUD_LAYERS", "").split(os.pathsep) if p]
    sys.path[:0] = [code_dir, *layers]
    os.chdir(code_dir)
    return results, Meter().install() if os.environ.get("LOCALCLOUD_METER") == "1" else None


def load() -> tuple[Callable | None, dict]:
    """The init phase: import the handler. Returns it (None if it failed) and the ready line."""
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    started = time.perf_counter()
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        return handler, {"ready": True, "initMs": round((time.perf_counter() - started) * 1000, 2)}
    except Exception as error:  # noqa: BLE001 - reported to the caller as Lambda does
        return None, {"ready": False, **error_reply(error, "Runtime.ImportModuleError")}


def serve(handler: Callable | None, ready: dict, results: IO[str], meter: Meter | None) -> None:
    """Report ``ready``, then run the handler for each request on stdin until it closes."""
    results.write(json.dumps(ready) + "\n")
    memory = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", os.environ["_HANDLER"])
    for line in sys.stdin:
        request = json.loads(line)
        if handler is None:
            results.write(json.dumps(ready) + "\n")
            continue
        results.write(_invoke(handler, request, name, memory, meter) + "\n")


def _invoke(handler: Callable, request: dict, name: str, memory: int, meter: Meter | None) -> str:
    context = LambdaContext(name, memory, request["timeoutMs"] / 1000, aws_request_id=request["requestId"])
    os.environ["_X_AMZN_TRACE_ID"] = f"Root=1-{request['requestId'][:8]}-{request['requestId'].replace('-', '')[:24]}"
    cpu_started = time.process_time()
    try:
        result: Any = handler(request["event"], context)
    except Exception as error:  # noqa: BLE001 - an unhandled error is a function error
        text = json.dumps(error_reply(error))
    else:
        try:
            text = json.dumps({"ok": True, "result": result})
        except (TypeError, ValueError) as error:
            text = json.dumps(error_reply(error, "Runtime.MarshalError"))
    # The invocation's own CPU time (the process has no other work between requests): what a
    # Lambda instance with its own core would spend, whatever this machine's queueing for cores.
    cpu_ms = (time.process_time() - cpu_started) * 1000
    text = text[:-1] + f', "cpuMs": {cpu_ms:.3f}' + "}"
    if meter is not None:
        text = text[:-1] + ', "meter": ' + json.dumps(meter.take(cpu_ms)) + "}"
    sys.stdout.flush()
    sys.stderr.flush()
    return text


def main() -> None:
    results, meter = prepare()
    handler, ready = load()
    serve(handler, ready, results, meter)


if __name__ == "__main__":
    main()
