"""An SQS event source mapping: pollers that long-poll a queue and hand batches to the sender;
a batch's messages are deleted only when the batch (or that message) succeeded."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from localcloud.services.awslambda.constants import (
    REPORT_BATCH_ITEM_FAILURES,
    SQS_DEFAULT_BATCH_SIZE,
    SQS_INITIAL_CONCURRENT_BATCHES,
    SQS_MAX_MESSAGES_PER_RECEIVE,
)
from localcloud.services.awslambda.event_source_mappings.base import SourceStats
from localcloud.services.awslambda.event_source_mappings.events import sqs_event
from localcloud.services.awslambda.event_source_mappings.sender import BatchSender
from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.services.sqs import LocalSqs
from localcloud.services.sqs.constants import MAX_BATCH_ENTRIES

log = logging.getLogger("localcloud")

LONG_POLL_S = 2  # the local cloud's choice (Lambda's pollers may wait up to 20 s)
RECEIVE_ERROR_PAUSE_S = 1.0  # after a failed receive (the endpoint went away or hiccuped)


class Queue(Protocol):
    """Where a source's messages come from and are deleted: an endpoint, or the local SQS itself."""

    url: str
    idle_short_poll_s: float | None  # when set, one poller short-polls this often instead of long-polling

    async def receive(self, max_messages: int, wait_s: int) -> list[dict]: ...

    async def delete(self, handles: list[str]) -> list[dict]:
        """Delete up to 10 messages (one DeleteMessageBatch); the entries SQS failed."""
        ...


class EndpointQueue:
    """A queue behind an SQS endpoint (LocalStack, a moto server, AWS), through boto3."""

    # moto's long poll wakes on a newly sent message, or else only once a second, so a
    # message that becomes visible later (a delay, a backoff) could sit for up to a second.
    # One poller therefore short-polls this often while idle; the others long-poll.
    idle_short_poll_s: float | None = 0.05

    def __init__(self, client: Any, url: str, pool: ThreadPoolExecutor) -> None:
        self.client, self.url, self.pool = client, url, pool

    async def receive(self, max_messages: int, wait_s: int) -> list[dict]:
        call = lambda: self.client.receive_message(  # noqa: E731
            QueueUrl=self.url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
        )  # fmt: skip
        return (await asyncio.get_running_loop().run_in_executor(self.pool, call)).get("Messages", [])

    async def delete(self, handles: list[str]) -> list[dict]:
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
        call = lambda: self.client.delete_message_batch(QueueUrl=self.url, Entries=entries)  # noqa: E731
        return (await asyncio.get_running_loop().run_in_executor(self.pool, call)).get("Failed", [])

    async def send(self, body: str) -> None:
        """One message (a stream source's record of a discarded batch: its on-failure destination)."""
        await asyncio.get_running_loop().run_in_executor(self.pool, lambda: self.client.send_message(QueueUrl=self.url, MessageBody=body))


class InProcessQueue:
    """A queue of the local cloud's own SQS, called directly (its long poll is exact)."""

    idle_short_poll_s: float | None = None

    def __init__(self, sqs: LocalSqs, url: str) -> None:
        self.sqs, self.url = sqs, url

    async def receive(self, max_messages: int, wait_s: int) -> list[dict]:
        request = {"QueueUrl": self.url, "MaxNumberOfMessages": max_messages, "WaitTimeSeconds": wait_s,
                   "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}  # fmt: skip
        return (await self.sqs.ReceiveMessage(request)).get("Messages", [])

    async def delete(self, handles: list[str]) -> list[dict]:
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
        return (await self.sqs.DeleteMessageBatch({"QueueUrl": self.url, "Entries": entries})).get("Failed", [])

    async def send(self, body: str) -> None:
        await self.sqs.SendMessage({"QueueUrl": self.url, "MessageBody": body})


class SqsEventSource:
    """Long-polls a queue and invokes the function with batches, at most ``MaximumConcurrency``
    batches at once. A batch that fails (a function error, or a partial batch response Lambda
    would reject) is left alone: its messages reappear after their visibility timeout."""

    unsupported: str | None = None

    def __init__(self, function: LocalFunction, queue: Queue, queue_arn: str, properties: dict) -> None:
        self.function = function
        self.queue = queue
        self.queue_arn = queue_arn
        self.batch_size = int(properties.get("BatchSize", SQS_DEFAULT_BATCH_SIZE))
        self.window_s = float(properties.get("MaximumBatchingWindowInSeconds", 0))
        scaling = (properties.get("ScalingConfig") or {}).get("MaximumConcurrency")
        limits = [int(x) for x in (scaling, function.spec.reserved_concurrency) if x is not None]
        self.concurrency = min(limits) if limits else SQS_INITIAL_CONCURRENT_BATCHES
        self._stats = SourceStats()
        reports_failures = REPORT_BATCH_ITEM_FAILURES in (properties.get("FunctionResponseTypes") or [])
        self.sender = BatchSender(function, reports_failures, self._stats)
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._in_flight: set[asyncio.Task] = set()

    async def start(self) -> None:
        # One poller per allowed concurrent batch: a poller waits for its batch's invocation
        # before it receives again, so no more than `concurrency` batches are ever in flight.
        short = self.queue.idle_short_poll_s
        self._tasks = [asyncio.create_task(self._poll(short if i == 0 else None)) for i in range(self.concurrency)]

    def stats(self) -> SourceStats:
        return self._stats

    def describe(self) -> str:
        queue = self.queue.url.rsplit("/", 1)[-1]
        return f"SQS {queue} -> {self.function.logical_id} (batch {self.batch_size}, max {self.concurrency} at once)"

    async def _receive(self, max_messages: int, wait_s: int) -> list[dict]:
        self._stats.calls["sqs.ReceiveMessage"] += 1
        return await self.queue.receive(max_messages, wait_s)

    async def _batch(self, short_poll_s: float | None) -> list[dict]:
        messages = await self._receive(min(SQS_MAX_MESSAGES_PER_RECEIVE, self.batch_size), 0 if short_poll_s else LONG_POLL_S)
        deadline = time.monotonic() + self.window_s
        while messages and len(messages) < self.batch_size and time.monotonic() < deadline and not self._stopping:
            messages += await self._receive(min(SQS_MAX_MESSAGES_PER_RECEIVE, self.batch_size - len(messages)), 0)
        return messages

    async def _poll(self, short_poll_s: float | None) -> None:
        while not self._stopping:
            try:
                messages = await self._batch(short_poll_s)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the endpoint went away or hiccuped
                log.warning("SQS receive failed for %s: %s", self.function.logical_id, error)
                await asyncio.sleep(RECEIVE_ERROR_PAUSE_S)
                continue
            if not messages:
                if short_poll_s:
                    await asyncio.sleep(short_poll_s)
                continue
            task = asyncio.create_task(self._deliver(messages))
            self._in_flight.add(task)
            try:
                await asyncio.shield(task)
            finally:
                self._in_flight.discard(task)

    async def _deliver(self, messages: list[dict]) -> None:
        _, outcome = await self.sender.send(sqs_event(messages, self.queue_arn), [m["MessageId"] for m in messages])
        if outcome.whole_batch_failed:
            return  # every message reappears after its visibility timeout
        done = [m["ReceiptHandle"] for m in messages if m["MessageId"] not in outcome.failed_ids]
        for start in range(0, len(done), MAX_BATCH_ENTRIES):  # a batch may hold up to 10,000; a delete, 10
            self._stats.calls["sqs.DeleteMessageBatch"] += 1
            failed = await self.queue.delete(done[start : start + MAX_BATCH_ENTRIES])
            if failed:  # the message comes back after its visibility timeout, as on Lambda
                codes = sorted({f.get("Code", "?") for f in failed})
                log.warning("%s: %d processed message(s) not deleted (%s)", self.describe(), len(failed), ", ".join(codes))

    async def stop(self) -> None:
        """Stop receiving; let the invocations already running finish (drain)."""
        self._stopping = True
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
