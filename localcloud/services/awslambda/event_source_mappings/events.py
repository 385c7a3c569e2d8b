"""Lambda event payloads, shaped as the AWS services deliver them."""

from __future__ import annotations

import base64
from typing import Any

from localcloud.template import REGION


def sqs_record(message: dict, queue_arn: str) -> dict:
    """One record of an SQS event, from a ReceiveMessage result message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def sqs_event(messages: list[dict], queue_arn: str) -> dict:
    return {"Records": [sqs_record(m, queue_arn) for m in messages]}


def _json_typed(value: Any) -> Any:
    """Typed attribute values as Lambda's event carries them: binaries (bytes from the SDK)
    as base64 text."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _json_typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_typed(v) for v in value]
    return value


def stream_record(record: dict, stream_arn: str) -> dict:
    """One record of a DynamoDB Streams event, from a GetRecords result record."""
    out: dict[str, Any] = {k: record[k] for k in ("eventID", "eventName", "eventVersion", "eventSource", "awsRegion") if k in record}
    out.setdefault("eventSource", "aws:dynamodb")
    out.setdefault("awsRegion", REGION)
    out["dynamodb"] = {k: _json_typed(v) if k in ("Keys", "NewImage", "OldImage") else v for k, v in record["dynamodb"].items()}
    created = out["dynamodb"].get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, (int, float)):
        out["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    out["eventSourceARN"] = stream_arn
    return out
