"""Webhooks, in two functions with this code (docs/webhooks.md):

- WebhookFunction, on the orders table's stream, filtered to status changes of orders that have
  a webhook: turns each into a delivery message on the webhook queue (nothing slow here: a slow
  receiver never holds up the stream, let alone execution).
- WebhookSenderFunction, on the webhook queue: POSTs each message, signed, records the attempt
  on the order, and retries a failure after an exponential backoff (the message's visibility),
  up to WebhookMaxAttempts."""

from __future__ import annotations

import json
import warnings
from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import services, tracing
from solroute.dal.dynamodb import item_to_order
from solroute.dal.webhooks_sqs import SqsWebhookQueue
from solroute.logic.webhooks import DELIVERED, GAVE_UP, RETRYING, WebhookSender, delivery_message

services.check_environment()
logger = Logger()
metrics = Metrics()
warnings.filterwarnings("ignore", "No application metrics to publish")
CRASHED = "crashed"
_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhook")  # a batch's POSTs at once


def on_status_changes(event: dict) -> dict:
    """Stream records -> delivery messages. A record SQS did not take is reported, and the stream
    retries from it (the ones before it are not queued twice)."""
    queued: list[tuple[str, dict]] = []
    for raw in event.get("Records", []):
        record = DynamoDBRecord(raw)
        image = record.dynamodb.new_image if record.dynamodb else None
        if not image or image.get("lastChange") != "status" or not image.get("webhookUrl"):
            continue  # the event source's filter already drops these
        queued.append((record.dynamodb.sequence_number, delivery_message(item_to_order(image))))
    failed = services.webhook_queue().send_all([m for _, m in queued]) if queued else set()
    if failed:
        logger.warning("could not queue webhook deliveries; the stream retries them", extra={"count": len(failed)})
    first = min(failed) if failed else None
    return {"batchItemFailures": [] if first is None else [{"itemIdentifier": queued[first][0]}]}


def deliver(event: dict) -> dict:
    records = [SQSRecord(raw) for raw in event.get("Records", [])]
    # Built here, once: threads that each built the services first would each read the master.
    sender, queue = services.webhook_sender(), services.webhook_queue()
    outcomes = list(_pool.map(lambda record: _deliver_one(sender, queue, record), records))
    for name, outcome in (("WebhooksDelivered", DELIVERED), ("WebhooksGivenUp", GAVE_UP)):
        if outcome in outcomes:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=outcomes.count(outcome))
    # Kept on the queue: retries (their visibility is already their backoff) and crashes.
    return {"batchItemFailures": [{"itemIdentifier": r.message_id} for r, o in zip(records, outcomes) if o in (RETRYING, CRASHED)]}


def _deliver_one(sender: WebhookSender, queue: SqsWebhookQueue, record: SQSRecord) -> str:
    try:
        message = json.loads(record.body)
    except ValueError:
        logger.error("unreadable webhook message dropped", extra={"message_id": record.message_id})
        return GAVE_UP
    try:
        verdict = sender.deliver(message, int(record.attributes.approximate_receive_count or 1))
        if verdict.retry_in_s is not None:
            queue.retry_later(record.receipt_handle, verdict.retry_in_s)
        return verdict.attempt.outcome
    except Exception:  # back after the queue's visibility timeout; a message that keeps crashing ends in the DLQ
        logger.exception("webhook delivery crashed", extra={"message_id": record.message_id})
        return CRASHED


@logger.inject_lambda_context
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    records = event.get("Records") or [{}]
    return deliver(event) if records[0].get("eventSource") == "aws:sqs" else on_status_changes(event)
