"""Metric math as the local cloud evaluates it for alarms: one period's values, no eval()."""

import pytest

from localcloud.services.cloudwatch.expressions import ExpressionError, evaluate


def values(**metrics):
    return metrics.get


@pytest.mark.parametrize(
    ("expression", "metrics", "expected"),
    [
        ("FILL(visible, 0) + FILL(received, 0)", {"visible": None, "received": 2.0}, 2.0),
        ("FILL(visible, 0) + FILL(received, 0)", {"visible": None, "received": None}, 0.0),
        ("visible + received", {"visible": None, "received": 2.0}, None),
        ("100 * failed / attempts", {"failed": 1.0, "attempts": 4.0}, 25.0),
        ("100 * failed / attempts", {"failed": 1.0, "attempts": 0.0}, None),  # division by zero: no datapoint
        ("(a + b) * 2 - -1", {"a": 1.0, "b": 2.0}, 7.0),
        ("IF(attempts >= 10, 100 * failed / attempts, 0)", {"attempts": 9.0, "failed": 9.0}, 0.0),
        ("IF(attempts >= 10, 100 * failed / attempts, 0)", {"attempts": 10.0, "failed": 5.0}, 50.0),
        ("IF(a > 1 AND b < 1, 1, 2)", {"a": 2.0, "b": 0.0}, 1.0),
        ("IF(a > 1 AND b < 1, 1, 2)", {"a": 2.0, "b": 3.0}, 2.0),
        ("IF(a == 1 OR b != 1, 5, 6)", {"a": 0.0, "b": 1.0}, 6.0),
        ("IF(a <= 1 || b == 1, 5, 6)", {"a": 1.0, "b": 0.0}, 5.0),
        ("IF(a, 1, 2)", {"a": None}, None),
        ("FILL(a, b)", {"a": None, "b": 3.0}, 3.0),
        ("2.5", {}, 2.5),
    ],
)
def test_an_expression_gives_its_value_for_one_period(expression, metrics, expected):
    assert evaluate(expression, values(**metrics)) == expected


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('true')", "a.b", "a[0]", "lambda: 1", "SUM(a)", "FILL(a)", "'text'", "a if b else c", "a ** 2", "True"],
)
def test_anything_else_is_refused_before_it_runs(expression):
    with pytest.raises(ExpressionError):
        evaluate(expression, values(a=1.0, b=1.0, c=1.0))

