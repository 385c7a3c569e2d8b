"""The engine's layers point one way (models <- ports <- dex <- dal <- logic <- services), and the
domain imports no AWS SDK: the import-linter contracts in pyproject.toml, run here so `make test`
fails on a wrong-way import. The second test proves the check can fail. Kept out of tests/unit,
whose conftest imports the engine: a wrong-way import that also makes an import cycle breaks that
import first, and this test must still run and name the import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import solroute

ROOT = Path(__file__).resolve().parents[1]
ENGINE = Path(solroute.__file__).parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(engine_parent: Path) -> subprocess.CompletedProcess:
    # --no-cache: a copy of the package must be read afresh, not from the last run's cache.
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT, env={"PYTHONPATH": str(engine_parent), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_engines_layers_and_its_aws_boundary_hold():
    run = _lint(ENGINE.parent)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in run.stdout


def test_a_wrong_way_import_breaks_the_layers_contract(tmp_path):
    copy = tmp_path / "solroute"
    shutil.copytree(ENGINE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "models" / "wrong_way.py").write_text("from solroute.logic.state_machine import transition  # noqa: F401\n")
    (copy / "logic" / "sdk_in_the_domain.py").write_text("import boto3  # noqa: F401\n")
    (copy / "logic" / "reads_the_item.py").write_text("from solroute.dal.dynamodb.items import item_to_order  # noqa: F401\n")
    run = _lint(tmp_path)
    assert run.returncode != 0
    assert "solroute.models is not allowed to import solroute.logic" in run.stdout
    assert "solroute.logic.sdk_in_the_domain -> boto3" in run.stdout
    assert "solroute.logic.reads_the_item -> solroute.dal.dynamodb.items" in run.stdout
