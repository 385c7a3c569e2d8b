"""The trigger: queue open limit orders when the market reaches their price, expire the rest on
time (see solroute.logic.trigger). Runs on a schedule and whenever an order opens (a message on
TriggerWakeQueue); a run keeps ticking while any order is open, within the function's time."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import observability, services, tracing

services.check_environment(services.trigger)
logger, metrics = observability.logger_and_metrics()
# Time left for the run's last tick, the lease's release and the metrics flush.
SPARE_MS = 5000
WOKEN_MIN_RUN_MS = 5000


@logger.inject_lambda_context
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    budget_ms = max(0, context.get_remaining_time_in_millis() - SPARE_MS)
    # Woken because an order opened: keep ticking a few seconds even if the index does not show
    # it yet (a GSI lags its table). On the schedule with nothing open, stop at once.
    woken = bool(event.get("Records"))
    report = services.trigger().run(budget_ms, min_run_ms=WOKEN_MIN_RUN_MS if woken else 0)
    if report.triggered:
        metrics.add_metric(name="LimitOrdersTriggered", unit=MetricUnit.Count, value=report.triggered)
    if report.expired:
        metrics.add_metric(name="LimitOrdersExpired", unit=MetricUnit.Count, value=report.expired)
    if report.slots:  # each slot's child is an order submitted, like one the API takes
        metrics.add_metric(name="StrategySlotsStarted", unit=MetricUnit.Count, value=report.slots)
        metrics.add_metric(name="OrdersSubmitted", unit=MetricUnit.Count, value=report.slots)
    if report.skipped_slots:
        metrics.add_metric(name="StrategySlotsSkipped", unit=MetricUnit.Count, value=report.skipped_slots)
    if report.strategies_ended:
        metrics.add_metric(name="StrategiesEnded", unit=MetricUnit.Count, value=report.strategies_ended)
    # What TriggerBehindAlarm watches: every run reports it, a run that found the lease held too.
    lag_s = report.lag_seconds(services.clock().now_ms())
    if lag_s is not None:
        metrics.add_metric(name="TriggerLagSeconds", unit=MetricUnit.Seconds, value=lag_s)
    if report.open_orders is not None:
        metrics.add_metric(name="OpenLimitOrders", unit=MetricUnit.Count, value=report.open_orders)
    # The wake messages need no per-record answer: the run judged every open order, whichever woke it.
    return {"ran": report.ran, "ticks": report.ticks, "triggered": report.triggered, "expired": report.expired, "slots": report.slots}
