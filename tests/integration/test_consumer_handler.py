"""The consumer function on messages received from the moto queue, as the poller delivers them."""

import json
import time

import pytest
from solroute.dal.dynamodb.items import item_to_order, order_to_item
from solroute.logic.backoff import backoff_bounds
from solroute.models.order import OrderStatus
from localcloud.services.awslambda.event_source_mappings.events import sqs_event
from tests.lambdas import event
from tests.support.order_flow import deliver, order, receive, submit


def test_a_queued_order_is_confirmed_with_quotes_route_and_result(cloud):
    order_id = submit(cloud)
    consumer = cloud.fn("OrderConsumerFunction")
    assert deliver(cloud, consumer, receive(cloud)) == {"batchItemFailures": []}
    item = order(cloud, order_id)
    assert item["status"] == "confirmed" and item["attempts"] == 1
    assert [h["status"] for h in item["history"]] == ["pending", "routing", "building", "submitted", "confirmed"]
    assert {q["dex"] for q in item["quotes"]} == {"raydium", "meteora"}
    assert item["execution"]["txHash"] == item["transaction"]["signature"]
    assert cloud.table("SimulatedChainTable").scan()["Count"] == 1


def test_the_sample_event_for_an_unknown_order_is_dropped_not_retried(cloud):
    assert cloud.fn("OrderConsumerFunction")(event("consumer_sqs.json")) == {"batchItemFailures": []}


def test_a_duplicate_delivery_neither_repeats_a_step_nor_swaps_twice(cloud):
    order_id = submit(cloud)
    consumer = cloud.fn("OrderConsumerFunction")
    messages = receive(cloud)
    deliver(cloud, consumer, messages)
    before = order(cloud, order_id)
    deliver(cloud, consumer, messages)
    assert order(cloud, order_id) == before
    assert cloud.table("SimulatedChainTable").scan()["Count"] == 1


@pytest.mark.parametrize("landed", [True, False], ids=["swap-landed-before-crash", "crash-before-send"])
def test_an_order_left_submitted_by_a_crash_is_settled_without_a_second_swap(cloud, landed):
    order_id = submit(cloud)
    consumer = cloud.fn("OrderConsumerFunction")
    messages = receive(cloud)
    deliver(cloud, consumer, messages)
    done = order(cloud, order_id)
    chain = cloud.table("SimulatedChainTable")
    # Rewind to the moment after the signature was stored: the consumer died there.
    final = item_to_order(cloud.table("OrdersTable").get_item(Key={"orderId": order_id})["Item"])
    submitted = final.model_copy(update={"status": OrderStatus.SUBMITTED, "seq": 4, "history": final.history[:4], "execution": None})
    cloud.table("OrdersTable").put_item(Item=order_to_item(submitted))
    if not landed:
        chain.delete_item(Key={"signature": done["transaction"]["signature"]})
    deliver(cloud, consumer, messages)
    final = order(cloud, order_id)
    assert final["status"] == "confirmed" and final["seq"] == 5
    assert chain.scan()["Count"] == 1
    assert final["execution"]["txHash"] == done["transaction"]["signature"]


def test_transient_failures_back_off_through_sqs_then_fail_after_three_attempts(cloud, capsys):
    cloud.template.override(FailureRate="1", BackoffBaseSeconds="1")
    order_id = submit(cloud)
    consumer = cloud.fn("OrderConsumerFunction")
    messages, hidden_for = receive(cloud, wait=20), []
    for attempt in (1, 2):
        assert int(messages[0]["Attributes"]["ApproximateReceiveCount"]) == attempt
        result = deliver(cloud, consumer, messages)
        assert result["batchItemFailures"] == [{"itemIdentifier": messages[0]["MessageId"]}]
        assert order(cloud, order_id)["attempts"] == attempt
        started = time.monotonic()
        assert receive(cloud) == []  # ChangeMessageVisibility hid it for the backoff
        messages = receive(cloud, wait=10)
        hidden_for.append(time.monotonic() - started)
    for receive_count, hidden in zip((1, 2), hidden_for):  # ~1 s, then ~2 s (base 1 s), jittered
        low, high = backoff_bounds(receive_count, 1.0)
        assert low - 0.5 <= hidden, (receive_count, hidden)  # visible again no sooner than the backoff
    capsys.readouterr()
    assert deliver(cloud, consumer, messages) == {"batchItemFailures": []}
    item = order(cloud, order_id)
    assert item["status"] == "failed" and item["attempts"] == 3
    # The dashboard's failures by reason: where it failed, as its own document with a reason.
    (doc,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"OrdersFailedByReason"' in line]
    assert doc["reason"] == item["history"][-2]["status"] and doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["reason", "service"]]
    assert "after 3 attempts" in item["failureReason"]
    starts = [int(t) for t in item["attemptStartedAtMs"]]
    assert len(starts) == 3 and starts == sorted(starts)


def test_an_order_without_a_rate_limit_token_is_requeued_without_using_an_attempt(cloud):
    cloud.template.override(RateLimitPerMinute="1", KeyBacklogSeconds="600")  # one key may queue both
    first, second = submit(cloud), submit(cloud)
    consumer = cloud.fn("OrderConsumerFunction")
    messages = receive(cloud)
    assert len(messages) == 2
    assert deliver(cloud, consumer, messages) == {"batchItemFailures": []}
    statuses = {oid: order(cloud, oid)["status"] for oid in (first, second)}
    waiting = next(oid for oid, status in statuses.items() if status == "pending")
    assert sorted(statuses.values()) == ["confirmed", "pending"]
    assert order(cloud, waiting)["attempts"] == 0
    attrs = cloud.sqs.get_queue_attributes(QueueUrl=cloud.queue_url("OrdersQueue"), AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"  # put back with a delay for its slot


def test_a_landed_swap_waits_on_the_settle_queue_and_the_settler_confirms_it(cloud):
    """Settling never queues behind orders waiting to start: the landed order goes to a queue
    of its own, which the settler (the same code, its own function) consumes."""
    cloud.template.override(SwapDelayMinMs="1500", SwapDelayMaxMs="1500")
    order_id = submit(cloud)
    assert deliver(cloud, cloud.fn("OrderConsumerFunction"), receive(cloud)) == {"batchItemFailures": []}
    assert order(cloud, order_id)["status"] == "submitted"
    assert receive(cloud) == [], "nothing for this order waits on the orders queue"
    settle_url = cloud.queue_url("SettleQueue")
    waiting = cloud.sqs.receive_message(QueueUrl=settle_url, WaitTimeSeconds=3, MessageSystemAttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"])["orderId"] for m in waiting] == [order_id]
    settler = cloud.fn("SettlerFunction")
    assert settler(sqs_event(waiting, cloud.deployed.queues["SettleQueue"]["arn"])) == {"batchItemFailures": []}
    assert order(cloud, order_id)["status"] == "confirmed"


def test_a_settle_message_that_must_wait_again_is_retried_on_the_settle_queue(cloud):
    """A receipt handle works only on its own queue: a retry of a settle delivery changes the
    visibility there, not on the orders queue."""
    from solroute import services

    cloud.fn("SettlerFunction")  # its environment
    queue = services.order_queue(received_from=services.queue_url_of(cloud.deployed.queues["SettleQueue"]["arn"]))
    assert queue.received_from == cloud.queue_url("SettleQueue")
    assert queue.queue_url == cloud.queue_url("OrdersQueue") and queue.settle_url == cloud.queue_url("SettleQueue")
    assert services.queue_url_of("arn:aws:sqs:us-east-1:123456789012:someone-elses-queue") == ""


UNREADABLE_BODIES = ["not json", "{}", '{"orderId": ""}', '{"orderId": "x", "cycle": 0}', '["an", "array"]']


def _foreign(cloud, queue: str, bodies: list[str]) -> list[dict]:
    """Messages someone sent by hand to one of our queues, as the event source receives them."""
    url = cloud.queue_url(queue)
    for text in bodies:
        cloud.sqs.send_message(QueueUrl=url, MessageBody=text)
    got = cloud.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])["Messages"]
    return sorted(got, key=lambda m: bodies.index(m["Body"]))


@pytest.mark.parametrize("function, queue", [("OrderConsumerFunction", "OrdersQueue"), ("SettlerFunction", "SettleQueue")])
def test_a_body_that_is_not_an_order_message_is_dropped_and_the_rest_of_the_batch_runs(cloud, function, queue):
    """A message that can never be read is deleted (not a failed record SQS redelivers until it is
    dead-lettered); the batch's readable messages are processed as usual."""
    order_id = submit(cloud)
    (queued,) = receive(cloud)
    messages = [*_foreign(cloud, queue, UNREADABLE_BODIES), queued]
    assert cloud.fn(function)(sqs_event(messages, cloud.deployed.queues[queue]["arn"])) == {"batchItemFailures": []}
    assert order(cloud, order_id)["status"] == "confirmed"


def test_a_readable_record_that_fails_is_kept_while_an_unreadable_one_beside_it_is_dropped(cloud):
    cloud.template.override(FailureRate="1", BackoffBaseSeconds="1")
    submit(cloud)
    (queued,) = receive(cloud)
    messages = [*_foreign(cloud, "OrdersQueue", ["not json"]), queued]
    result = cloud.fn("OrderConsumerFunction")(sqs_event(messages, cloud.deployed.queues["OrdersQueue"]["arn"]))
    assert result == {"batchItemFailures": [{"itemIdentifier": queued["MessageId"]}]}


def test_unreadable_dead_letters_are_dropped_not_kept_for_the_queues_retention(cloud):
    dead = _foreign(cloud, "OrdersDeadLetterQueue", UNREADABLE_BODIES)
    dlq = cloud.fn("DeadLetterFunction")
    assert dlq(sqs_event(dead, cloud.deployed.queues["OrdersDeadLetterQueue"]["arn"])) == {"batchItemFailures": []}
