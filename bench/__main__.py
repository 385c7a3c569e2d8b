"""make bench: run benchmark profiles against the local cloud and write results and charts.

  python -m bench                      every profile
  python -m bench seed overhead        some of them
  python -m bench --quick cost         smaller runs, for a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path

from bench import twap
from bench.profiles import BENCH_KEY_PARAMS, PROFILES, Context, fund, headline
from tests.support.cloud_process import start_cloud, stop_cloud

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def _print(name: str, result: dict, seconds: float) -> None:
    print(f"\n== {name} ({seconds:.0f} s) ==")
    for key, value in headline(name, result):
        print(f"  {key:<40} {json.dumps(value)}")
    if name == "cost":
        for kind, title in (("units", "counted units (the same on any machine)"), ("modelled", "modelled Lambda durations (CPU + waits, per-invocation 1 ms rounding)")):
            print(f"  {title}:")
            for line in (line for line in result["lines"] if line.get("kind", "units") == kind):
                print(f"    {line['item']:<44} {line['perOrder']:>12} {line['unit']:<12} ${line['dollarsPer1MOrders']:>8.3f} / 1M orders {line['share']:>6.1%}")
    if name == "twap":
        print("\n".join(twap.table(result)))
    for problem in result.get("problems", [])[:10]:
        print(f"  PROBLEM {problem}")


async def run_profile(name: str, out_dir: Path, quick: bool, overrides: list[str] | None = None) -> dict:
    profile = PROFILES[name]
    params = [*BENCH_KEY_PARAMS, *profile.params, *(overrides or [])]  # later ones win
    cloud = await asyncio.to_thread(start_cloud, params, "--quiet", *profile.flags) if profile.needs_cloud else None
    try:
        if cloud is not None and cloud.api_key:  # on the RPC chain: a wallet deep enough for every profile's orders
            await fund(cloud.http, cloud.api_key)
        started = time.monotonic()
        result = await profile.run(Context(cloud, out_dir, profile, quick, params=list(overrides or [])))
        seconds = time.monotonic() - started
    finally:
        if cloud is not None:
            code = await asyncio.to_thread(stop_cloud, cloud)
            if code != 0:
                result = locals().get("result", {"problems": []})
                result.setdefault("problems", []).append(f"the local cloud did not stop cleanly (exit {code})")
    document = {
        "profile": name,
        "description": profile.description,
        "templateParameters": params,
        "quick": quick,
        "finishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(seconds, 1),
        "machine": machine(),
        "result": result,
    }
    (out_dir / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    _print(name, result, seconds)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="*", choices=[*PROFILES, []], metavar="PROFILE", help=f"any of: {', '.join(PROFILES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer orders and rounds: a smoke run, not a result")
    parser.add_argument("--out", default=str(RESULTS), help=f"where results and charts go (default {RESULTS})")
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE",
        help="a template parameter for every profile's cloud, after the profile's own (repeatable), e.g. --param RateLimitMinGapMs=0",
    )  # fmt: skip
    args = parser.parse_args(argv)
    bad = [p for p in args.param if "=" not in p]
    if bad:
        parser.error(f"--param takes NAME=VALUE, not {bad[0]!r}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    broken = []
    for name in args.profiles or list(PROFILES):
        result = asyncio.run(run_profile(name, out_dir, args.quick, args.param))
        if result.get("problems"):
            broken.append(name)
    if broken:
        print(f"\nthe run itself broke in: {', '.join(broken)}", file=sys.stderr)
        return 1
    print(f"\nresults and charts in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
