"""SQS for the local cloud: the JSON protocol boto3 speaks, with SQS's semantics.

moto's SQS scans (and deep-copies) every message on each receive and its long poll only
re-checks once a second, which starves consumers once a few hundred delayed messages wait.
This one keeps ready messages in a queue and the rest in a timer heap, and wakes long polls
the moment a message becomes visible. Semantics: DelaySeconds, visibility timeouts,
ChangeMessageVisibility, ApproximateReceiveCount, redrive to a dead-letter queue after
maxReceiveCount receives, long polling, batch operations, queue attributes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import heapq
import json
import struct
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from localcloud.template import ACCOUNT_ID, REGION

MAX_BATCH = 10


class SqsError(Exception):
    def __init__(self, code: str, message: str, query_code: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.query_code, self.status = code, message, query_code or code, status


def _no_queue(url: str) -> SqsError:
    return SqsError("QueueDoesNotExist", f"The specified queue does not exist: {url}", "AWS.SimpleQueueService.NonExistentQueue")


def md5_of_attributes(attributes: dict) -> str:
    """The MD5 SQS returns for message attributes (botocore checks it)."""
    digest = hashlib.md5()  # noqa: S324 - the protocol's checksum, not security
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        digest.update(struct.pack("!I", len(name.encode())) + name.encode())
        digest.update(struct.pack("!I", len(data_type.encode())) + data_type.encode())
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            raw = raw if isinstance(raw, bytes) else base64.b64decode(raw)
            digest.update(b"\x02" + struct.pack("!I", len(raw)) + raw)
        else:
            raw = value["StringValue"].encode()
            digest.update(b"\x01" + struct.pack("!I", len(raw)) + raw)
    return digest.hexdigest()


@dataclass
class Message:
    message_id: str
    body: str
    attributes: dict  # message attributes as sent
    sent_ms: int
    visible_at: float  # time.monotonic()
    receive_count: int = 0
    first_receive_ms: int | None = None
    receipt_handle: str | None = None
    deleted: bool = False
    system: dict = field(default_factory=dict)

    def as_received(self, names: set[str], attribute_names: set[str]) -> dict:
        out: dict[str, Any] = {
            "MessageId": self.message_id,
            "ReceiptHandle": self.receipt_handle,
            "MD5OfBody": hashlib.md5(self.body.encode()).hexdigest(),  # noqa: S324
            "Body": self.body,
        }
        system = {
            "SenderId": ACCOUNT_ID,
            "SentTimestamp": str(self.sent_ms),
            "ApproximateReceiveCount": str(self.receive_count),
            "ApproximateFirstReceiveTimestamp": str(self.first_receive_ms or self.sent_ms),
        }
        if names:
            out["Attributes"] = {k: v for k, v in system.items() if "All" in names or k in names}
        wanted = {k: v for k, v in self.attributes.items() if "All" in attribute_names or ".*" in attribute_names or k in attribute_names}
        if wanted:
            out["MessageAttributes"] = wanted
            out["MD5OfMessageAttributes"] = md5_of_attributes(wanted)
        return out


class Queue:
    def __init__(self, name: str, url: str, attributes: dict[str, str]) -> None:
        self.name = name
        self.url = url
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        self.attributes = {"VisibilityTimeout": "30", "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0",
                           "MessageRetentionPeriod": "345600", "MaximumMessageSize": "262144"}  # fmt: skip
        self.attributes.update(attributes)
        self.created = int(time.time())
        self.messages: dict[str, Message] = {}
        self.by_handle: dict[str, str] = {}
        self.ready: deque[str] = deque()
        self.timers: list[tuple[float, int, str]] = []
        self._tick = 0
        self.changed = asyncio.Condition()

    # ------------------------------------------------------------ scheduling
    def _schedule(self, message: Message, at: float) -> None:
        message.visible_at = at
        if at <= time.monotonic():
            self.ready.append(message.message_id)
        else:
            self._tick += 1
            heapq.heappush(self.timers, (at, self._tick, message.message_id))

    def _promote(self) -> None:
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            at, _, message_id = heapq.heappop(self.timers)
            message = self.messages.get(message_id)
            if message is not None and message.visible_at == at:  # not rescheduled since
                self.ready.append(message_id)

    def next_timer_in(self) -> float | None:
        return max(0.0, self.timers[0][0] - time.monotonic()) if self.timers else None

    # ------------------------------------------------------------ operations
    def send(self, body: str, delay_s: int | None, attributes: dict) -> Message:
        delay = int(self.attributes.get("DelaySeconds", "0")) if delay_s is None else int(delay_s)
        message = Message(str(uuid.uuid4()), body, attributes, int(time.time() * 1000), 0.0)
        self.messages[message.message_id] = message
        self._schedule(message, time.monotonic() + delay)
        return message

    def take(self, count: int, visibility_s: float, dead_letter: "Queue | None", max_receives: int | None) -> tuple[list[Message], int]:
        """Up to ``count`` visible messages, now in flight; and how many were dead-lettered."""
        self._promote()
        taken: list[Message] = []
        moved = 0
        while self.ready and len(taken) < count:
            message = self.messages.get(self.ready.popleft())
            if message is None or message.visible_at > time.monotonic():
                continue  # deleted, or made invisible again after it was queued as ready
            if dead_letter is not None and max_receives is not None and message.receive_count >= max_receives:
                self._remove(message)
                dead_letter.send(message.body, 0, message.attributes).receive_count = message.receive_count
                moved += 1
                continue
            message.receive_count += 1
            message.first_receive_ms = message.first_receive_ms or int(time.time() * 1000)
            if message.receipt_handle:
                self.by_handle.pop(message.receipt_handle, None)
            message.receipt_handle = f"{message.message_id}#{uuid.uuid4().hex}"
            self.by_handle[message.receipt_handle] = message.message_id
            self._schedule(message, time.monotonic() + visibility_s)
            taken.append(message)
        return taken, moved

    def _by_handle(self, handle: str) -> Message:
        message = self.messages.get(self.by_handle.get(handle, ""))
        if message is None:
            raise SqsError("ReceiptHandleIsInvalid", f"The receipt handle {handle!r} is not valid.", "ReceiptHandleIsInvalid")
        return message

    def _remove(self, message: Message) -> None:
        self.messages.pop(message.message_id, None)
        if message.receipt_handle:
            self.by_handle.pop(message.receipt_handle, None)

    def delete(self, handle: str) -> None:
        if handle not in self.by_handle:
            return  # deleting twice, or with an outdated handle, succeeds as in SQS
        self._remove(self._by_handle(handle))

    def change_visibility(self, handle: str, timeout_s: int) -> None:
        message = self._by_handle(handle)
        if not 0 <= timeout_s <= 43200:
            raise SqsError("InvalidParameterValue", "VisibilityTimeout must be between 0 and 43200 seconds")
        self._schedule(message, time.monotonic() + timeout_s)

    def counts(self) -> dict[str, str]:
        now = time.monotonic()
        visible = delayed = in_flight = 0
        for message in self.messages.values():
            if message.visible_at <= now:
                visible += 1
            elif message.receive_count:
                in_flight += 1
            else:
                delayed += 1
        return {
            "ApproximateNumberOfMessages": str(visible),
            "ApproximateNumberOfMessagesNotVisible": str(in_flight),
            "ApproximateNumberOfMessagesDelayed": str(delayed),
        }


class LocalSqs:
    """The queues, and the SQS API over them (called in-process or through `app()`)."""

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url
        self.queues: dict[str, Queue] = {}

    def _queue(self, url: str) -> Queue:
        queue = self.queues.get(url.rstrip("/").rsplit("/", 1)[-1])
        if queue is None:
            raise _no_queue(url)
        return queue

    def _dead_letter(self, queue: Queue) -> tuple[Queue | None, int | None]:
        policy = queue.attributes.get("RedrivePolicy")
        if not policy:
            return None, None
        parsed = json.loads(policy)
        target = next((q for q in self.queues.values() if q.arn == parsed.get("deadLetterTargetArn")), None)
        return target, int(parsed["maxReceiveCount"])

    async def _notify(self, queue: Queue, waiters: int | None = None) -> None:
        """Wake long polls: one per new message is enough (waking all costs every poller a
        pointless round); a visibility change or a dead letter wakes them all."""
        async with queue.changed:
            if waiters is None:
                queue.changed.notify_all()
            else:
                queue.changed.notify(waiters)

    # ------------------------------------------------------------ API (request dict -> response dict)
    async def CreateQueue(self, r: dict) -> dict:  # noqa: N802 - the API's operation names
        name = r["QueueName"]
        if name not in self.queues:
            self.queues[name] = Queue(name, f"{self.base_url}/{ACCOUNT_ID}/{name}", dict(r.get("Attributes") or {}))
        return {"QueueUrl": self.queues[name].url}

    async def GetQueueUrl(self, r: dict) -> dict:  # noqa: N802
        if r["QueueName"] not in self.queues:
            raise _no_queue(r["QueueName"])
        return {"QueueUrl": self.queues[r["QueueName"]].url}

    async def ListQueues(self, r: dict) -> dict:  # noqa: N802
        prefix = r.get("QueueNamePrefix", "")
        return {"QueueUrls": [q.url for n, q in self.queues.items() if n.startswith(prefix)]}

    async def GetQueueAttributes(self, r: dict) -> dict:  # noqa: N802
        queue = self._queue(r["QueueUrl"])
        attributes = {**queue.attributes, **queue.counts(), "QueueArn": queue.arn, "CreatedTimestamp": str(queue.created),
                      "LastModifiedTimestamp": str(queue.created)}  # fmt: skip
        names = set(r.get("AttributeNames") or [])
        return {"Attributes": attributes if "All" in names else {k: v for k, v in attributes.items() if k in names}}

    async def SetQueueAttributes(self, r: dict) -> dict:  # noqa: N802
        self._queue(r["QueueUrl"]).attributes.update(r.get("Attributes") or {})
        return {}

    async def PurgeQueue(self, r: dict) -> dict:  # noqa: N802
        queue = self._queue(r["QueueUrl"])
        for collection in (queue.messages, queue.by_handle, queue.ready, queue.timers):
            collection.clear()
        return {}

    async def SendMessage(self, r: dict) -> dict:  # noqa: N802
        queue = self._queue(r["QueueUrl"])
        delay = r.get("DelaySeconds")
        if delay is not None and not 0 <= int(delay) <= 900:
            raise SqsError("InvalidParameterValue", "DelaySeconds must be between 0 and 900")
        message = queue.send(r["MessageBody"], delay, r.get("MessageAttributes") or {})
        if not delay:  # a delayed message wakes a poller through the timer instead
            await self._notify(queue, 1)
        out = {"MessageId": message.message_id, "MD5OfMessageBody": hashlib.md5(message.body.encode()).hexdigest()}  # noqa: S324
        if message.attributes:
            out["MD5OfMessageAttributes"] = md5_of_attributes(message.attributes)
        return out

    async def SendMessageBatch(self, r: dict) -> dict:  # noqa: N802
        results = []
        for entry in r["Entries"][:MAX_BATCH]:
            sent = await self.SendMessage({**entry, "QueueUrl": r["QueueUrl"]})
            results.append({"Id": entry["Id"], **sent})
        return {"Successful": results, "Failed": []}

    async def ReceiveMessage(self, r: dict) -> dict:  # noqa: N802
        queue = self._queue(r["QueueUrl"])
        count = max(1, min(MAX_BATCH, int(r.get("MaxNumberOfMessages", 1))))
        visibility = float(r.get("VisibilityTimeout", queue.attributes["VisibilityTimeout"]))
        wait = float(r.get("WaitTimeSeconds", queue.attributes["ReceiveMessageWaitTimeSeconds"]))
        names = set(r.get("MessageSystemAttributeNames") or r.get("AttributeNames") or [])
        attribute_names = set(r.get("MessageAttributeNames") or [])
        dead_letter, max_receives = self._dead_letter(queue)
        deadline = time.monotonic() + wait
        while True:
            taken, moved = queue.take(count, visibility, dead_letter, max_receives)
            if moved and dead_letter is not None:
                await self._notify(dead_letter)
            remaining = deadline - time.monotonic()
            if taken or remaining <= 0:
                return {"Messages": [m.as_received(names, attribute_names) for m in taken]} if taken else {}
            timer = queue.next_timer_in()
            async with queue.changed:
                try:  # woken by a send or a visibility change, or when the next timer is due
                    await asyncio.wait_for(queue.changed.wait(), min(remaining, timer if timer is not None else remaining))
                except asyncio.TimeoutError:
                    pass

    async def DeleteMessage(self, r: dict) -> dict:  # noqa: N802
        self._queue(r["QueueUrl"]).delete(r["ReceiptHandle"])
        return {}

    async def DeleteMessageBatch(self, r: dict) -> dict:  # noqa: N802
        queue = self._queue(r["QueueUrl"])
        for entry in r["Entries"]:
            queue.delete(entry["ReceiptHandle"])
        return {"Successful": [{"Id": e["Id"]} for e in r["Entries"]], "Failed": []}

    async def ChangeMessageVisibility(self, r: dict) -> dict:  # noqa: N802
        queue = self._queue(r["QueueUrl"])
        queue.change_visibility(r["ReceiptHandle"], int(r["VisibilityTimeout"]))
        await self._notify(queue)
        return {}

    async def ChangeMessageVisibilityBatch(self, r: dict) -> dict:  # noqa: N802
        queue = self._queue(r["QueueUrl"])
        ok, failed = [], []
        for entry in r["Entries"]:
            try:
                queue.change_visibility(entry["ReceiptHandle"], int(entry["VisibilityTimeout"]))
                ok.append({"Id": entry["Id"]})
            except SqsError as error:
                failed.append({"Id": entry["Id"], "SenderFault": True, "Code": error.code, "Message": error.message})
        await self._notify(queue)
        return {"Successful": ok, "Failed": failed}

    # ------------------------------------------------------------ HTTP (AWS JSON 1.0)
    async def handle(self, request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        operation = target.split(".", 1)[-1]
        handler = getattr(self, operation, None) if target.startswith("AmazonSQS.") and operation[:1].isupper() else None
        try:
            if handler is None:
                raise SqsError("InvalidAction", f"The action {operation or '(none)'} is not valid for this endpoint.")
            body = json.loads(await request.read() or b"{}")
            result = await handler(body)
        except SqsError as error:
            return web.Response(
                status=error.status,
                body=json.dumps({"__type": f"com.amazonaws.sqs#{error.code}", "message": error.message}).encode(),
                content_type="application/x-amz-json-1.0",
                headers={"x-amzn-query-error": f"{error.query_code};Sender", "x-amzn-RequestId": str(uuid.uuid4())},
            )
        except (KeyError, ValueError, TypeError) as error:
            return web.Response(
                status=400,
                body=json.dumps({"__type": "com.amazonaws.sqs#InvalidParameterValue", "message": f"invalid request: {error}"}).encode(),
                content_type="application/x-amz-json-1.0",
            )
        return web.Response(body=json.dumps(result).encode(), content_type="application/x-amz-json-1.0", headers={"x-amzn-RequestId": str(uuid.uuid4())})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post("/{tail:.*}", self.handle)
        return app
