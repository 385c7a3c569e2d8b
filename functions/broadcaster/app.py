"""Orders table stream consumer: push each status change to the order's subscribers."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import services
from solroute.dal.dynamodb import item_to_order
from solroute.models.order import Order

services.check_environment()
logger = Logger()
metrics = Metrics()
tracer = Tracer()
# Not every invocation has a metric to emit; an empty flush is normal here, not a warning.
warnings.filterwarnings("ignore", "No application metrics to publish")


def _status_changes(event: dict) -> list[tuple[str, Order]]:
    changes = []
    for raw in event.get("Records", []):
        record = DynamoDBRecord(raw)
        new_image = record.dynamodb.new_image if record.dynamodb else None
        if not new_image or new_image.get("lastChange") != "status":
            continue  # not a status change (the event source's filter already drops these)
        changes.append((record.dynamodb.sequence_number, item_to_order(new_image)))
    return changes


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    changes = _status_changes(event)
    report, failed = services.broadcaster().broadcast_all([order for _, order in changes])
    if report.gone:
        metrics.add_metric(name="ConnectionsGone", unit=MetricUnit.Count, value=report.gone)
    # Stream batches retry from the lowest failed sequence number, so order is kept.
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq, order in changes if order.orderId in failed]}
