"""A DynamoDB Streams event source mapping: one reader per shard, in order, that filters and
batches records and hands them to the sender; a failed batch is retried, split and given up on
as Lambda does (awslambda/constants.py, the stream section), and what is given up on is recorded
on the on-failure destination (destinations.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from localcloud.services.awslambda.constants import (
    REPORT_BATCH_ITEM_FAILURES,
    STREAM_DEFAULT_BATCH_SIZE,
    STREAM_IDLE_POLL_S,
    STREAM_MAX_RECORDS_PER_READ,
    STREAM_RETENTION_S,
    UNLIMITED,
)
from localcloud.services.awslambda.event_source_mappings.base import SourceStats
from localcloud.services.awslambda.event_source_mappings.destinations import (
    RECORD_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    FailureDestination,
    stream_failure_record,
)
from localcloud.services.awslambda.event_source_mappings.events import stream_record
from localcloud.services.awslambda.event_source_mappings.filters import passes
from localcloud.services.awslambda.event_source_mappings.sender import BatchSender
from localcloud.services.awslambda.runtime import Invocation, LocalFunction
from localcloud.services.dynamodb.long_poll import STREAM_WAIT_HEADER
from localcloud.template import ACCOUNT_ID, REGION

log = logging.getLogger("localcloud")

# The local cloud's choices. How long the local endpoint may hold an empty read (a record written
# meanwhile answers it at once); after a failed read, a pause; between retries of a failed batch,
# an exponential backoff (Lambda documents none for streams).
LONG_POLL_MS = 10_000
READ_ERROR_PAUSE_S = 0.5
RETRY_BACKOFF_S = (0.1, 2.0)  # the first wait doubles up to the cap


class StreamEventSource:
    """Reads every shard of a DynamoDB stream in order, filters, batches and invokes.

    A batch that fails is retried up to MaximumRetryAttempts: from its first failed record when
    the function answers with a partial batch response, else whole, or split in two first with
    BisectBatchOnFunctionError (a split is not a retry). Records older than
    MaximumRecordAgeInSeconds, or than the stream keeps them (24 h) when it is -1, are discarded
    before they are sent. A record of each discarded batch (its shard and sequence numbers) goes
    to the OnFailure destination, when there is one.

    Lambda polls each shard four times a second. Against the local cloud's own endpoint a read
    of an idle shard is a long poll (see services/dynamodb/long_poll.py): it answers the moment a
    record is written, and an idle table costs nothing. Against another endpoint, which answers
    at once, an empty read is followed by Lambda's quarter-second pause."""

    unsupported: str | None = None

    def __init__(
        self, function: LocalFunction, streams: Any, stream_arn: str, properties: dict, pool: ThreadPoolExecutor,
        clock: Callable[[], float] = time.time, on_failure: FailureDestination | None = None,
    ) -> None:  # fmt: skip
        self.function = function
        self.streams = streams
        self.stream_arn = stream_arn
        self.batch_size = int(properties.get("BatchSize", STREAM_DEFAULT_BATCH_SIZE))
        self.starting_position = properties.get("StartingPosition", "LATEST")
        self.max_retries = int(properties.get("MaximumRetryAttempts", UNLIMITED))
        self.max_record_age_s = int(properties.get("MaximumRecordAgeInSeconds", UNLIMITED))
        self.bisect = properties.get("BisectBatchOnFunctionError") in (True, "true", "True")
        self.filter_criteria = properties.get("FilterCriteria")
        self.on_failure = on_failure  # where a record of each discarded batch goes (None: only the log says)
        self.clock = clock  # wall-clock seconds, against the records' ApproximateCreationDateTime
        self.pool = pool
        self._stats = SourceStats()
        reports_failures = REPORT_BATCH_ITEM_FAILURES in (properties.get("FunctionResponseTypes") or [])
        self.sender = BatchSender(function, reports_failures, self._stats)
        self._tasks: dict[str, asyncio.Task] = {}
        self._polling: set[str] = set()  # shards whose reader is waiting in GetRecords
        self._stopping = False
        streams.meta.events.register("before-send.dynamodb-streams.GetRecords", self._ask_for_long_poll)

    def stats(self) -> SourceStats:
        return self._stats

    def describe(self) -> str:
        settings = [f"batch {self.batch_size}", json.dumps(self.filter_criteria) if self.filter_criteria else "no filter"]
        if self.max_retries != UNLIMITED:
            settings.append(f"{self.max_retries} retries")
        if self.max_record_age_s != UNLIMITED:
            settings.append(f"records up to {self.max_record_age_s} s old")
        if self.bisect:
            settings.append("bisect on error")
        if self.on_failure:
            settings.append("discarded batches to " + self.on_failure.url.rsplit("/", 1)[-1])
        if self.unsupported:
            settings.append(self.unsupported)
        return f"DynamoDB stream -> {self.function.logical_id} ({', '.join(settings)})"

    def _ask_for_long_poll(self, request: Any, **_: Any) -> None:
        request.headers[STREAM_WAIT_HEADER] = str(LONG_POLL_MS)

    async def _call(self, fn: Any, **kwargs: Any) -> dict:
        self._stats.calls["dynamodb-streams." + "".join(part.capitalize() for part in fn.__name__.split("_"))] += 1
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
                result = await self._call(self.streams.get_records, ShardIterator=iterator, Limit=STREAM_MAX_RECORDS_PER_READ)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("stream read failed for %s: %s", self.function.logical_id, error)
                await asyncio.sleep(READ_ERROR_PAUSE_S)
                continue
            finally:
                self._polling.discard(shard_id)
            iterator = result.get("NextShardIterator")
            records = [stream_record(r, self.stream_arn) for r in result.get("Records", [])]
            pending += [r for r in records if passes(self.filter_criteria, r)]
            while pending:
                batch, pending = pending[: self.batch_size], pending[self.batch_size :]
                await self._deliver(shard_id, batch)
            if not records and time.monotonic() - started < STREAM_IDLE_POLL_S:
                await asyncio.sleep(STREAM_IDLE_POLL_S)  # the endpoint does not long-poll

    async def _deliver(self, shard_id: str, batch: list[dict], retries: int = 0) -> None:
        """Invoke with ``batch`` until it succeeds, is split, or is given up on; ``retries`` is how
        many times these records were retried already (a split half inherits it)."""
        invokes, last = 0, None
        while batch and not self._stopping:
            batch = await self._drop_expired(shard_id, batch, invokes, last)
            if not batch:
                return
            last, outcome = await self.sender.send({"Records": batch}, [r["dynamodb"]["SequenceNumber"] for r in batch])
            invokes += 1
            if outcome.failed_ids:  # the checkpoint: the records before the first failed one are done
                batch = batch[next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in outcome.failed_ids) :]
            elif not outcome.whole_batch_failed:
                return
            elif self.bisect and len(batch) > 1:  # a split is not a retry
                half = len(batch) // 2
                await self._deliver(shard_id, batch[:half], retries)
                await self._deliver(shard_id, batch[half:], retries)
                return
            if self.max_retries != UNLIMITED and retries >= self.max_retries:
                await self._discard(shard_id, batch, RETRIES_EXHAUSTED, invokes, last, f"after {retries} retries")
                return
            retries += 1
            first, cap = RETRY_BACKOFF_S
            await asyncio.sleep(min(cap, first * 2 ** (retries - 1)))

    async def _drop_expired(self, shard_id: str, batch: list[dict], invokes: int, last: Invocation | None) -> list[dict]:
        """The records not older than MaximumRecordAgeInSeconds (or, when that is -1, still kept
        by the stream); the others are discarded."""
        max_age_s = STREAM_RETENTION_S if self.max_record_age_s == UNLIMITED else self.max_record_age_s
        oldest = self.clock() - max_age_s
        fresh, expired = [], []
        for record in batch:
            (fresh if record["dynamodb"].get("ApproximateCreationDateTime", oldest) >= oldest else expired).append(record)
        if expired:
            await self._discard(shard_id, expired, RECORD_AGE_EXCEEDED, invokes, last, f"older than {max_age_s} s")
        return fresh

    async def _discard(self, shard_id: str, records: list[dict], condition: str, invokes: int, last: Invocation | None, why: str) -> None:
        self._stats.records_discarded += len(records)
        request_id = last.request_id if last else None
        self.function.log(request_id, f"discarding {len(records)} stream record(s) {why}")
        if self.on_failure is None:
            return
        function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function.function_name}"
        record = stream_failure_record(function_arn, self.stream_arn, shard_id, records, condition, invokes, last)
        try:
            await self.on_failure.send(json.dumps(record))
        except Exception as error:  # noqa: BLE001 - the destination's failure is the operator's to see
            log.error("%s: the on-failure destination refused the record of %d discarded record(s): %s", self.function.logical_id, len(records), error)

    async def stop(self) -> None:
        """Stop reading: an invocation in flight finishes first (drain), a long poll is dropped, and
        a failed batch is not retried again (it was not checkpointed; on AWS a later reader would
        retry it)."""
        self._stopping = True
        for shard_id, task in self._tasks.items():
            if shard_id in self._polling:
                task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
