"""SQS adapter for the webhook queue: delivery messages in, backoff by visibility."""

from __future__ import annotations

import json
from typing import Any

MAX_BATCH = 10  # SendMessageBatch's limit


class SqsWebhookQueue:
    def __init__(self, client: Any, url: str) -> None:
        self.client, self.url = client, url

    def send_all(self, messages: list[dict]) -> set[int]:
        """Queue every message, ten to a call; the indexes of those SQS did not take."""
        failed: set[int] = set()
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            entries = [{"Id": str(start + i), "MessageBody": json.dumps(m, separators=(",", ":"))} for i, m in enumerate(chunk)]
            try:
                result = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
            except Exception:  # noqa: BLE001 - the stream batch retries these records
                failed |= set(range(start, start + len(chunk)))
                continue
            failed |= {int(f["Id"]) for f in result.get("Failed", [])}
        return failed

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        self.client.change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=int(delay_seconds))


class SqsSetAside:
    """WebhookStreamFailureQueue: status changes the stream gave up queueing, to redrive."""

    HIDE_SECONDS = 60  # a message a redrive leaves is not seen again by the same run

    def __init__(self, client: Any, url: str) -> None:
        self.client, self.url = client, url

    def set_aside(self, body: dict) -> None:
        self.client.send_message(QueueUrl=self.url, MessageBody=json.dumps(body, separators=(",", ":"), default=str))

    def take(self, most: int) -> list[tuple[str, str]]:
        """Up to ``most`` (at most 10) messages: (receipt handle, body)."""
        answer = self.client.receive_message(QueueUrl=self.url, MaxNumberOfMessages=min(most, MAX_BATCH), WaitTimeSeconds=1, VisibilityTimeout=self.HIDE_SECONDS)
        return [(m["ReceiptHandle"], m["Body"]) for m in answer.get("Messages", [])]

    def done(self, receipt_handle: str) -> None:
        self.client.delete_message(QueueUrl=self.url, ReceiptHandle=receipt_handle)
