"""What the functions really emit and log, read from their source (functions/ and the engine layer):
the dashboard and the saved queries are held to it, so a metric or a log field that is renamed
in the code fails their tests instead of leaving a graph or a query silently empty.

Metric names come from each ``add_metric(name=...)`` / ``single_metric(name=...)`` call: a
literal, an f-string over an order's status (``f"Orders{order.status.value.capitalize()}"``:
one name per final status), or a name bound by a ``for`` over a literal tuple. A shape this
module does not know fails loudly: teach it, rather than guess."""

from __future__ import annotations

import ast
import logging
import types
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (*sorted(ROOT.glob("functions/*/*.py")), *sorted(ROOT.glob("layers/engine/solroute/**/*.py")))
DEFAULT_DIMENSION = "service"  # powertools' default dimension (POWERTOOLS_SERVICE_NAME)


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in SOURCES]


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _final_statuses() -> tuple[str, ...]:
    from solroute.models.status import FINAL_STATUS_NAMES

    return FINAL_STATUS_NAMES


def _names(node: ast.expr, call: ast.Call, parents: dict, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.JoinedStr):
        holes = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        if len(holes) == 1 and "status" in ast.unparse(holes[0].value):
            prefix, suffix = (
                "".join(v.value for v in part if isinstance(v, ast.Constant))
                for part in (node.values[: node.values.index(holes[0])], node.values[node.values.index(holes[0]) + 1 :])
            )
            return {f"{prefix}{status.capitalize()}{suffix}" for status in _final_statuses()}
    if isinstance(node, ast.Name):  # for name, ... in (("A", ...), ("B", ...)):
        loop = parents.get(call)
        while loop is not None and not isinstance(loop, ast.For):
            loop = parents.get(loop)
        if loop is not None and isinstance(loop.iter, (ast.Tuple, ast.List)):
            targets = loop.target.elts if isinstance(loop.target, ast.Tuple) else [loop.target]
            index = next((i for i, t in enumerate(targets) if isinstance(t, ast.Name) and t.id == node.id), None)
            if index is not None:
                rows = [row.elts if isinstance(row, ast.Tuple) else [row] for row in loop.iter.elts]
                return {row[index].value for row in rows if isinstance(row[index], ast.Constant)}
    raise AssertionError(f"{where}: a metric name this test cannot read ({ast.unparse(node)}): teach tests/support/telemetry.py")


@cache
def emitted_metrics() -> dict[str, frozenset[str]]:
    """Every metric name the code emits -> its dimension names (service, and any it adds)."""
    found: dict[str, set[str]] = {}
    for path, tree in _trees():
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and _called(call) in ("add_metric", "single_metric")):
                continue
            node = _keyword(call, "name") or (call.args[0] if call.args else None)
            if node is None:
                raise AssertionError(f"{path}:{call.lineno}: a metric without a name")
            dimensions = {DEFAULT_DIMENSION, *_added_dimensions(call, parents)}
            for name in _names(node, call, parents, f"{path.relative_to(ROOT)}:{call.lineno}"):
                found.setdefault(name, set()).update(dimensions)
    return {name: frozenset(dims) for name, dims in found.items()}


def _added_dimensions(call: ast.Call, parents: dict) -> set[str]:
    """``with single_metric(...) as m: m.add_dimension(name="dex", ...)``, and default_dimensions={...}."""
    dims = set()
    defaults = _keyword(call, "default_dimensions")
    if isinstance(defaults, ast.Dict):
        dims |= {k.value for k in defaults.keys if isinstance(k, ast.Constant)}
    with_item = parents.get(call)
    if isinstance(with_item, ast.withitem) and isinstance(with_item.optional_vars, ast.Name):
        block = parents.get(with_item)
        for inner in ast.walk(block):
            if isinstance(inner, ast.Call) and _called(inner) == "add_dimension":
                name = _keyword(inner, "name") or (inner.args[0] if inner.args else None)
                if isinstance(name, ast.Constant):
                    dims.add(name.value)
    return dims


@cache
def logged_fields() -> frozenset[str]:
    """Every key a function's log line can hold: powertools' own (as its Logger really writes
    them), the ``extra=`` keys and appended keys of every log call, and the keys of the EMF
    lines (metric names and dimensions)."""
    fields = set(_powertools_keys())
    for _path, tree in _trees():
        dicts = _dict_variables(tree)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name, extra = _called(call), _keyword(call, "extra")  # any call with extra=: logger.info, a chosen level
            if extra is not None:
                if isinstance(extra, ast.Dict):
                    fields |= {k.value for k in extra.keys if isinstance(k, ast.Constant)}
                elif isinstance(extra, ast.Name):
                    fields |= dicts.get(extra.id, set())
            elif name in ("append_keys", "update") and isinstance(call.func, ast.Attribute):
                owner = call.func.value
                if name == "append_keys" or (isinstance(owner, ast.Name) and owner.id in dicts):
                    fields |= {k.arg for k in call.keywords if k.arg}
    for metric, dims in emitted_metrics().items():
        fields |= {metric, *dims}
    return frozenset(fields)


def _dict_variables(tree: ast.Module) -> dict[str, set[str]]:
    """Names assigned a dict literal (``extra: dict = {...}``, ``answer = {...}``) -> its keys."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        target, value = (node.targets[0], node.value) if isinstance(node, ast.Assign) else (
            (node.target, node.value) if isinstance(node, ast.AnnAssign) else (None, None))  # fmt: skip
        if isinstance(target, ast.Name) and isinstance(value, ast.Dict):
            found.setdefault(target.id, set()).update(k.value for k in value.keys if isinstance(k, ast.Constant))
    return found


def _powertools_keys() -> set[str]:
    """The keys powertools' Logger writes on a line of a handler under inject_lambda_context,
    with a correlation id and an exception: captured from a real Logger, not listed by hand."""
    import json

    from aws_lambda_powertools import Logger

    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    logger = Logger(service="telemetry-probe", logger_handler=Capture())
    context = types.SimpleNamespace(function_name="f", memory_limit_in_mb=128, invoked_function_arn="arn", aws_request_id="r")

    @logger.inject_lambda_context
    def handler(event: dict, context: object) -> None:
        logger.set_correlation_id("c")
        try:
            raise ValueError("probe")
        except ValueError:
            logger.exception("probe")

    handler({}, context)
    return {key for line in lines for key in json.loads(line)}
