"""Batch handlers for the event source tests (not part of the application). Each writes the ids
of the batch it got to LOG_TO, one JSON line per invocation, and answers as its records ask."""

import json
import os


def _log(ids: list[str]) -> None:
    with open(os.environ["LOG_TO"], "a") as log:
        log.write(json.dumps(ids) + "\n")


def queue(event, context):
    """An SQS batch. The first message's body asks: {"answer": <the response>}, on a redelivery
    {"answerOnRedelivery": <the response>}, or {"raise": "why"} for a function error."""
    records = event["Records"]
    _log([r["messageId"] for r in records])
    asks = json.loads(records[0]["body"])
    if "raise" in asks:
        raise RuntimeError(asks["raise"])
    if "answerOnRedelivery" in asks and int(records[0]["attributes"]["ApproximateReceiveCount"]) > 1:
        return asks["answerOnRedelivery"]
    return asks.get("answer")


def stream(event, context):
    """A DynamoDB stream batch, logged as its items' ids. An item with `poison` fails the
    invocation; the first item with `fails` is reported by its sequence number; else an item's
    `answer` (JSON text) is the response."""
    records = event["Records"]
    images = [r["dynamodb"]["NewImage"] for r in records]
    _log([image["id"]["S"] for image in images])
    if any("poison" in image for image in images):
        raise RuntimeError("a poison record")
    for record, image in zip(records, images):
        if "fails" in image:
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    answers = [json.loads(image["answer"]["S"]) for image in images if "answer" in image]
    return answers[0] if answers else None


def stream_failing_first(event, context):
    """A DynamoDB stream batch, logged; the first FAIL_FIRST invocations fail (a function error),
    as when what the function writes to refuses it for a while."""
    stream(event, context)
    with open(os.environ["LOG_TO"]) as log:
        if sum(1 for _ in log) <= int(os.environ["FAIL_FIRST"]):
            raise RuntimeError("refused for now")
