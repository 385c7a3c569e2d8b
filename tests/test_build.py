"""`make stamp-layer` (the end of `make build`): each built function carries the built engine
layer's content hash, so that a layer change publishes new SnapStart versions (a change of the
layer alone is none of a function's code, and SAM would publish nothing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _stamp(build: Path) -> dict[str, str]:
    subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "stamp-layer", f"BUILD_DIR={build}"], check=True, capture_output=True)
    return {d.name: (d / "ENGINE_LAYER_SHA256").read_text() for d in build.iterdir() if d.name != "EngineLayer"}


def _build(tmp_path: Path, module: str) -> Path:
    build = tmp_path / "build"
    (build / "EngineLayer" / "python" / "solroute").mkdir(parents=True, exist_ok=True)
    (build / "EngineLayer" / "python" / "solroute" / "logic.py").write_text(module)
    for function in ("ApiFunction", "AuthorizerFunction"):
        (build / function).mkdir(exist_ok=True)
        (build / function / "app.py").write_text("def lambda_handler(event, context): ...\n")
    return build


def test_every_function_gets_the_layers_hash_and_a_layer_change_changes_it(tmp_path):
    build = _build(tmp_path, "RULE = 1\n")
    first = _stamp(build)
    assert set(first) == {"ApiFunction", "AuthorizerFunction"} and len(set(first.values())) == 1
    assert _stamp(build) == first, "the same layer, the same stamp: no new version without a change"
    (build / "EngineLayer" / "python" / "solroute" / "logic.py").write_text("RULE = 2\n")
    assert _stamp(build)["ApiFunction"] != first["ApiFunction"]


def test_bytecode_caches_do_not_change_the_stamp(tmp_path):
    build = _build(tmp_path, "RULE = 1\n")
    first = _stamp(build)
    cache = build / "EngineLayer" / "python" / "solroute" / "__pycache__"
    cache.mkdir()
    (cache / "logic.cpython-313.pyc").write_bytes(b"\x00\x01")
    assert _stamp(build) == first
