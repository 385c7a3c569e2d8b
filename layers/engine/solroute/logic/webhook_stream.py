"""The stream hop of webhooks, at least once (docs/webhooks.md, "At least once").

- relay(): stream records to delivery messages on the webhook queue. A record the queue refuses
  fails its batch from that record on: Lambda retries it, with no retry limit, until it is
  WebhookStreamRetrySeconds old, then sets its place in the stream aside (its on-failure
  destination, WebhookStreamFailureQueue). A record that cannot be read is set aside whole, by
  the function itself, instead of failing its batch: a retry cannot make it readable, and every
  later record of its shard would wait behind it.
- redrive(): what was set aside, back on the webhook queue: a batch Lambda set aside is read
  again from the stream (by shard and sequence numbers, while the stream keeps it), a record
  set aside whole is taken as it is. Run by an operator once the cause is fixed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from aws_lambda_powertools import Logger

from solroute.logic.webhooks import delivery_message
from solroute.models.order import Order
from solroute.models.webhooks import StreamExpired
from solroute.ports import DeliveryQueue, SetAside, StreamReader

logger = Logger(child=True)

UNREADABLE = "UnreadableRecord"  # requestContext.condition of a record set aside whole
OrderOf = Callable[[dict], "Order | None"]  # a stream record's order, if it is a status change with a webhook (raises: unreadable)


def unreadable(raw: dict, error: Exception) -> dict:
    """What is set aside for a record that cannot be read: the record itself, and why."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"version": "1.0", "timestamp": stamp, "requestContext": {"condition": UNREADABLE, "error": type(error).__name__}, "record": raw}


@dataclass(frozen=True)
class Relayed:
    queued: int = 0  # delivery messages the webhook queue took
    set_aside: int = 0  # unreadable records set aside
    first_failed: str | None = None  # the sequence number to retry from (None: the whole batch is done)


@dataclass
class RedriveReport:
    redriven: int = 0  # set-aside messages whose status changes are back on the webhook queue (deleted)
    deliveries: int = 0  # delivery messages queued
    unreadable: int = 0  # records of redriven batches that could not be read: set aside one by one
    left: int = 0  # left set aside for a later run (a queue refused, a record still unreadable): see the log
    expired: list[dict] = field(default_factory=list)  # batches the stream no longer keeps
    more: bool = False  # the run stopped (time or count) with messages maybe still set aside


class WebhookStream:
    def __init__(self, order_of: OrderOf, queue: DeliveryQueue, aside: SetAside, stream: StreamReader) -> None:
        self.order_of, self.queue, self.aside, self.stream = order_of, queue, aside, stream

    def relay(self, records: list[dict], set_aside_unreadable: bool = True) -> Relayed:
        """Queue the deliveries of ``records`` (in stream order). An unreadable record is set aside,
        or, without ``set_aside_unreadable`` (a redrive of one set aside already), counted as failed."""
        failed: set[int] = set()
        deliveries: list[tuple[int, dict]] = []
        set_aside = 0
        for position, raw in enumerate(records):
            try:
                order = self.order_of(raw)
                if order is not None:
                    deliveries.append((position, delivery_message(order)))
            except Exception as error:  # noqa: BLE001 - any record that cannot be read: never its batch's fault
                logger.exception("unreadable stream record", extra={"sequence_number": (raw.get("dynamodb") or {}).get("SequenceNumber")})
                if set_aside_unreadable and self._set_aside(unreadable(raw, error)):
                    set_aside += 1
                else:
                    failed.add(position)
        refused = self.queue.send_all([m for _, m in deliveries]) if deliveries else set()
        failed |= {deliveries[i][0] for i in refused}
        first = records[min(failed)]["dynamodb"]["SequenceNumber"] if failed else None
        return Relayed(len(deliveries) - len(refused), set_aside, first)

    def _set_aside(self, body: dict) -> bool:
        try:
            self.aside.set_aside(body)
            return True
        except Exception:  # noqa: BLE001 - then the batch retries from this record
            logger.exception("could not set an unreadable stream record aside")
            return False

    def redrive(self, most: int, seconds_left: Callable[[], float], discard_expired: bool = False, reserve_s: float = 2.0) -> RedriveReport:
        """Redrive up to ``most`` set-aside messages while ``seconds_left()`` exceeds ``reserve_s``."""
        report = RedriveReport()
        while (seen := report.redriven + report.left + len(report.expired)) < most:
            if seconds_left() < reserve_s:
                report.more = True
                break
            taken = self.aside.take(most - seen)
            if not taken:
                break
            for handle, body in taken:
                self._redrive_one(handle, body, discard_expired, report)
        else:
            report.more = True
        return report

    def _redrive_one(self, handle: str, body: str, discard_expired: bool, report: RedriveReport) -> None:
        try:
            parked = json.loads(body)
            if "DDBStreamBatchInfo" in parked:  # Lambda's record of a discarded batch: its place in the stream
                info = parked["DDBStreamBatchInfo"]
                try:
                    records = self.stream.read(info["streamArn"], info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"])
                except StreamExpired:
                    report.expired.append({k: info.get(k) for k in ("approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord", "batchSize")})
                    if discard_expired:
                        self.aside.done(handle)
                    return
                relayed = self.relay(records)
            else:  # a record set aside whole, as it could not be read: read it again (a fix may be deployed)
                relayed = self.relay([parked["record"]], set_aside_unreadable=False)
        except Exception:  # noqa: BLE001 - one message's trouble is not the run's
            logger.exception("could not redrive a set-aside webhook message")
            report.left += 1
            return
        if relayed.first_failed is not None:
            report.left += 1
            logger.warning("set-aside webhook message left for a later redrive", extra={"failed_from": relayed.first_failed})
            return
        self.aside.done(handle)
        report.redriven += 1
        report.deliveries += relayed.queued
        report.unreadable += relayed.set_aside
        logger.info("redrove set-aside status changes", extra={"deliveries": relayed.queued, "unreadable": relayed.set_aside})
