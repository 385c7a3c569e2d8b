"""SQS consumer: execute queued orders. Wiring only: the steps live in solroute.logic.execution.

Two functions run this code: the consumer, on the orders queue, and the settler, on the settle
queue (landed swaps waiting to be final)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import observability, services, tracing
from solroute.dal.order_records import OrderBatchProcessor, OrderRecord
from solroute.logic.execution import Outcome
from solroute.models.order import OrderStatus

services.check_environment(services.order_executor, services.order_queue)
logger, metrics = observability.logger_and_metrics()


def _unreadable(record: SQSRecord) -> None:
    logger.error("unreadable message dropped", extra={"message_id": record.message_id, "body": record.body[:200]})


# A batch whose every record waits for a retry is not a function error: each record's
# visibility was already set for its backoff.
processor = OrderBatchProcessor(on_unreadable=_unreadable, raise_on_entire_batch_failure=False)


class RetryLater(Exception):
    """Marks a record as failed so SQS keeps it; its visibility timeout is the backoff."""


def record_handler(record: OrderRecord) -> None:
    try:
        _handle(record)
    except RetryLater:
        raise
    except Exception:
        logger.exception("record failed; SQS will redeliver it", extra={"message_id": record.messageId})
        raise


def _handle(record: OrderRecord) -> None:
    message = record.body
    order_id = message.orderId
    logger.set_correlation_id(order_id)
    receive_count = int(record.attributes.ApproximateReceiveCount or 1)
    outcome = services.order_executor().process(order_id, receive_count, message.notBeforeMs, message.cycle)
    queue = services.order_queue(received_from=services.queue_url_of(record.eventSourceARN or ""))
    if not outcome.apply(queue, order_id, record.receiptHandle):
        raise RetryLater(f"order {order_id}: retry in {outcome.delay_seconds}s")
    if outcome.action == "requeue":
        logger.debug("order waits on the queue", extra={"order_id": order_id, "delay_seconds": outcome.delay_seconds})
    if outcome.finished:
        _record_metrics(outcome)


def _record_metrics(outcome: Outcome) -> None:
    order = outcome.order
    assert order is not None
    metrics.add_metric(name=f"Orders{order.status.value.capitalize()}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ExecutionLatency", unit=MetricUnit.Milliseconds, value=order.statusAtMs - order.history[0].timestampMs)
    if order.status is OrderStatus.FAILED:
        observability.count_failure(metrics, observability.failed_at(order))
    if order.routing is not None:
        with single_metric(name="OrdersRouted", unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as metric:
            metric.add_dimension(name="dex", value=order.routing.dex)


@logger.inject_lambda_context
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
