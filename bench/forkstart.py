"""Cold start, process start to ready, of every function of template.yaml: a new process (the
plain start) against an instance forked from the function's template process, beside
`python -c "import boto3"` (process start to exit). Medians of N rounds, interleaved so that the
machine's noise hits every column alike. No cloud is needed: an instance is started and stopped.

    python -m bench.forkstart [ROUNDS] [--param NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from localcloud.resources import Deployed
from localcloud.services.awslambda.instance import Worker
from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.template import Template

ROOT = Path(__file__).resolve().parents[1]


async def _start_ms(fn: LocalFunction) -> float:
    worker = Worker(fn)
    ready = await worker.start(60)
    if not ready.get("ready"):
        raise RuntimeError(f"{fn.logical_id}: {ready}")
    await worker.stop()
    return worker.init_s * 1000


async def measure(rounds: int, params: dict[str, str]) -> dict[str, dict[str, float]]:
    template = Template(ROOT / "template.yaml", params)
    deployed = Deployed(prefix="bench", api_endpoints={"WebSocketApi": "ws://127.0.0.1:1"})
    logs: list[str] = []
    pairs = {}
    for logical_id, spec in template.functions().items():
        env = deployed.environment(template, spec.environment)
        pairs[logical_id] = tuple(
            LocalFunction(spec, env, "http://127.0.0.1:1", logical_id, lambda f, r, line: logs.append(f"{f}: {line}"), fork=fork) for fork in (False, True)
        )
    for _, forked in pairs.values():
        await _start_ms(forked)  # the template's import: once, as a snapshot is taken once
    boto3: list[float] = []
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    base_env = next(iter(pairs.values()))[0].process_env()
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import boto3"], env=base_env, check=True)
            boto3.append((time.perf_counter() - started) * 1000)
            for logical_id, (plain, forked) in pairs.items():
                times[logical_id][0].append(await _start_ms(plain))
                times[logical_id][1].append(await _start_ms(forked))
    finally:
        await asyncio.gather(*(fn.stop() for pair in pairs.values() for fn in pair))
    unsafe = [line for line in logs if "plain way" in line]
    if unsafe:
        print("\n".join(unsafe), file=sys.stderr)
    out = {"import boto3": {"ms": statistics.median(boto3)}}
    for logical_id, (plain, forked) in times.items():
        out[logical_id] = {"plainMs": statistics.median(plain), "forkMs": statistics.median(forked)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.forkstart", description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=7)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a template parameter")
    args = parser.parse_args()
    result = asyncio.run(measure(args.rounds, dict(p.split("=", 1) for p in args.param)))
    boto3 = result.pop("import boto3")["ms"]
    print(f"import boto3, process start to exit: {boto3:.1f} ms (median of {args.rounds})")
    for logical_id, r in result.items():
        print(f"{logical_id:24s} new process {r['plainMs']:7.1f} ms ({r['plainMs'] / boto3:.2f}x)   forked {r['forkMs']:6.1f} ms ({r['forkMs'] / boto3:.3f}x)")


if __name__ == "__main__":
    main()
