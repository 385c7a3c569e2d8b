"""Reading the order queues (orders, settle, dead-letter): every record's body is an OrderMessage
(solroute.models.messages; solroute.dal.sqs writes it), parsed by powertools' batch processor.

Kept apart from dal/sqs.py, which every function imports through services: only the functions
that read these queues load the batch processor.

A record is powertools' SqsRecordModel: it needs SQS's system attributes (SenderId, SentTimestamp,
...), which Lambda, the local cloud and events/*.json always carry; a record without them fails
(it is kept and comes back), where the hand parser read only its body.
"""

from __future__ import annotations

from typing import Callable

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json, ValidationError

from solroute.models.messages import OrderMessage


class OrderRecord(SqsRecordModel):
    """One record of an order queue's SQS event."""

    body: Json[OrderMessage]


class OrderBatchProcessor(BatchProcessor):
    """Reports a batch's failed records to SQS, which keeps them (a partial batch response).

    A record whose body is not an OrderMessage (a message sent by hand, say) can never succeed:
    it goes to ``on_unreadable`` (to be logged) and counts as processed, so SQS deletes it instead
    of delivering it again and again until the dead-letter queue gets it."""

    def __init__(self, on_unreadable: Callable[[SQSRecord], None], raise_on_entire_batch_failure: bool = True) -> None:
        super().__init__(event_type=EventType.SQS, model=OrderRecord, raise_on_entire_batch_failure=raise_on_entire_batch_failure)
        self.on_unreadable = on_unreadable

    def failure_handler(self, record, exception):  # type: ignore[no-untyped-def] - powertools' signature
        # A body the model refused reaches here as powertools' SQSRecord (it could not become an OrderRecord).
        if _unreadable_body(exception[1]):
            self.on_unreadable(record)
            return self.success_handler(record, None)
        return super().failure_handler(record, exception)


def _unreadable_body(error: BaseException | None) -> bool:
    """Only the body: the rest of a record is SQS's own, and a record it cannot read is a failure."""
    return (
        isinstance(error, ValidationError)
        and error.title == OrderRecord.__name__
        and all(tuple(problem["loc"])[:1] == ("body",) for problem in error.errors())
    )
