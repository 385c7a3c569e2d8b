"""Orders table stream consumer: push each status change to the order's subscribers."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import observability, services, tracing
from solroute.dal.dynamodb.items import is_status_change, item_to_order, subscriber_keys, subscribers_in
from solroute.logic.broadcast import StatusChange

services.check_environment(services.broadcaster)
logger, metrics = observability.logger_and_metrics()


def _status_changes(event: dict) -> list[tuple[str, StatusChange]]:
    changes = []
    now_seconds = services.clock().now_ms() // 1000
    for raw in event.get("Records", []):
        record = DynamoDBRecord(raw)
        new_image = record.dynamodb.new_image if record.dynamodb else None
        if not new_image or not is_status_change(new_image):
            continue  # not a status change (the event source's filter already drops these)
        change = StatusChange(item_to_order(new_image), tuple(subscribers_in(new_image, now_seconds)), subscriber_keys(new_image, now_seconds))
        changes.append((record.dynamodb.sequence_number, change))
    return changes


@logger.inject_lambda_context
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    changes = _status_changes(event)
    report, failed = services.broadcaster().broadcast_all([change for _, change in changes])
    posts = report.sent + report.gone + report.errors
    if posts:
        metrics.add_metric(name="ConnectionPosts", unit=MetricUnit.Count, value=posts)
    if report.gone:
        metrics.add_metric(name="ConnectionsGone", unit=MetricUnit.Count, value=report.gone)
    # Stream batches retry from the lowest failed sequence number, so order is kept.
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq, change in changes if change.order.orderId in failed]}
