"""The docs stay true to the tree: every relative link in README.md and docs/*.md reaches a file
(and, with #anchor, a heading of it); docs/architecture.md draws every function, queue, table and
API of template.yaml and maps every module of the repository, naming nothing that does not exist;
the README's deploy section names every parameter of the template."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from localcloud.template import load_yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# [text](target) and ![alt](target); the target ends at the first space (a title may follow).
LINK = re.compile(r"!?\[[^\]]*\]\(<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def prose(text: str) -> str:
    """The text without its fenced code blocks (a link-like string in code is not a link)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a markdown file, numbered as GitHub numbers repeated headings."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path.read_text()).splitlines():
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(doc: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(doc.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading there has this anchor")
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_its_heading(doc):
    broken = broken_links(doc)
    assert not broken, f"{doc.relative_to(ROOT)} links to what is not there:\n" + "\n".join(broken)


def test_a_broken_link_or_anchor_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## A `code` heading, with punctuation!\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[fine](other.md) [fine too](other.md#a-code-heading-with-punctuation) [here](#top)\n"
        "# Top\n"
        "[gone](missing.md) [no such heading](other.md#nowhere) [web](https://example.com/x.md)\n"
        "```\n[in code](ignored.md)\n```\n"
    )
    assert broken_links(doc) == ["missing.md: no such file", "other.md#nowhere: no heading there has this anchor"]


# -- docs/architecture.md: the diagram and the map ---------------------------------------------

RESOURCE_TYPES = (
    "AWS::Serverless::Function",
    "AWS::SQS::Queue",
    "AWS::DynamoDB::Table",
    "AWS::Serverless::HttpApi",
    "AWS::ApiGatewayV2::Api",
)


def test_the_architecture_names_every_function_queue_table_and_api_of_the_template():
    resources = load_yaml(ROOT / "template.yaml")["Resources"]
    declared = {name for name, spec in resources.items() if spec["Type"] in RESOURCE_TYPES}
    text = ARCHITECTURE.read_text()
    diagram = text[text.index("```mermaid") : text.index("```", text.index("```mermaid") + 3)]
    assert sorted(name for name in declared if not re.search(rf"\b{name}\b", diagram)) == []


# The modules the map must name: the code a newcomer changes (not tests' own test modules).
MAPPED = ("functions", "layers/engine/solroute", "localcloud", "solroute_cli", "bench")
PATH_LIKE = re.compile(r"^[\w.-]+(/[\w.-]+)*/?$")
FILE_LIKE = re.compile(r"\.(py|md|yaml|toml|sh|js|css|html|json|png)$")


def named_paths(text: str, root: Path) -> tuple[set[Path], list[str]]:
    """The paths the map names, and the names that match nothing. A folder written from the root
    (`localcloud/services/sqs/`) is where the file names after it (`backend.py`) live, until the
    next one. A name with a slash is read from the root, else from that folder; a bare name from
    that folder, else from the root (`template.yaml`)."""
    named: set[Path] = set()
    missing = []
    folder = root
    for token in re.findall(r"`([^`\n]+)`", text):
        if not PATH_LIKE.match(token) or not ("/" in token or FILE_LIKE.search(token)):
            continue
        if token.endswith("/") and (root / token).is_dir():
            folder = root / token
            named.add(folder)
            continue
        for base in (root, folder) if "/" in token else (folder, root):
            candidate = base / token.rstrip("/")
            if candidate.exists():
                named.add(candidate)
                break
        else:
            missing.append(f"`{token}` (after `{folder.relative_to(root)}/`)")
    return named, missing


def the_map(text: str) -> str:
    return text[text.index("\n## Where things are") :]


def unmapped(root: Path, named: set[Path]) -> list[str]:
    modules = [path for area in MAPPED for path in (root / area).rglob("*.py") if not path.name.startswith("__")]
    tests = [path for path in (root / "tests").iterdir() if not path.name.startswith(("_", "."))]
    test_areas = [path for path in tests if path.is_dir() or path.suffix == ".py"]
    return sorted(str(path.relative_to(root)) for path in modules + test_areas if path not in named)


def test_every_path_the_map_names_exists():
    _, missing = named_paths(the_map(ARCHITECTURE.read_text()), ROOT)
    assert not missing, "docs/architecture.md, Where things are, names what is not there:\n" + "\n".join(missing)


def test_the_map_names_every_module_and_every_test_folder():
    named, _ = named_paths(the_map(ARCHITECTURE.read_text()), ROOT)
    left_out = "\n".join(unmapped(ROOT, named))
    assert not left_out, f"docs/architecture.md, Where things are, leaves out (name each in its folder's row):\n{left_out}"


def test_the_map_check_finds_a_module_left_out_and_a_name_that_is_gone(tmp_path):
    sqs = "localcloud/services/sqs"
    for path in (f"{sqs}/backend.py", f"{sqs}/errors.py", "localcloud/cli.py", "tests/unit/x.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    text = "| `localcloud/services/sqs/` | `backend.py`, `gone.py` |\n| `localcloud/` | `cli.py` |\n| `tests/unit/` | |\n"
    named, missing = named_paths(text, tmp_path)
    assert missing == ["`gone.py` (after `localcloud/services/sqs/`)"]
    assert unmapped(tmp_path, named) == ["localcloud/services/sqs/errors.py"]


def test_the_readme_names_every_parameter_a_deploy_can_set():
    readme = (ROOT / "README.md").read_text()
    deploy = readme[readme.index("## Deploy to AWS") :]
    deploy = deploy[: deploy.index("\n## ", 1)]
    parameters = load_yaml(ROOT / "template.yaml")["Parameters"]
    assert [name for name in parameters if f"`{name}`" not in deploy] == []


# -- module docstrings name what exists -------------------------------------------------------

DOCSTRING_AREAS = ("functions", "layers/engine/solroute", "localcloud", "solroute_cli")
PACKAGE_ROOTS = (ROOT / "layers" / "engine", ROOT)  # where solroute, localcloud and solroute_cli import from
DOTTED = re.compile(r"\b(?:solroute|localcloud|solroute_cli)(?:\.[A-Za-z_]\w*)+")
SLASHED = re.compile(r"(?<![\w/.-])[\w.-]+(?:/[\w.-]+)+\.(?:py|md)\b")


def module_exists(dotted: str) -> bool:
    """A dotted name is a module, or a module and a name that module defines."""
    parts = dotted.split(".")
    for base in PACKAGE_ROOTS:
        for end in range(len(parts), 0, -1):
            path = base.joinpath(*parts[:end])
            source = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
            if source.is_file():
                if end == len(parts):
                    return True
                defined = rf"^(class|def)\s+{parts[end]}\b|^{parts[end]}\b\s*[:=]"
                return re.search(defined, source.read_text(), re.MULTILINE) is not None
    return False


def stale_names(module: Path, root: Path = ROOT) -> list[str]:
    """What the module's docstring names that is not there: a dotted module (`solroute.ports`)
    or a path (`logic/key_quota.py`, read from the module's folder or any folder above it)."""
    docstring = ast.get_docstring(ast.parse(module.read_text())) or ""
    stale = [name for name in DOTTED.findall(docstring) if not module_exists(name.rstrip("."))]
    folders = [folder for folder in module.parents if folder == root or root in folder.parents]
    stale += [path for path in SLASHED.findall(docstring) if not any((folder / path).exists() for folder in folders)]
    return stale


def test_every_module_docstring_names_files_and_modules_that_exist():
    modules = [path for area in DOCSTRING_AREAS for path in sorted((ROOT / area).rglob("*.py"))]
    stale = {str(path.relative_to(ROOT)): names for path in modules if (names := stale_names(path))}
    assert stale == {}


def test_a_docstring_naming_a_gone_module_or_file_is_found(tmp_path):
    module = tmp_path / "localcloud" / "thing.py"
    module.parent.mkdir()
    (tmp_path / "localcloud" / "here.py").write_text("")
    module.write_text('"""Uses localcloud.cli and solroute.dal.memory; see localcloud/here.py and functions/api/errors.py."""\n')
    assert stale_names(module, tmp_path) == ["solroute.dal.memory", "functions/api/errors.py"]
