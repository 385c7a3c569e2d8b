"""Every function's logger and metrics come from one place, solroute.observability."""

import ast
import warnings
from pathlib import Path

from solroute import observability

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def _calls(path: Path) -> set[str]:
    """The names of what a module calls: Logger(), warnings.filterwarnings()..."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "")
    return names


def test_no_function_sets_up_its_own_logger_metrics_or_warning_filters():
    handlers = sorted(FUNCTIONS.glob("*/app.py"))
    assert len(handlers) >= 9
    for path in handlers:
        assert not _calls(path) & {"Logger", "Metrics", "filterwarnings", "simplefilter"}, path
    using = [p.parent.name for p in handlers if "logger_and_metrics" in _calls(p)]
    assert len(using) == 9 and "console" not in using, using  # the console logs nothing


def test_the_service_and_namespace_come_from_the_functions_environment(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "solroute")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Solroute")
    logger, metrics = observability.logger_and_metrics()
    assert logger.service == "solroute" and metrics.namespace == "Solroute"
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Other")
    assert observability.logger_and_metrics()[1].namespace == "Other", "built per function load, not once per process"


def test_an_invocation_without_metrics_is_not_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        observability.logger_and_metrics()
        warnings.warn("No application metrics to publish. The cold-start metric may be published if enabled.", UserWarning, stacklevel=1)
    assert caught == []
