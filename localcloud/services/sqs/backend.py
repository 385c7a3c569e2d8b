"""SQS state: queues, their messages, visibility, retention and redrive to a dead-letter queue.

moto's SQS scans (and deep-copies) every message on each receive and its long poll only
re-checks once a second, which starves consumers once a few hundred delayed messages wait.
Here ready messages wait in a queue and the others in a timer heap, so a receive touches only
the messages it returns, and the operations know when the next message becomes visible.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from localcloud.services.sqs.constants import DEFAULT_QUEUE_ATTRIBUTES
from localcloud.services.sqs.errors import InvalidParameterValue, QueueDoesNotExist
from localcloud.template import ACCOUNT_ID, REGION

RECEIPT_HANDLE = re.compile(r"[0-9a-f-]{36}#[0-9a-f]{32}")


class Clock(Protocol):
    """What the backend reads the time from; the `time` module is one."""

    def monotonic(self) -> float: ...

    def time(self) -> float: ...


@dataclass(eq=False)
class Message:
    message_id: str
    body: str
    attributes: dict  # message attributes, as sent
    sent_ms: int  # wall clock: SentTimestamp
    enqueued_at: float  # clock.monotonic(): what retention counts from, kept through a redrive
    visible_at: float = 0.0  # clock.monotonic()
    receive_count: int = 0
    first_receive_ms: int | None = None
    handles: list[str] = field(default_factory=list)  # every receipt handle issued here, latest last
    dead_letter_source_arn: str | None = None  # the queue SQS moved it from (DeadLetterQueueSourceArn)


class Queue:
    def __init__(self, name: str, url: str, attributes: dict[str, str], clock: Clock) -> None:
        self.name = name
        self.url = url
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        self.attributes = {**DEFAULT_QUEUE_ATTRIBUTES, **attributes}
        self.clock = clock
        self.created = int(clock.time())
        self.messages: dict[str, Message] = {}
        self.by_handle: dict[str, Message] = {}
        self.ready: deque[str] = deque()
        self.timers: list[tuple[float, int, str]] = []  # (visible_at, tick, message id)
        self.arrivals: list[tuple[float, int, str]] = []  # (enqueued_at, tick, message id): oldest first, for retention
        self._tick = 0
        self.changed = asyncio.Condition()
        # What CloudWatch counts as NumberOfMessagesSent and NumberOfMessagesReceived (sampled by
        # the local CloudWatch); a message moved here by a redrive is not sent, as on AWS.
        self.sent_count = 0
        self.received_count = 0

    def setting(self, name: str) -> int:
        return int(self.attributes[name])

    # ------------------------------------------------------------ scheduling
    def _schedule(self, message: Message, at: float) -> None:
        message.visible_at = at
        if at <= self.clock.monotonic():
            self.ready.append(message.message_id)
        else:
            self._tick += 1
            heapq.heappush(self.timers, (at, self._tick, message.message_id))

    def _promote(self) -> None:
        now = self.clock.monotonic()
        while self.timers and self.timers[0][0] <= now:
            at, _, message_id = heapq.heappop(self.timers)
            message = self.messages.get(message_id)
            if message is not None and message.visible_at == at:  # not rescheduled since
                self.ready.append(message_id)

    def _expire(self) -> None:
        """Delete the messages older than the retention period, in flight or not. The period is read
        each time: a change applies to the messages already queued, as on AWS."""
        oldest_kept = self.clock.monotonic() - self.setting("MessageRetentionPeriod")
        while self.arrivals and self.arrivals[0][0] <= oldest_kept:
            enqueued_at, _, message_id = heapq.heappop(self.arrivals)
            message = self.messages.get(message_id)
            if message is not None and message.enqueued_at == enqueued_at:
                self._remove(message)

    def next_timer_in(self) -> float | None:
        return max(0.0, self.timers[0][0] - self.clock.monotonic()) if self.timers else None

    def _add(self, message: Message, delay_s: float) -> None:
        self.messages[message.message_id] = message
        if len(self.arrivals) > 2 * len(self.messages) + 1024:  # mostly deleted messages, kept until their retention ends
            self.arrivals = [(m.enqueued_at, i, m.message_id) for i, m in enumerate(self.messages.values()) if m is not message]
            heapq.heapify(self.arrivals)
        self._tick += 1
        heapq.heappush(self.arrivals, (message.enqueued_at, self._tick, message.message_id))
        self._schedule(message, self.clock.monotonic() + delay_s)

    def _remove(self, message: Message) -> None:
        self.messages.pop(message.message_id, None)
        for handle in message.handles:
            self.by_handle.pop(handle, None)

    # ------------------------------------------------------------ operations
    def send(self, body: str, attributes: dict, delay_s: int | None) -> Message:
        now_ms = int(self.clock.time() * 1000)
        message = Message(str(uuid.uuid4()), body, attributes, now_ms, self.clock.monotonic())
        self.sent_count += 1
        self._add(message, self.setting("DelaySeconds") if delay_s is None else delay_s)
        return message

    def adopt(self, message: Message, source_arn: str | None = None) -> None:
        """Take in a message redriven from another queue: its id, timestamps and receive count stay."""
        message.handles = []
        message.dead_letter_source_arn = source_arn
        self._add(message, 0)

    def take(
        self, count: int, visibility_s: float, dead_letter: Queue | None, max_receives: int | None
    ) -> tuple[list[Message], int]:
        """Up to ``count`` visible messages, now in flight; and how many were moved to the dead-letter queue."""
        self._expire()
        self._promote()
        now = self.clock.monotonic()
        taken: list[Message] = []
        moved = 0
        while self.ready and len(taken) < count:
            message = self.messages.get(self.ready.popleft())
            if message is None or message.visible_at > now or message in taken:
                continue  # deleted, hidden again since it was queued as ready, or queued twice
            if dead_letter is not None and max_receives is not None and message.receive_count >= max_receives:
                self._remove(message)
                dead_letter.adopt(message, self.arn)
                moved += 1
                continue
            message.receive_count += 1
            message.first_receive_ms = message.first_receive_ms or int(self.clock.time() * 1000)
            handle = f"{message.message_id}#{uuid.uuid4().hex}"
            message.handles.append(handle)
            self.by_handle[handle] = message
            taken.append(message)
        self.received_count += len(taken)
        for message in taken:  # only now: with no visibility timeout they are ready again, for the next receive
            self._schedule(message, now + visibility_s)
        return taken, moved

    def delete(self, handle: str) -> None:
        """Delete the message the handle was issued for, if it is the message's latest handle.

        Deleting twice succeeds; so does deleting with an older handle, which "might not" delete
        the message on AWS (API_DeleteMessage.html), and here does not: the message is someone
        else's now."""
        message = self.by_handle.get(handle)
        if message is not None and message.handles[-1] == handle:
            self._remove(message)

    def change_visibility(self, handle: str, timeout_s: int) -> bool:
        """Hide the message for ``timeout_s`` from now if it is in flight; False if it is not.

        Any handle issued for the message will do (AWS takes an older one too). A message that is
        visible again stays visible: AWS answers such a call with 200 and changes nothing."""
        self._expire()
        message = self.by_handle.get(handle)
        if message is None:
            raise InvalidParameterValue.out_of_range(
                "ReceiptHandle", handle, "Message does not exist or is not available for visibility timeout change."
            )
        if message.visible_at <= self.clock.monotonic():
            return False
        self._schedule(message, self.clock.monotonic() + timeout_s)
        return True

    def purge(self) -> None:
        for collection in (self.messages, self.by_handle, self.ready, self.timers, self.arrivals):
            collection.clear()

    def counts(self) -> dict[str, str]:
        self._expire()
        now = self.clock.monotonic()
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


class SqsBackend:
    """The queues of one account and region."""

    def __init__(self, clock: Clock = time) -> None:
        self.clock = clock
        self.queues: dict[str, Queue] = {}

    def create_queue(self, name: str, url: str, attributes: dict[str, str]) -> Queue:
        if name not in self.queues:
            self.queues[name] = Queue(name, url, attributes, self.clock)
        return self.queues[name]

    def queue_named(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            raise QueueDoesNotExist()
        return queue

    def queue(self, url: str) -> Queue:
        return self.queue_named(url.rstrip("/").rsplit("/", 1)[-1])

    def dead_letter(self, queue: Queue) -> tuple[Queue | None, int | None]:
        """The queue's dead-letter queue and maxReceiveCount, if it has a redrive policy."""
        policy = queue.attributes.get("RedrivePolicy")
        if not policy:
            return None, None
        parsed = json.loads(policy)
        target = next((q for q in self.queues.values() if q.arn == parsed.get("deadLetterTargetArn")), None)
        return target, int(parsed["maxReceiveCount"])
