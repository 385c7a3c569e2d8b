"""Webhooks, in two functions with this code (docs/webhooks.md):

- WebhookFunction, on the orders table's stream, filtered to status changes of orders that have
  a webhook: turns each into a delivery message on the webhook queue (nothing slow here: a slow
  receiver never holds up the stream, let alone execution). Invoked by an operator with
  {"redrive": {}}, it puts what the stream set aside back on the webhook queue.
- WebhookSenderFunction, on the webhook queue: POSTs each message, signed, records the attempt
  on the order, and retries a failure after an exponential backoff (the message's visibility),
  up to WebhookMaxAttempts."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import observability, services, tracing
from solroute.dal.webhooks_sqs import SqsWebhookQueue
from solroute.logic.webhooks import DELIVERED, GAVE_UP, RETRYING, WebhookSender

# Both functions queue deliveries; what only one of them uses (the stream's set-aside queue, the
# sender's key table) is built first thing in its branch, before any work: a missing name fails
# that invocation up front, never halfway through a batch.
services.check_environment(services.webhook_queue)
logger, metrics = observability.logger_and_metrics()
CRASHED = "crashed"
_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhook")  # a batch's POSTs at once


def on_status_changes(event: dict) -> dict:
    """Stream records -> delivery messages. A record SQS did not take is reported, and the stream
    retries from it (until it is set aside: see solroute.logic.webhook_stream)."""
    relayed = services.webhook_stream().relay(event.get("Records", []))
    if relayed.first_failed is not None:
        logger.warning("could not queue webhook deliveries; the stream retries them", extra={"from_sequence_number": relayed.first_failed})
    if relayed.set_aside:
        metrics.add_metric(name="WebhookRecordsSetAside", unit=MetricUnit.Count, value=relayed.set_aside)
    return {"batchItemFailures": [] if relayed.first_failed is None else [{"itemIdentifier": relayed.first_failed}]}


def redrive_set_aside(request: dict, context: LambdaContext) -> dict:
    """An operator's {"redrive": {"most": 100, "discardExpired": false}}: what the stream set aside,
    back on the webhook queue; answers what was done (docs/webhooks.md, "At least once")."""
    options = request.get("redrive") or {}
    report = services.webhook_stream().redrive(
        int(options.get("most", 100)), lambda: context.get_remaining_time_in_millis() / 1000, discard_expired=bool(options.get("discardExpired"))
    )
    answer = {"redriven": report.redriven, "deliveries": report.deliveries, "unreadable": report.unreadable, "left": report.left,
              "expired": report.expired, "more": report.more}  # fmt: skip
    logger.info("webhook redrive", extra=answer)
    return answer


def deliver(event: dict) -> dict:
    records = [SQSRecord(raw) for raw in event.get("Records", [])]
    # Built here, once: threads that each built the services first would each read the master.
    sender, queue = services.webhook_sender(), services.webhook_queue()
    outcomes = list(_pool.map(lambda record: _deliver_one(sender, queue, record), records))
    for name, outcome in (("WebhooksDelivered", DELIVERED), ("WebhooksGivenUp", GAVE_UP)):
        if outcome in outcomes:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=outcomes.count(outcome))
    # WebhookFailureRateAlarm's rate: every delivery handled, and those that did not get a 2xx
    # (to be retried, given up or crashed).
    if outcomes:
        metrics.add_metric(name="WebhookAttempts", unit=MetricUnit.Count, value=len(outcomes))
        metrics.add_metric(name="WebhookAttemptsFailed", unit=MetricUnit.Count, value=sum(o != DELIVERED for o in outcomes))
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
    if "redrive" in event:
        return redrive_set_aside(event, context)
    records = event.get("Records") or [{}]
    return deliver(event) if records[0].get("eventSource") == "aws:sqs" else on_status_changes(event)
