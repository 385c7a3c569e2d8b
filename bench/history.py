"""Price an older commit's `cost` profile with today's cost model (docs/benchmarks.md, the history).

    python -m bench.history 4e40106 fdd700b ...   # one line each; --runs N for a median

For each commit: a temporary worktree (/tmp/cm-<sha>), a Python that sees that tree first and
this venv's packages after it (no `make install`: the dependencies only grew), three patches
there and nowhere else (this meter, so its worker reports each invocation's CPU and rounded
billed part; the worker times the handler's CPU as today's does; its `cost` profile writes the
raw stats), then its own `python -m bench cost`, priced with bench.cost. The worktree goes away.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path

from bench import cost
from bench.profiles import sqs_fed
from localcloud.template import Template

ROOT = Path(__file__).resolve().parents[1]
# Today's names (the functions keep theirs across the history): the older trees' templates use the same.
SQS_FED = sqs_fed(Template(ROOT / "template.yaml").functions())
_CALL = 'result = handler(request["event"], context)'
_TAKE = "meter.take()"


def _patch(tree: Path) -> None:
    shutil.copy(ROOT / "localcloud" / "meter.py", tree / "localcloud" / "meter.py")
    worker = next(p for p in (tree / "localcloud").rglob("worker.py") if _CALL in p.read_text())
    text = worker.read_text()
    if "cpu_started = time.process_time()" not in text:  # before the runtime measured CPU
        text = text.replace(_CALL, "cpu_started = time.process_time(); " + _CALL)
    text = text.replace(_TAKE, "meter.take((time.process_time() - cpu_started) * 1000)")
    assert "meter.take((time" in text and "import time" in text, worker
    worker.write_text(text)
    profiles = tree / "bench" / "profiles.py"
    marker = '    memory = {k: s.memory for k, s in Template(ROOT / "template.yaml").functions().items()}\n'
    text = profiles.read_text()
    assert marker in text, profiles
    dump = '    (ctx.out_dir / "cost-stats.json").write_text(__import__("json").dumps({"stats": stats, "orders": finished, "memory": memory}))\n'  # noqa: E501
    profiles.write_text(text.replace(marker, marker + dump, 1))


def _python(tree: Path, home: Path) -> Path:
    """A venv whose path starts with the tree (and its engine layer), then this venv's packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(home), "platbase": str(home)}))
    ours = sysconfig.get_path("purelib")
    (site / "00-tree.pth").write_text(f"{tree}\n{tree / 'layers' / 'engine'}\nimport site; site.addsitedir({ours!r})\n")
    return home / "bin" / "python"


def price(sha: str, runs: int, keep: Path) -> list[dict]:
    tree, home = Path(f"/tmp/cm-{sha}"), Path(f"/tmp/cm-venv-{sha}")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), sha], check=True, capture_output=True)
    try:
        _patch(tree)
        python = _python(tree, home)
        out = []
        for run in range(runs):
            out_dir = keep / f"{sha}-{run + 1}"
            done = subprocess.run([str(python), "-m", "bench", "cost", "--out", str(out_dir)], cwd=tree, capture_output=True, text=True)
            if not (out_dir / "cost-stats.json").exists():
                raise RuntimeError(f"{sha}: the cost profile did not run: {done.stderr[-2000:]}")
            out.append(priced(json.loads((out_dir / "cost-stats.json").read_text())))
        return out
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(home, ignore_errors=True)


def priced(dump: dict) -> dict:
    """Today's model on one run's raw stats: total, units, modelled durations, and the old wall figure."""
    stats, orders, memory = dump["stats"], dump["orders"], dump["memory"]
    lines = cost.cost_lines(stats, orders, memory, sqs_fed=SQS_FED)
    return {
        "total": round(cost.total(lines), 2),
        "units": round(sum(line.dollars_per_million for line in lines if not line.modelled), 2),
        "durations": round(sum(line.dollars_per_million for line in lines if line.modelled), 2),
        "wallDiagnostic": round(cost.wall_time_diagnostic(stats, orders, memory), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commits", nargs="+")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", default="/tmp/cm-history", help="where each run's results go")
    args = parser.parse_args(argv)
    for sha in args.commits:
        try:
            runs = price(sha, args.runs, Path(args.out))
        except Exception as error:  # noqa: BLE001 - one commit that cannot run does not stop the rest
            print(json.dumps({"commit": sha, "error": str(error)[-500:]}), flush=True)
            continue
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(json.dumps({"commit": sha, "runs": runs, "median": median}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
