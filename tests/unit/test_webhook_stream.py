"""The stream hop of webhooks (solroute.logic.webhook_stream) with fakes: which record a batch is
retried from, what is set aside, and what an operator's redrive does with each kind of
set-aside message, a stream that no longer keeps a batch and a run out of time included."""

from __future__ import annotations

import json

import pytest
from solroute.dal.dynamodb.streams import status_change_of
from solroute.logic.webhook_stream import WebhookStream
from solroute.models.webhooks import StreamExpired

IMAGE = {"lastChange": {"S": "status"}, "webhookUrl": {"S": "https://hooks.example.com/x"}}


def record(seq: int, readable: bool = True, webhook: bool = True) -> dict:
    image = {**IMAGE, "orderId": {"S": f"o-{seq}"}} if webhook else {"lastChange": {"S": "webhook"}}
    return {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": str(seq), "NewImage": image}, "readable": readable}


class Queue:
    def __init__(self, refuse: set[int] = frozenset()):
        self.refuse, self.sent = refuse, []

    def send_all(self, messages):
        self.sent += [m for i, m in enumerate(messages) if i not in self.refuse]
        return set(self.refuse) & set(range(len(messages)))


class Aside:
    def __init__(self, bodies=(), refuse=False):
        self.messages = {str(n): json.dumps(b) for n, b in enumerate(bodies)}
        self.added, self.deleted, self.refuse = [], [], refuse

    def set_aside(self, body):
        if self.refuse:
            raise ConnectionError("SQS is down")
        self.added.append(body)

    def take(self, most):
        taken = list(self.messages.items())[:most]
        for handle, _ in taken:
            del self.messages[handle]  # hidden from the next take, as the visibility timeout does
        return taken

    def done(self, handle):
        self.deleted.append(handle)


@pytest.fixture
def hop(engine):
    """A WebhookStream whose records name orders o-1, o-2...: real orders with a webhook. A record
    marked unreadable raises, as an image that cannot be parsed does."""
    orders: dict[str, object] = {}

    def order_of(raw):
        if not raw["readable"]:
            raise ValueError("not an order")
        image = raw["dynamodb"]["NewImage"]
        if "webhookUrl" not in image:
            return None
        key = image["orderId"]["S"]
        return orders.setdefault(key, engine.submit(webhookUrl="https://hooks.example.com/x"))

    def build(queue=None, aside=None, stream=None):
        made = WebhookStream(order_of, queue or Queue(), aside or Aside(), stream or Stream())
        made.orders = orders
        return made

    return build


def ids(hop_, messages) -> list[str]:
    by_order_id = {o.orderId: key for key, o in hop_.orders.items()}
    return [by_order_id[m["orderId"]] for m in messages]


def test_a_refused_delivery_fails_its_batch_from_that_record_on(hop):
    queue = Queue(refuse={1})
    stream = hop(queue)
    relayed = stream.relay([record(1), record(2, webhook=False), record(3), record(4)])
    assert relayed.first_failed == "3" and ids(stream, queue.sent) == ["o-1", "o-4"]


def test_an_unreadable_record_is_set_aside_and_fails_nothing_unless_it_cannot_be(hop):
    aside = Aside()
    relayed = hop(aside=aside).relay([record(1), record(2, readable=False), record(3)])
    assert (relayed.first_failed, relayed.queued, relayed.set_aside) == (None, 2, 1)
    assert aside.added[0]["requestContext"]["condition"] == "UnreadableRecord" and aside.added[0]["record"]["dynamodb"]["SequenceNumber"] == "2"
    assert hop(aside=Aside(refuse=True)).relay([record(1), record(2, readable=False)]).first_failed == "2", "then the stream retries it"


def test_a_record_that_is_not_a_status_change_with_a_webhook_is_no_delivery():
    assert status_change_of({"eventName": "REMOVE", "dynamodb": {"OldImage": IMAGE}}) is None
    assert status_change_of({"eventName": "MODIFY", "dynamodb": {"NewImage": {**IMAGE, "lastChange": {"S": "webhook"}}}}) is None


class Stream:
    def __init__(self, records=None, expired=False):
        self.records, self.expired, self.reads = records or [], expired, []

    def read(self, stream_arn, shard_id, first, last):
        self.reads.append((shard_id, first, last))
        if self.expired:
            raise StreamExpired("trimmed")
        return self.records


BATCH = {"DDBStreamBatchInfo": {"streamArn": "arn:s", "shardId": "shard-1", "startSequenceNumber": "1", "endSequenceNumber": "3",
                                "approximateArrivalOfFirstRecord": "2026-12-07T10:00:00Z", "approximateArrivalOfLastRecord": "2026-12-07T10:00:01Z", "batchSize": 2}}  # fmt: skip


def test_a_set_aside_batch_is_read_back_by_its_place_in_the_stream_and_deleted_once_queued(hop):
    stream, queue, aside = Stream([record(1), record(2, webhook=False), record(3)]), Queue(), Aside([BATCH])
    made = hop(queue, aside, stream)
    report = made.redrive(10, lambda: 60)
    assert stream.reads == [("shard-1", "1", "3")] and ids(made, queue.sent) == ["o-1", "o-3"]
    assert (report.redriven, report.deliveries, report.left, report.more, aside.deleted) == (1, 2, 0, False, ["0"])


def test_a_batch_the_queue_still_refuses_is_left_for_a_later_run(hop):
    aside = Aside([BATCH])
    report = hop(Queue(refuse={0}), aside, Stream([record(1)])).redrive(10, lambda: 60)
    assert (report.redriven, report.left, aside.deleted) == (0, 1, [])


def test_a_batch_the_stream_no_longer_keeps_is_reported_and_kept_unless_told_to_discard_it(hop):
    aside = Aside([BATCH])
    report = hop(aside=aside, stream=Stream(expired=True)).redrive(10, lambda: 60)
    assert report.expired == [{"approximateArrivalOfFirstRecord": "2026-12-07T10:00:00Z", "approximateArrivalOfLastRecord": "2026-12-07T10:00:01Z", "batchSize": 2}]
    assert aside.deleted == []
    aside = Aside([BATCH])
    hop(aside=aside, stream=Stream(expired=True)).redrive(10, lambda: 60, discard_expired=True)
    assert aside.deleted == ["0"]


def test_a_run_stops_before_its_time_runs_out_or_at_its_count(hop):
    aside = Aside([BATCH] * 3)
    made = hop(aside=aside, stream=Stream([record(1)]))
    assert made.redrive(10, lambda: 1.0).more and aside.deleted == []
    report = made.redrive(2, lambda: 60)
    assert (report.redriven, report.more, len(aside.messages)) == (2, True, 1)
