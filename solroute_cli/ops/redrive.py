"""`solroute ops redrive QUEUE`: give what waits on a dead-letter queue another go, as each queue's
guarantees allow (docs/operations.md#redrive-a-dead-letter-queue).

- OrdersDeadLetterQueue: each message goes back to the queue it was dead-lettered from (AWS names
  it, DeadLetterQueueSourceArn; else the first queue whose RedrivePolicy names this one, OrdersQueue).
  DeadLetterFunction consumes this queue itself, so a message that stays is one it failed on. The
  consumer and the settler take any order in any status (a final one is left alone, a submitted one
  is settled by looking its swap up; a stale cycle touches nothing): a message handled twice never
  sends a second swap (G1), so moving it back is safe, and gives the order its attempts again.
- WebhookDeadLetterQueue: each delivery goes back to WebhookQueue (receivers dedupe on
  X-Solroute-Delivery: at least once, docs/webhooks.md).
- WebhookStreamFailureQueue: what it holds is a place in the orders stream, not a delivery: the
  redrive is WebhookFunction's own ({"redrive": {"most": N}}), which reads the records back from
  the stream and deletes each message once its status changes are queued (docs/webhooks.md).

A move is a receive, a send to the destination, then a delete: interrupted between the send and
the delete, the message comes back on the dead-letter queue and a later run moves it again (one
more delivery, which the consumers above take safely). SQS's StartMessageMoveTask does the same
server-side on AWS (`aws sqs start-message-move-task`), without a count limit or a dry run.

The dry run receives what would move and makes it visible again at once: nothing moves; SQS has
no peek, so each listed message's receive count goes up by one (these queues have no redrive
policy of their own, so that changes nothing)."""

from __future__ import annotations

import json
import time
from typing import Any

from solroute_cli.errors import EXIT_FAILED, EXIT_OK, CliError
from solroute_cli.ops.target import DEAD_LETTER_QUEUES, FUNCTION, QUEUE, Stack, queue_name

HIDE_WHILE_LISTING_S = 60  # a listed message is kept from other receivers until it is moved (or shown again)
STREAM_FAILURES = "WebhookStreamFailureQueue"


def resolve(stack: Stack, queue: str) -> str:
    """A dead-letter queue's logical id, from its logical id or its deployed name."""
    queues = stack.of_type(QUEUE)
    for logical_id in DEAD_LETTER_QUEUES:
        if logical_id in queues and queue in (logical_id, queue_name(queues[logical_id]), queues[logical_id]):
            return logical_id
    raise CliError(f"{queue} is no dead-letter queue of {stack.where}: one of {', '.join(q for q in DEAD_LETTER_QUEUES if q in queues)}", EXIT_FAILED)


def _order_id(value: Any) -> str | None:
    """The order id a message is about, wherever its body keeps it (an order message, a delivery, a stream record)."""
    if isinstance(value, dict):
        found = value.get("orderId")
        if isinstance(found, str):
            return found
        if isinstance(found, dict) and isinstance(found.get("S"), str):  # a DynamoDB image
            return found["S"]
        values = value.values()
    elif isinstance(value, list):
        values = value
    else:
        return None
    return next((o for o in map(_order_id, values) if o), None)


def _listed(message: dict, now_ms: int) -> dict:
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    attributes = message.get("Attributes", {})
    sent = int(attributes.get("SentTimestamp", now_ms))
    return {"messageId": message["MessageId"], "orderId": _order_id(body), "receiveCount": int(attributes.get("ApproximateReceiveCount", 0)),
            "ageSeconds": round((now_ms - sent) / 1000, 1)}  # fmt: skip


def _receive(sqs: Any, url: str, most: int) -> list[dict]:
    messages: list[dict] = []
    while len(messages) < most:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, most - len(messages)), VisibilityTimeout=HIDE_WHILE_LISTING_S,
                                  WaitTimeSeconds=0, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])  # fmt: skip
        if not got:
            break
        messages += got
    return messages


def _destinations(stack: Stack, sqs: Any, dead_letter: str) -> dict[str, str]:
    """Queue ARN -> URL of every queue whose RedrivePolicy names ``dead_letter`` (its sources)."""
    arn = sqs.get_queue_attributes(QueueUrl=stack.of_type(QUEUE)[dead_letter], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sources = {}
    for logical_id, url in sorted(stack.of_type(QUEUE).items()):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"])["Attributes"]
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
        if policy.get("deadLetterTargetArn") == arn:
            sources[attributes["QueueArn"]] = url
    if not sources:
        raise CliError(f"no queue of {stack.where} dead-letters to {dead_letter}: nowhere to move its messages", EXIT_FAILED)
    return sources


def redrive(stack: Stack, queue: str, dry_run: bool, most: int, as_json: bool) -> int:
    logical_id = resolve(stack, queue)
    sqs, url = stack.client("sqs"), stack.of_type(QUEUE)[logical_id]
    messages = _receive(sqs, url, most)
    now_ms = int(time.time() * 1000)
    listed = [_listed(m, now_ms) for m in messages]
    if dry_run or logical_id == STREAM_FAILURES:  # the stream failures are WebhookFunction's to take
        for i in range(0, len(messages), 10):
            entries = [{"Id": str(j), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for j, m in enumerate(messages[i : i + 10])]
            sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    if dry_run:
        return _show(logical_id, listed, [], None, True, as_json)
    if logical_id == STREAM_FAILURES:
        function = stack.physical("WebhookFunction", FUNCTION)
        answer = stack.client("lambda").invoke(FunctionName=function, Payload=json.dumps({"redrive": {"most": most}}).encode())
        result = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise CliError(f"WebhookFunction's redrive failed: {result}", EXIT_FAILED)
        return _show(logical_id, listed, [], result, False, as_json)
    sources = _destinations(stack, sqs, logical_id)
    moved = []
    for message, shown in zip(messages, listed, strict=True):
        source_arn = message.get("Attributes", {}).get("DeadLetterQueueSourceArn")
        destination = sources.get(source_arn) or next(iter(sources.values()))
        attributes = message.get("MessageAttributes") or {}
        sqs.send_message(QueueUrl=destination, MessageBody=message["Body"], **({"MessageAttributes": attributes} if attributes else {}))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # after the send: interrupted, it is moved again
        moved.append({**shown, "to": queue_name(destination)})
    return _show(logical_id, listed, moved, None, False, as_json)


def _show(logical_id: str, listed: list[dict], moved: list[dict], result: Any, dry_run: bool, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"queue": logical_id, "dryRun": dry_run, "messages": listed, "moved": moved, "redrive": result}, indent=2))
        return EXIT_OK
    if not listed:
        print(f"{logical_id}: no message visible (a message in flight is being retried by its consumer: run again later)")
    for m in moved or listed:
        to = f" -> {m['to']}" if "to" in m else ""
        print(f"  {m['messageId']}  order {m['orderId'] or '-'}  received {m['receiveCount']}x  {m['ageSeconds']:.0f} s old{to}")
    if dry_run:
        print(f"dry run: {len(listed)} message(s) would be redriven from {logical_id}; nothing moved")
    elif logical_id == STREAM_FAILURES:
        print(f"WebhookFunction's redrive: {json.dumps(result)}" + ("  (more: run again)" if isinstance(result, dict) and result.get("more") else ""))
    else:
        print(f"moved {len(moved)} message(s) from {logical_id}")
    return EXIT_OK
