"""The order queues' message: what dal.sqs writes is what the consumer, the settler and the
dead-letter function read (one model, solroute.models.messages.OrderMessage)."""

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response

from localcloud.services.awslambda.event_source_mappings.events import sqs_event
from solroute.dal.order_records import OrderBatchProcessor, OrderRecord
from solroute.dal.sqs import message_body
from solroute.models.messages import OrderMessage

ARN = "arn:aws:sqs:us-east-1:123456789012:solroute-OrdersQueue"


def received(body: str, message_id: str = "m1") -> dict:
    """A message as ReceiveMessage returns it (all system attributes), before the event source shapes it."""
    return {
        "MessageId": message_id, "ReceiptHandle": f"handle-{message_id}", "Body": body, "MD5OfBody": "0" * 32,
        "Attributes": {"SenderId": "123456789012", "SentTimestamp": "1795262400000", "ApproximateReceiveCount": "3",
                       "ApproximateFirstReceiveTimestamp": "1795262400100"},
    }  # fmt: skip


@pytest.mark.parametrize("fields", [{}, {"not_before_ms": 1795262401000}, {"cycle": 2}, {"not_before_ms": 5, "cycle": 1}])
def test_what_the_queue_adapter_writes_the_readers_read(fields):
    (raw,) = sqs_event([received(message_body("3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60", **fields))], ARN)["Records"]
    record = OrderRecord.model_validate(raw)
    assert record.body == OrderMessage(orderId="3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60", notBeforeMs=fields.get("not_before_ms"), cycle=fields.get("cycle"))
    assert (record.messageId, record.receiptHandle, record.attributes.ApproximateReceiveCount, record.eventSourceARN) == ("m1", "handle-m1", "3", ARN)


def test_a_message_from_before_cycles_existed_is_read_as_the_current_cycle():
    (raw,) = sqs_event([received('{"orderId": "o-1"}')], ARN)["Records"]
    assert OrderRecord.model_validate(raw).body == OrderMessage(orderId="o-1")


def run(processor: OrderBatchProcessor, handled: list, messages: list[dict]) -> dict:
    return process_partial_response(event=sqs_event(messages, ARN), record_handler=lambda record: handled.append(record.body.orderId), processor=processor)


def test_an_unreadable_body_is_handed_over_and_reported_processed():
    unreadable, handled = [], []
    processor = OrderBatchProcessor(on_unreadable=lambda record: unreadable.append(record.message_id))
    answer = run(processor, handled, [received("not json", "m1"), received('{"orderId": ""}', "m2"), received(message_body("o-3"), "m3")])
    assert answer == {"batchItemFailures": []} and unreadable == ["m1", "m2"] and handled == ["o-3"]


def test_a_record_sqs_itself_sent_incomplete_is_a_failure_not_dropped():
    """Only a body can be foreign; a record without its receipt handle is not ours to delete."""
    unreadable, handled = [], []
    broken = received(message_body("o-1"), "m1")
    del broken["Attributes"]["ApproximateReceiveCount"]
    processor = OrderBatchProcessor(on_unreadable=lambda record: unreadable.append(record.message_id), raise_on_entire_batch_failure=False)
    assert run(processor, handled, [broken]) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert unreadable == [] and handled == []
