"""The SQS API over the backend: each operation checks its request as SQS does, then acts.

Operations take and return the JSON protocol's request and response dicts, so the HTTP transport
and in-process callers (the local cloud's SQS event source) share them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from localcloud.services.sqs import transport
from localcloud.services.sqs.backend import RECEIPT_HANDLE, Clock, Message, Queue, SqsBackend
from localcloud.services.sqs.constants import (
    BATCH_ENTRY_ID,
    MAX_BATCH_ENTRIES,
    MAX_BATCH_PAYLOAD_BYTES,
    PARAMETER_RANGES,
    QUEUE_ATTRIBUTE_RANGES,
)
from localcloud.services.sqs.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidAttributeValue,
    InvalidBatchEntryId,
    InvalidParameterValue,
    MissingParameter,
    ReceiptHandleIsInvalid,
    SqsError,
    TooManyEntriesInBatchRequest,
)
from localcloud.template import ACCOUNT_ID

Request = dict[str, Any]
Response = dict[str, Any]


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - the protocol's checksum, not security


def md5_of_attributes(attributes: dict) -> str:
    """The MD5 SQS returns for message attributes (botocore checks it)."""
    digest = hashlib.md5()  # noqa: S324
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        digest.update(struct.pack("!I", len(name.encode())) + name.encode())
        digest.update(struct.pack("!I", len(data_type.encode())) + data_type.encode())
        if "BinaryValue" in value:
            raw = _binary(value["BinaryValue"])
            digest.update(b"\x02" + struct.pack("!I", len(raw)) + raw)
        else:
            raw = value["StringValue"].encode()
            digest.update(b"\x01" + struct.pack("!I", len(raw)) + raw)
    return digest.hexdigest()


def _binary(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else base64.b64decode(value)


def message_size(body: str, attributes: dict) -> int:
    """What counts against MaximumMessageSize: the body and each attribute's name, type and value."""
    size = len(body.encode())
    for name, value in attributes.items():
        raw = _binary(value["BinaryValue"]) if "BinaryValue" in value else value.get("StringValue", "").encode()
        size += len(name.encode()) + len(value["DataType"].encode()) + len(raw)
    return size


def _bounded(request: Request, name: str) -> int | None:
    """A numeric parameter, checked against SQS's range for it; None if the request leaves it out."""
    value = request.get(name)
    if value is None:
        return None
    low, high = PARAMETER_RANGES[name]
    if not low <= int(value) <= high:
        raise InvalidParameterValue.out_of_range(name, value, f"Must be between {low} and {high}, if provided.")
    return int(value)


def _check_batch(entries: list[dict], entry_kind: str) -> None:
    """The checks that reject a whole batch, before any entry is acted on."""
    if not entries:
        raise EmptyBatchRequest(entry_kind)
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest(len(entries))
    seen: set[str] = set()
    for entry in entries:
        if not BATCH_ENTRY_ID.fullmatch(entry["Id"]):
            raise InvalidBatchEntryId()
        if entry["Id"] in seen:
            raise BatchEntryIdsNotDistinct(entry["Id"])
        seen.add(entry["Id"])


def _check_queue_attributes(attributes: dict[str, str]) -> None:
    for name, (low, high) in QUEUE_ATTRIBUTE_RANGES.items():
        if name in attributes and not (str(attributes[name]).isdigit() and low <= int(attributes[name]) <= high):
            raise InvalidAttributeValue(name)


def _received(message: Message, names: set[str], attribute_names: set[str]) -> dict:
    out: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": message.handles[-1],
        "MD5OfBody": md5_hex(message.body),
        "Body": message.body,
    }
    system = {
        "SenderId": ACCOUNT_ID,
        "SentTimestamp": str(message.sent_ms),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms or message.sent_ms),
    }
    if message.dead_letter_source_arn:
        system["DeadLetterQueueSourceArn"] = message.dead_letter_source_arn
    if names:
        out["Attributes"] = {k: v for k, v in system.items() if "All" in names or k in names}
    wanted = {k: v for k, v in message.attributes.items() if {"All", ".*", k} & attribute_names}
    if wanted:
        out["MessageAttributes"] = wanted
        out["MD5OfMessageAttributes"] = md5_of_attributes(wanted)
    return out


class LocalSqs:
    """The SQS API of the local cloud, called in-process or over HTTP through `app()`."""

    def __init__(self, base_url: str = "", clock: Clock = time) -> None:
        self.base_url = base_url  # queue URLs start with it; set once the server listens
        self.backend = SqsBackend(clock)

    def operation(self, name: str) -> Callable[[Request], Awaitable[Response]] | None:
        return getattr(self, name) if name in _OPERATIONS else None

    def app(self) -> web.Application:
        return transport.app(self)

    async def _notify(self, queue: Queue, waiters: int | None = None) -> None:
        """Wake long polls: one per new message is enough (waking all costs every poller a
        pointless round); a visibility change or a dead letter wakes them all."""
        async with queue.changed:
            if waiters is None:
                queue.changed.notify_all()
            else:
                queue.changed.notify(waiters)

    # ------------------------------------------------------------ queues
    async def CreateQueue(self, r: Request) -> Response:  # noqa: N802 - the API's operation names
        attributes = dict(r.get("Attributes") or {})
        _check_queue_attributes(attributes)
        name = r["QueueName"]
        return {"QueueUrl": self.backend.create_queue(name, f"{self.base_url}/{ACCOUNT_ID}/{name}", attributes).url}

    async def GetQueueUrl(self, r: Request) -> Response:  # noqa: N802
        return {"QueueUrl": self.backend.queue_named(r["QueueName"]).url}

    async def ListQueues(self, r: Request) -> Response:  # noqa: N802
        prefix = r.get("QueueNamePrefix", "")
        return {"QueueUrls": [q.url for n, q in self.backend.queues.items() if n.startswith(prefix)]}

    async def GetQueueAttributes(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        created = str(queue.created)
        attributes = {
            **queue.attributes,
            **queue.counts(),
            "QueueArn": queue.arn,
            "CreatedTimestamp": created,
            "LastModifiedTimestamp": created,
        }
        names = set(r.get("AttributeNames") or [])
        return {"Attributes": attributes if "All" in names else {k: v for k, v in attributes.items() if k in names}}

    async def SetQueueAttributes(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        attributes = dict(r.get("Attributes") or {})
        _check_queue_attributes(attributes)
        queue.attributes.update(attributes)
        return {}

    async def PurgeQueue(self, r: Request) -> Response:  # noqa: N802
        self.backend.queue(r["QueueUrl"]).purge()
        return {}

    # ------------------------------------------------------------ send
    def _send(self, queue: Queue, r: Request, in_batch: bool = False) -> Message:
        delay = _bounded(r, "DelaySeconds")
        attributes = r.get("MessageAttributes") or {}
        limit = queue.setting("MaximumMessageSize")
        if message_size(r["MessageBody"], attributes) > limit:
            raise InvalidParameterValue.too_large(limit, in_batch)
        return queue.send(r["MessageBody"], attributes, delay)

    @staticmethod
    def _sent(message: Message) -> Response:
        out = {"MessageId": message.message_id, "MD5OfMessageBody": md5_hex(message.body)}
        if message.attributes:
            out["MD5OfMessageAttributes"] = md5_of_attributes(message.attributes)
        return out

    async def SendMessage(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        message = self._send(queue, r)
        if message.visible_at <= queue.clock.monotonic():  # a delayed one wakes a poller through its timer
            await self._notify(queue, 1)
        return self._sent(message)

    async def SendMessageBatch(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        entries = r.get("Entries") or []
        _check_batch(entries, "SendMessageBatchRequestEntry")
        total = sum(message_size(e["MessageBody"], e.get("MessageAttributes") or {}) for e in entries)
        if total > MAX_BATCH_PAYLOAD_BYTES:
            raise BatchRequestTooLong(total)
        successful, failed, ready = [], [], 0
        for entry in entries:
            try:
                message = self._send(queue, entry, in_batch=True)
            except SqsError as error:
                failed.append(error.batch_entry(entry["Id"]))
                continue
            successful.append({"Id": entry["Id"], **self._sent(message)})
            ready += message.visible_at <= queue.clock.monotonic()
        if ready:
            await self._notify(queue, ready)
        return {"Successful": successful, "Failed": failed}

    # ------------------------------------------------------------ receive
    async def ReceiveMessage(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        count = _bounded(r, "MaxNumberOfMessages") or 1
        wait = _bounded(r, "WaitTimeSeconds")
        wait = queue.setting("ReceiveMessageWaitTimeSeconds") if wait is None else wait
        visibility = _bounded(r, "VisibilityTimeout")
        visibility = queue.setting("VisibilityTimeout") if visibility is None else visibility
        names = set(r.get("MessageSystemAttributeNames") or r.get("AttributeNames") or [])
        attribute_names = set(r.get("MessageAttributeNames") or [])
        dead_letter, max_receives = self.backend.dead_letter(queue)
        deadline = time.monotonic() + wait  # real time, not the backend's clock: the wait below is real
        while True:
            taken, moved = queue.take(count, visibility, dead_letter, max_receives)
            if moved and dead_letter is not None:
                await self._notify(dead_letter)
            remaining = deadline - time.monotonic()
            if taken or remaining <= 0:
                return {"Messages": [_received(m, names, attribute_names) for m in taken]} if taken else {}
            timer = queue.next_timer_in()
            async with queue.changed:
                try:  # woken by a send or a visibility change, or when the next timer is due
                    await asyncio.wait_for(queue.changed.wait(), min(remaining, timer if timer is not None else remaining))
                except TimeoutError:
                    pass

    # ------------------------------------------------------------ delete and visibility
    @staticmethod
    def _handle(r: Request) -> str:
        handle = r["ReceiptHandle"]
        if not RECEIPT_HANDLE.fullmatch(handle):
            raise ReceiptHandleIsInvalid(handle)
        return handle

    def _change_visibility(self, queue: Queue, r: Request) -> None:
        timeout = _bounded(r, "VisibilityTimeout")
        if timeout is None:
            raise MissingParameter("VisibilityTimeout")
        queue.change_visibility(self._handle(r), timeout)

    async def DeleteMessage(self, r: Request) -> Response:  # noqa: N802
        self.backend.queue(r["QueueUrl"]).delete(self._handle(r))
        return {}

    async def DeleteMessageBatch(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        return self._per_entry(r, "DeleteMessageBatchRequestEntry", lambda entry: queue.delete(self._handle(entry)))

    async def ChangeMessageVisibility(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        self._change_visibility(queue, r)
        await self._notify(queue)
        return {}

    async def ChangeMessageVisibilityBatch(self, r: Request) -> Response:  # noqa: N802
        queue = self.backend.queue(r["QueueUrl"])
        result = self._per_entry(
            r, "ChangeMessageVisibilityBatchRequestEntry", lambda entry: self._change_visibility(queue, entry)
        )
        await self._notify(queue)
        return result

    @staticmethod
    def _per_entry(r: Request, entry_kind: str, act: Callable[[dict], None]) -> Response:
        entries = r.get("Entries") or []
        _check_batch(entries, entry_kind)
        successful, failed = [], []
        for entry in entries:
            try:
                act(entry)
            except SqsError as error:
                failed.append(error.batch_entry(entry["Id"]))
            else:
                successful.append({"Id": entry["Id"]})
        return {"Successful": successful, "Failed": failed}


_OPERATIONS = frozenset(
    {
        "CreateQueue", "GetQueueUrl", "ListQueues", "GetQueueAttributes", "SetQueueAttributes", "PurgeQueue",
        "SendMessage", "SendMessageBatch", "ReceiveMessage",
        "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
    }
)  # fmt: skip
