"""DLQ consumer: an order whose message was dead-lettered is settled, so none stays stuck.

It is failed, unless its swap had landed: then what the chain says is recorded (and when the
swap is not final yet, the order waits on the settle queue to be settled by lookup). A limit order
that had sent nothing rests again (open). A message of an earlier cycle of a limit order (queued
again since) touches nothing."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import observability, services, tracing
from solroute.dal.order_records import OrderBatchProcessor, OrderRecord
from solroute.models.errors import DomainError, TransientError
from solroute.models.order import OrderStatus

services.check_environment(services.order_executor, services.order_queue)
logger, metrics = observability.logger_and_metrics()
REASON = "processing crashed: the order's message was dead-lettered after repeated failed deliveries"


def _unreadable(record: SQSRecord) -> None:
    logger.error("unreadable dead letter dropped", extra={"message_id": record.message_id})


processor = OrderBatchProcessor(on_unreadable=_unreadable)


def record_handler(record: OrderRecord) -> None:
    message = record.body
    order_id = message.orderId
    logger.set_correlation_id(order_id)
    try:
        outcome = services.order_executor().give_up(order_id, REASON, message.cycle)
    except DomainError as error:
        if isinstance(error, TransientError):
            raise  # a throttled store: the record stays and comes back
        # Retrying cannot change it: kept, it would come back for the queue's 14-day retention.
        logger.error("dead letter could not be settled; dropped", extra={"order_id": order_id, "error": error.message, "code": error.code})
        return
    outcome.apply(services.order_queue(), order_id, record.receiptHandle)
    if outcome.action == "requeue":
        # Its swap landed and is not final yet, or (on a Solana cluster) its transaction may still
        # land until its blockhash expires: the settle queue asks the chain again then.
        logger.warning("dead-lettered order waits for the chain to decide its swap; asked again from the settle queue", extra={"order_id": order_id})
    elif outcome.finished:
        logger.warning(f"dead-lettered order is {outcome.order.status.value}", extra={"order_id": order_id})
        metrics.add_metric(name=f"Orders{outcome.order.status.value.capitalize()}", unit=MetricUnit.Count, value=1)
        if outcome.order.status is OrderStatus.FAILED:
            observability.count_failure(metrics, observability.failed_at(outcome.order))


@logger.inject_lambda_context
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
