"""A stream event source's on-failure destination (DestinationConfig.OnFailure): where Lambda
sends a record of each batch it discards. For a DynamoDB stream the record names the batch's
place in the stream (shard, first and last sequence numbers), not its records: they can be read
again from the stream while it keeps them (awslambda/constants.py, STREAM_RETENTION_S).
https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Protocol

from localcloud.services.awslambda.runtime import Invocation

# requestContext.condition: why the records were discarded.
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


class FailureDestination(Protocol):
    """An SQS queue of the template (the local cloud's own SQS, or an endpoint's)."""

    url: str

    async def send(self, body: str) -> None: ...


def _iso_seconds(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stream_failure_record(
    function_arn: str, stream_arn: str, shard_id: str, records: list[dict], condition: str, invokes: int, last: Invocation | None,
) -> dict:  # fmt: skip
    """What Lambda sends for ``records`` (in stream order) discarded after ``invokes`` invocations,
    the last of them ``last`` (None: discarded before any, by age)."""
    first, final = records[0]["dynamodb"], records[-1]["dynamodb"]
    now = time.time()
    out: dict = {
        "requestContext": {
            "requestId": last.request_id if last else str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invokes,
        },
        "version": "1.0",
        "timestamp": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": final["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso_seconds(first.get("ApproximateCreationDateTime", now)),
            "approximateArrivalOfLastRecord": _iso_seconds(final.get("ApproximateCreationDateTime", now)),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
    if last is not None:  # a function error, or a batch response that failed records
        out["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST", **({} if last.ok else {"functionError": "Unhandled"})}
    return out
