"""Event source mappings as Lambda runs them: SQS queues and DynamoDB streams."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from localcloud.events import STREAM_WAIT_HEADER, sqs_event, stream_record
from localcloud.filters import passes
from localcloud.runtime import Invocation, LocalFunction
from localcloud.sqs import LocalSqs

log = logging.getLogger("localcloud")


def _failed_ids(invocation: Invocation, reports_failures: bool) -> set[str] | None:
    """The ids of the records to retry; None means the whole batch failed."""
    if not invocation.ok:
        return None
    if not reports_failures or not isinstance(invocation.result, dict):
        return set()
    failures = invocation.result.get("batchItemFailures") or []
    try:
        return {str(f["itemIdentifier"]) for f in failures}
    except (TypeError, KeyError):
        return None  # a malformed response fails the whole batch, as Lambda does


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

    async def delete(self, handles: list[str]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
        await asyncio.get_running_loop().run_in_executor(self.pool, lambda: self.client.delete_message_batch(QueueUrl=self.url, Entries=entries))


class InProcessQueue:
    """A queue of the local cloud's own SQS, called directly (its long poll is exact)."""

    idle_short_poll_s: float | None = None

    def __init__(self, sqs: LocalSqs, url: str) -> None:
        self.sqs, self.url = sqs, url

    async def receive(self, max_messages: int, wait_s: int) -> list[dict]:
        request = {"QueueUrl": self.url, "MaxNumberOfMessages": max_messages, "WaitTimeSeconds": wait_s,
                   "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}  # fmt: skip
        return (await self.sqs.ReceiveMessage(request)).get("Messages", [])

    async def delete(self, handles: list[str]) -> None:
        await self.sqs.DeleteMessageBatch({"QueueUrl": self.url, "Entries": [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]})


class SqsEventSource:
    """Long-polls a queue and invokes the function with batches, at most
    ``MaximumConcurrency`` batches at once; deletes only the records that succeeded."""

    def __init__(self, function: LocalFunction, queue: EndpointQueue | InProcessQueue, queue_arn: str, properties: dict) -> None:
        self.function = function
        self.queue = queue
        self.queue_url = queue.url
        self.queue_arn = queue_arn
        self.batch_size = int(properties.get("BatchSize", 10))
        self.window_s = float(properties.get("MaximumBatchingWindowInSeconds", 0))
        self.reports_failures = "ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or [])
        scaling = (properties.get("ScalingConfig") or {}).get("MaximumConcurrency")
        limits = [int(x) for x in (scaling, function.spec.reserved_concurrency) if x is not None]
        self.concurrency = min(limits) if limits else 5  # Lambda starts an unbounded SQS mapping with 5 pollers
        self.calls: Counter[str] = Counter()
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self.in_flight: set[asyncio.Task] = set()

    def start(self) -> None:
        # One poller per allowed concurrent batch: a poller waits for its batch's invocation
        # before it receives again, so no more than `concurrency` batches are ever in flight.
        short = self.queue.idle_short_poll_s
        self._tasks = [asyncio.create_task(self._poll(short if i == 0 else None)) for i in range(self.concurrency)]

    async def _receive(self, max_messages: int, wait_s: int) -> list[dict]:
        self.calls["sqs.ReceiveMessage"] += 1
        return await self.queue.receive(max_messages, wait_s)

    async def _batch(self, short_poll_s: float | None) -> list[dict]:
        messages = await self._receive(min(10, self.batch_size), 0 if short_poll_s else 2)
        deadline = time.monotonic() + self.window_s
        while messages and len(messages) < self.batch_size and time.monotonic() < deadline and not self._stopping:
            messages += await self._receive(min(10, self.batch_size - len(messages)), 0)
        return messages

    async def _poll(self, short_poll_s: float | None) -> None:
        while not self._stopping:
            try:
                messages = await self._batch(short_poll_s)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the endpoint went away or hiccuped
                log.warning("SQS receive failed for %s: %s", self.function.logical_id, error)
                await asyncio.sleep(1)
                continue
            if not messages:
                if short_poll_s:
                    await asyncio.sleep(short_poll_s)
                continue
            task = asyncio.create_task(self._deliver(messages))
            self.in_flight.add(task)
            try:
                await asyncio.shield(task)
            finally:
                self.in_flight.discard(task)

    async def _deliver(self, messages: list[dict]) -> None:
        invocation = await self.function.invoke(sqs_event(messages, self.queue_arn))
        failed = _failed_ids(invocation, self.reports_failures)
        if failed is None:
            return  # whole batch failed: every message reappears after its visibility timeout
        done = [m["ReceiptHandle"] for m in messages if m["MessageId"] not in failed]
        if done:
            self.calls["sqs.DeleteMessageBatch"] += 1
            await self.queue.delete(done)

    async def stop(self) -> None:
        """Stop receiving; let the invocations already running finish (drain)."""
        self._stopping = True
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class StreamEventSource:
    """Reads every shard of a DynamoDB stream in order, filters, batches and invokes;
    a failed batch is retried (from its first failed record) up to MaximumRetryAttempts.

    Lambda polls each shard four times a second. Against the local cloud's own endpoint a read
    of an idle shard is a long poll (see localcloud.moto_dynamodb): it answers the moment a
    record is written, and an idle table costs nothing. Against another endpoint, which answers
    at once, an empty read is followed by Lambda's quarter-second pause."""

    IDLE_POLL_S = 0.25
    LONG_POLL_MS = 10_000

    def __init__(self, function: LocalFunction, streams: Any, stream_arn: str, properties: dict, pool: ThreadPoolExecutor) -> None:
        self.function = function
        self.streams = streams
        self.stream_arn = stream_arn
        self.batch_size = int(properties.get("BatchSize", 100))
        self.starting_position = properties.get("StartingPosition", "LATEST")
        self.max_retries = int(properties.get("MaximumRetryAttempts", -1))
        self.filter_criteria = properties.get("FilterCriteria")
        self.reports_failures = "ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or [])
        self.pool = pool
        self._tasks: dict[str, asyncio.Task] = {}
        self._polling: set[str] = set()  # shards whose reader is waiting in GetRecords
        self._stopping = False
        self.discarded = 0
        self.calls: Counter[str] = Counter()
        streams.meta.events.register("before-send.dynamodb-streams.GetRecords", self._ask_for_long_poll)

    def _ask_for_long_poll(self, request: Any, **_: Any) -> None:
        request.headers[STREAM_WAIT_HEADER] = str(self.LONG_POLL_MS)

    async def _call(self, fn: Any, **kwargs: Any) -> dict:
        self.calls["dynamodb-streams." + "".join(part.capitalize() for part in fn.__name__.split("_"))] += 1
        return await asyncio.get_running_loop().run_in_executor(self.pool, lambda: fn(**kwargs))

    async def start(self) -> None:
        description = await self._call(self.streams.describe_stream, StreamArn=self.stream_arn)
        for shard in description["StreamDescription"]["Shards"]:
            iterator = await self._call(
                self.streams.get_shard_iterator,
                StreamArn=self.stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType=self.starting_position,
            )
            task = asyncio.create_task(self._read(shard["ShardId"], iterator["ShardIterator"]))
            task.add_done_callback(self._report_crash)
            self._tasks[shard["ShardId"]] = task

    def _report_crash(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("stream reader for %s stopped: %s: %s", self.function.logical_id, type(error).__name__, error)

    async def _read(self, shard_id: str, iterator: str | None) -> None:
        pending: list[dict] = []
        while iterator and not self._stopping:
            started = time.monotonic()
            self._polling.add(shard_id)
            try:
                result = await self._call(self.streams.get_records, ShardIterator=iterator, Limit=1000)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("stream read failed for %s: %s", self.function.logical_id, error)
                await asyncio.sleep(0.5)
                continue
            finally:
                self._polling.discard(shard_id)
            iterator = result.get("NextShardIterator")
            records = [stream_record(r, self.stream_arn) for r in result.get("Records", [])]
            pending += [r for r in records if passes(self.filter_criteria, r)]
            while pending:
                batch, pending = pending[: self.batch_size], pending[self.batch_size :]
                await self._deliver(batch)
            if not records and time.monotonic() - started < self.IDLE_POLL_S:
                await asyncio.sleep(self.IDLE_POLL_S)  # the endpoint does not long-poll

    async def _deliver(self, batch: list[dict]) -> None:
        retries = 0
        while batch:
            invocation = await self.function.invoke({"Records": batch})
            failed = _failed_ids(invocation, self.reports_failures)
            if failed is not None and not failed:
                return
            if failed:  # retry from the first failed record; the ones before it are done
                first = next((i for i, r in enumerate(batch) if r["dynamodb"].get("SequenceNumber") in failed), 0)
                batch = batch[first:]
            if self.max_retries >= 0 and retries >= self.max_retries:
                self.discarded += len(batch)
                self.function.log(invocation.request_id, f"discarding {len(batch)} stream record(s) after {retries} retries")
                return
            retries += 1
            await asyncio.sleep(min(2.0, 0.1 * 2**retries))

    async def stop(self) -> None:
        """Stop reading; a batch being delivered finishes first (drain), a long poll is dropped."""
        self._stopping = True
        for shard_id, task in self._tasks.items():
            if shard_id in self._polling:
                task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


def describe(source: Any) -> str:
    if hasattr(source, "describe"):
        return source.describe()
    if isinstance(source, SqsEventSource):
        return f"SQS {source.queue_url.rsplit('/', 1)[-1]} -> {source.function.logical_id} (batch {source.batch_size}, max {source.concurrency} at once)"
    return f"DynamoDB stream -> {source.function.logical_id} (batch {source.batch_size}, {json.dumps(source.filter_criteria) if source.filter_criteria else 'no filter'})"
