"""Every function's logger and metrics, set up one way (tracing is solroute.tracing).

The service name, metric namespace and log level come from the environment template.yaml gives
every function (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL).
Built when a function's module loads, not when this one does: a process that loads several
functions (the tests do) gets each its own, from the environment it loaded under."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics


def logger_and_metrics() -> tuple[Logger, Metrics]:
    # Not every invocation has a metric to emit; an empty flush is normal here, not a warning.
    warnings.filterwarnings("ignore", "No application metrics to publish")
    return Logger(), Metrics()
