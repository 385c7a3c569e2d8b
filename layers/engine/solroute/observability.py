"""Every function's logger and metrics, set up one way (tracing is solroute.tracing).

The service name, metric namespace and log level come from the environment template.yaml gives
every function (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL).
Built when a function's module loads, not when this one does: a process that loads several
functions (the tests do) gets each its own, from the environment it loaded under."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from solroute.models.order import Order, OrderStatus


def logger_and_metrics() -> tuple[Logger, Metrics]:
    # Not every invocation has a metric to emit; an empty flush is normal here, not a warning.
    warnings.filterwarnings("ignore", "No application metrics to publish")
    return Logger(), Metrics()


def count_failure(metrics: Metrics, reason: str, count: int = 1) -> None:
    """``OrdersFailedByReason`` with a ``reason`` dimension (the dashboard's failures by reason).
    Its own EMF document: the function's other metrics carry no ``reason``."""
    with single_metric(name="OrdersFailedByReason", unit=MetricUnit.Count, value=count, namespace=metrics.namespace) as metric:
        metric.add_dimension(name="reason", value=reason)


def failed_at(order: Order) -> str:
    """Where a failed order failed, as a short, bounded code: the status it left for ``failed``
    (pending: never started; routing: no venue could quote or fill it; building; submitted: its
    swap failed on chain or never landed)."""
    before = [h.status for h in order.history if h.status is not OrderStatus.FAILED]
    return before[-1].value if before else "unknown"
