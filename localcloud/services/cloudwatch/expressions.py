"""Metric math for alarms, one period at a time: + - * /, parentheses, numbers, metric ids,
FILL(m, value), IF(condition, a, b) with comparisons and AND/OR. Parsed with `ast` and walked
here: nothing is ever handed to eval. A missing value (no datapoint) is None; arithmetic on it,
or a division by zero, gives None, as CloudWatch gives no datapoint."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable

Value = float | None

_WORDS = re.compile(r"&&|\|\||\bAND\b|\bOR\b|\bNOT\b")
_PYTHON = {"&&": " and ", "||": " or ", "AND": " and ", "OR": " or ", "NOT": " not "}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARE = {ast.GtE: operator.ge, ast.Gt: operator.gt, ast.LtE: operator.le, ast.Lt: operator.lt, ast.Eq: operator.eq, ast.NotEq: operator.ne}


class ExpressionError(ValueError):
    """An expression the local cloud cannot evaluate (the message says what and where)."""


def parse(expression: str) -> ast.expr:
    try:
        tree = ast.parse(_WORDS.sub(lambda m: _PYTHON[m.group(0)], expression).strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot parse the expression {expression!r}: {error.msg}") from None
    _check(tree.body, expression)
    return tree.body


def _check(node: ast.AST, expression: str) -> None:
    allowed = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.Name, ast.Constant, ast.Load, ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or,
               *_ARITHMETIC, *_COMPARE)  # fmt: skip
    for child in ast.walk(node):
        if not isinstance(child, allowed):
            raise ExpressionError(f"{type(child).__name__} is not supported in {expression!r} (the local cloud evaluates + - * /, FILL, IF, comparisons, AND, OR)")
        if isinstance(child, ast.Constant) and (isinstance(child.value, bool) or not isinstance(child.value, (int, float))):
            raise ExpressionError(f"{child.value!r} is not a number in {expression!r}")
        if isinstance(child, ast.Call):
            name = child.func.id if isinstance(child.func, ast.Name) else None
            arity = {"FILL": 2, "IF": 3}.get(name or "")
            if arity is None or child.keywords or len(child.args) != arity:
                raise ExpressionError(f"{ast.unparse(child)} is not supported in {expression!r} (functions: FILL(m, value), IF(condition, a, b))")


def evaluate(expression: str | ast.expr, lookup: Callable[[str], Value]) -> Value:
    """The expression's value for one period, reading each metric id through ``lookup``."""
    node = parse(expression) if isinstance(expression, str) else expression
    return _eval(node, lookup)


def _eval(node: ast.expr, lookup: Callable[[str], Value]) -> Value:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, lookup)
        if isinstance(node.op, ast.Not):
            return None if value is None else float(not value)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, lookup), _eval(node.right, lookup)
        if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
            return None
        return _ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, lookup)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, lookup)
            if left is None or right is None:
                return None
            if not _COMPARE[type(op)](left, right):
                return 0.0
            left = right
        return 1.0
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, lookup) for v in node.values]
        if any(v is None for v in values):
            return None
        combine = all if isinstance(node.op, ast.And) else any
        return float(combine(bool(v) for v in values))
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]  (checked by parse)
        if name == "FILL":
            value = _eval(node.args[0], lookup)
            return _eval(node.args[1], lookup) if value is None else value
        condition = _eval(node.args[0], lookup)
        if condition is None:
            return None
        return _eval(node.args[1] if condition else node.args[2], lookup)
    raise ExpressionError(f"cannot evaluate {ast.unparse(node)}")
