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

Messages move in batches of at most 10 (SQS's most per call): a batch is received (hidden from
DeadLetterFunction, which consumes OrdersDeadLetterQueue too, for RECEIVE_VISIBILITY_S), sent to its
destination with SendMessageBatch, then deleted with DeleteMessageBatch by the receipt handles it was
received with, before the next batch is received: no message stays hidden longer than its own batch
takes, so none comes back into sight (and to another receiver) while it is being moved. Each batch
call's `Failed` entries are reported and counted (exit 1): a message whose send failed stays on the
dead-letter queue (visible again after RECEIVE_VISIBILITY_S); one sent but not deleted is moved
again by a later run (one more delivery, which the consumers above take safely). Interrupted
between the send and the delete, the same. SQS's StartMessageMoveTask does the same server-side
on AWS (`aws sqs start-message-move-task`), without a count limit or a dry run.

The dry run lists what it received, batch by batch (each hidden for RECEIVE_VISIBILITY_S at most,
a message received twice listed once), and then makes those messages visible again: nothing
moves. SQS has no peek, so each listed message's receive count goes up by one (these queues have
no redrive policy of their own, so that changes nothing), and a message another receiver (or a
lapsed hold) took meanwhile may be missing from the list."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from solroute_cli.errors import EXIT_FAILED, EXIT_OK, CliError
from solroute_cli.ops.target import DEAD_LETTER_QUEUES, FUNCTION, QUEUE, Stack, queue_name

RECEIVE_VISIBILITY_S = 30  # a received batch is kept from other receivers while it is moved (a batch takes well under a second)
BATCH = 10  # SQS's most messages per ReceiveMessage and entries per batch call
STREAM_FAILURES = "WebhookStreamFailureQueue"
_FAILURE = {"send": "NOT moved (send failed)", "delete": "sent but NOT deleted (a later run moves it again)", "show again": "not shown again at once"}


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


def _batches(sqs: Any, url: str, most: int) -> Iterator[list[dict]]:
    """Batches of at most 10 messages, ``most`` in all, each received when the one before it is handled."""
    received = 0
    while received < most:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(BATCH, most - received), VisibilityTimeout=RECEIVE_VISIBILITY_S,
                                  WaitTimeSeconds=0, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])  # fmt: skip
        if not got:
            return
        received += len(got)
        yield got


def _failed(answer: dict, batch: list[dict], step: str, listed: dict[str, dict]) -> list[dict]:
    """A batch call's ``Failed`` entries (their Id is the message's index in ``batch``) as reported failures."""
    return [{**listed[batch[int(f["Id"])]["MessageId"]], "step": step, "code": f.get("Code"), "reason": f.get("Message")} for f in answer.get("Failed", [])]


def _list(sqs: Any, url: str, most: int, now_ms: int) -> tuple[list[dict], list[dict]]:
    """What is received of ``most`` messages (listed), then made visible again at once: moves nothing.
    The second list: messages that could not be made visible again (visible again after RECEIVE_VISIBILITY_S)."""
    listed: dict[str, dict] = {}
    held: list[dict] = []
    for batch in _batches(sqs, url, most):
        fresh = [m for m in batch if m["MessageId"] not in listed]
        listed |= {m["MessageId"]: _listed(m, now_ms) for m in fresh}
        held += batch
        if not fresh:  # only messages listed already came back (their hold lapsed): all there is was seen
            break
    failed = []
    for i in range(0, len(held), BATCH):
        batch = held[i : i + BATCH]
        entries = [{"Id": str(j), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for j, m in enumerate(batch)]
        failed += _failed(sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries), batch, "show again", listed)
    return list(listed.values()), failed


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
    now_ms = int(time.time() * 1000)
    if dry_run or logical_id == STREAM_FAILURES:  # the stream failures are WebhookFunction's to take
        listed, failed = _list(sqs, url, most, now_ms)
        if dry_run:
            return _show(logical_id, listed, [], failed, None, True, as_json)
        function = stack.physical("WebhookFunction", FUNCTION)
        answer = stack.client("lambda").invoke(FunctionName=function, Payload=json.dumps({"redrive": {"most": most}}).encode())
        result = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise CliError(f"WebhookFunction's redrive failed: {result}", EXIT_FAILED)
        return _show(logical_id, listed, [], [], result, False, as_json)
    sources = _destinations(stack, sqs, logical_id)
    listed, moved, failed = [], [], []
    for batch in _batches(sqs, url, most):
        shown = {m["MessageId"]: _listed(m, now_ms) for m in batch}
        listed += shown.values()
        by_destination: dict[str, list[dict]] = {}
        for message in batch:  # back to the queue it was dead-lettered from (else the first that dead-letters here)
            source_arn = message.get("Attributes", {}).get("DeadLetterQueueSourceArn")
            by_destination.setdefault(sources.get(source_arn) or next(iter(sources.values())), []).append(message)
        for destination, messages in by_destination.items():
            entries = [{"Id": str(j), "MessageBody": m["Body"], **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {})}
                       for j, m in enumerate(messages)]  # fmt: skip
            answer = sqs.send_message_batch(QueueUrl=destination, Entries=entries)
            failed += _failed(answer, messages, "send", shown)  # not sent: left on the dead-letter queue
            sent = [messages[int(s["Id"])] for s in answer.get("Successful", [])]
            if not sent:
                continue
            # Deleted after the send, by the handles received: interrupted or failed, the message is moved again by a later run
            answer = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "ReceiptHandle": m["ReceiptHandle"]} for j, m in enumerate(sent)])
            not_deleted = _failed(answer, sent, "delete", shown)
            failed += not_deleted
            moved += [{**shown[m["MessageId"]], "to": queue_name(destination)} for m in sent if m["MessageId"] not in {f["messageId"] for f in not_deleted}]
    return _show(logical_id, listed, moved, failed, None, False, as_json)


def _show(logical_id: str, listed: list[dict], moved: list[dict], failed: list[dict], result: Any, dry_run: bool, as_json: bool) -> int:
    code = EXIT_FAILED if failed and not dry_run else EXIT_OK  # a dry run's message not shown again at once is only late
    if as_json:
        print(json.dumps({"queue": logical_id, "dryRun": dry_run, "messages": listed, "moved": moved, "failed": failed, "redrive": result}, indent=2))
        return code
    if not listed:
        print(f"{logical_id}: no message visible (a message in flight is being retried by its consumer: run again later)")
    for m in moved if not (dry_run or logical_id == STREAM_FAILURES) else listed:
        to = f" -> {m['to']}" if "to" in m else ""
        print(f"  {m['messageId']}  order {m['orderId'] or '-'}  received {m['receiveCount']}x  {m['ageSeconds']:.0f} s old{to}")
    for f in failed:
        print(f"  {f['messageId']}  order {f['orderId'] or '-'}  {_FAILURE[f['step']]}: {f['code']}: {f['reason']}")
    if dry_run:
        print(f"dry run: listed the {len(listed)} message(s) received from {logical_id} (what would be redriven, up to --max); nothing moved")
        if failed:
            print(f"{len(failed)} listed message(s) could not be made visible again at once: they are, within {RECEIVE_VISIBILITY_S} s")
    elif logical_id == STREAM_FAILURES:
        print(f"WebhookFunction's redrive: {json.dumps(result)}" + ("  (more: run again)" if isinstance(result, dict) and result.get("more") else ""))
    else:
        print(f"moved {len(moved)} message(s) from {logical_id}")
        if failed:
            print(f"{len(failed)} message(s) failed (not sent: still on {logical_id}, visible again within {RECEIVE_VISIBILITY_S} s; "
                  f"sent but not deleted: moved again by the next run): exit 1")  # fmt: skip
    return code
