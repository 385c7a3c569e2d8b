"""The CLI uses other packages' public names only: a private name (`_QUIET_KEYS`) may change under it
without notice."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "solroute_cli"


def test_the_cli_imports_no_private_name_of_another_package():
    private = []
    for path in sorted(CLI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and not (node.module or "").startswith(("solroute_cli", "__future__")):
                private += [f"{path.relative_to(CLI.parent)}: from {node.module} import {a.name}" for a in node.names if a.name.startswith("_")]
    assert private == []
