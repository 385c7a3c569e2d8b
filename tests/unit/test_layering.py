"""The domain imports no boto3: storage, queue and notification stay behind its ports."""

import ast
from pathlib import Path

import solroute

DOMAIN_PACKAGES = ("models", "logic", "dex")
ROOT = Path(solroute.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
            if node.module.startswith("solroute."):
                names.add(node.module)
    return names


def test_domain_modules_import_neither_boto3_nor_the_aws_adapters():
    checked = 0
    for package in DOMAIN_PACKAGES:
        for path in (ROOT / package).glob("*.py"):
            imported = _imports(path)
            assert not imported & {"boto3", "botocore"}, path
            assert not {m for m in imported if m.startswith("solroute.dal.") and m != "solroute.dal.ports"}, path
            checked += 1
    assert checked >= 15
