"""Orders table stream consumer: push each status change to the order's subscribers."""

from __future__ import annotations

import warnings
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import services
from solroute.models.order import Order

logger = Logger()
metrics = Metrics()
tracer = Tracer()
# Not every invocation has a metric to emit; an empty flush is normal here, not a warning.
warnings.filterwarnings("ignore", "No application metrics to publish")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    new_image = record.dynamodb.new_image if record.dynamodb else None
    if not new_image:
        return
    old_image = record.dynamodb.old_image or {}
    if old_image.get("seq") == new_image.get("seq"):
        return  # not a status change (the event source's filter should already drop these)
    order = Order.model_validate(new_image)
    logger.set_correlation_id(order.orderId)
    services.broadcaster().broadcast(order)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
