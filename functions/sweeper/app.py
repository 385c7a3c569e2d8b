"""Scheduled sweeper: fail pending orders that missed their start deadline (see solroute.logic.sweeper)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import observability, services, tracing

services.check_environment(services.sweeper)
logger, metrics = observability.logger_and_metrics()


@logger.inject_lambda_context
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = services.sweeper().sweep()
    if report.failed:
        metrics.add_metric(name="OrdersSwept", unit=MetricUnit.Count, value=report.failed)
        observability.count_failure(metrics, "pending", report.failed)  # never started by their deadline
    return {"examined": report.examined, "failed": report.failed}
