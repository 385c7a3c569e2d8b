"""Chaos mode through the real handlers on moto: FaultInjection set as the template sets it,
faults raised where they are in production (the adapters, the simulated chain), and the
outcome judged against the chain's ledger table."""

from __future__ import annotations

import json
import os
import time

import pytest
from solroute.logic.broadcast import CONNECTION_TTL_SECONDS
from localcloud.services.awslambda.event_source_mappings.events import sqs_event
from tests.lambdas import event, stored
from tests.support.order_flow import deliver, order, receive, submit

# Expiry of a subscription made a minute ago (a 410 spares only the last few seconds' ones).
SUBSCRIBED_A_MINUTE_AGO = int(time.time()) - 60 + CONNECTION_TTL_SECONDS


class ProcessDied(BaseException):
    """os._exit in a Lambda process; here it must not take pytest with it."""


@pytest.fixture
def crashes(monkeypatch):
    def exit_instead(code):
        raise ProcessDied(code)

    monkeypatch.setattr(os, "_exit", exit_instead)


def ledger(cloud) -> dict:
    return {i["signature"]: i for i in cloud.table("SimulatedChainTable").scan()["Items"]}


def drive(cloud, consumer, order_id, max_deliveries=40):
    """Deliver the order's messages as the event source would until it is final; a message
    whose invocation died is made visible again at once (SQS would wait its visibility timeout)."""
    url, dead_url = cloud.queue_url("OrdersQueue"), cloud.queue_url("OrdersDeadLetterQueue")
    dead_letter = cloud.fn("DeadLetterFunction")
    for _ in range(max_deliveries):
        item = order(cloud, order_id)
        if item["status"] in ("confirmed", "failed"):
            return item
        messages = receive(cloud, wait=5)  # a retry's backoff is 1 s here (BackoffBaseSeconds=0)
        if not messages:  # redriven after five receives: the dead-letter function's turn
            # With every system attribute, as the event source asks: Lambda's SQS records always carry them.
            dead = cloud.sqs.receive_message(QueueUrl=dead_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]).get("Messages", [])
            assert dead, f"order {order_id} is {item['status']} but nothing is queued for it"
            try:
                result = dead_letter(sqs_event(dead, cloud.deployed.queues["OrdersDeadLetterQueue"]["arn"]))
                failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
            except Exception:  # noqa: BLE001 - every record failed: a function error, the batch comes back
                failed = {m["MessageId"] for m in dead}
            for m in dead:
                if m["MessageId"] in failed:  # retried by the event source, at once here
                    cloud.sqs.change_message_visibility(QueueUrl=dead_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
                else:
                    cloud.sqs.delete_message(QueueUrl=dead_url, ReceiptHandle=m["ReceiptHandle"])
            continue
        try:
            result = deliver(cloud, consumer, messages)
        except ProcessDied:
            for m in messages:
                cloud.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            continue
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in failed:
                cloud.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    raise AssertionError(f"order {order_id} not final after {max_deliveries} deliveries: {order(cloud, order_id)['status']}")


def assert_truthful(cloud, item):
    record = ledger(cloud).get((item.get("transaction") or {}).get("signature", "-"))
    landed = record is not None and record["status"] != "expired"
    if not landed:
        assert item["status"] == "failed", item
    elif record["status"] == "success":
        assert item["status"] == "confirmed" and item["execution"]["amountOut"] == record["amountOut"], item
    else:
        assert item["status"] == "failed" and item["failureReason"] == record["error"], item
    assert sum(1 for r in ledger(cloud).values() if r["status"] != "expired") <= 1


@pytest.mark.parametrize(
    "faults",
    ["crash-after-send=1", "crash-before-send=0.5", "send-rpc-error=0.5", "quote-timeout=0.5", "dynamodb-throttle=0.2"],
)
def test_the_consumer_under_chaos_ends_every_order_truthfully(cloud, crashes, faults):
    # ConsumerTimeout 3 s: a delivery that finds the attempts used up waits that long (not 30 s)
    # for the last attempt to finish; drive() waits up to 5 s for a delayed message.
    cloud.template.override(FaultInjection=faults, BackoffBaseSeconds="0", ConsumerTimeout="3")
    order_id = submit(cloud)
    item = drive(cloud, cloud.fn("OrderConsumerFunction"), order_id)
    assert_truthful(cloud, item)
    assert item["attempts"] <= 3


def test_a_crash_after_the_swap_landed_is_settled_by_lookup(cloud, crashes):
    cloud.template.override(FaultInjection="crash-after-send=1")
    order_id = submit(cloud)
    item = drive(cloud, cloud.fn("OrderConsumerFunction"), order_id)
    assert item["status"] == "confirmed" and item["attempts"] == 1, "settled by lookup: not an attempt"
    assert len(ledger(cloud)) == 1


def test_a_swap_that_never_lands_fails_the_order_and_is_expired_on_chain(cloud, crashes):
    # ConsumerTimeout 3 s: the delivery that finds the attempts used up waits only that long for
    # the last attempt to finish before it expires the swap.
    cloud.template.override(FaultInjection="crash-before-send=1", BackoffBaseSeconds="0", ConsumerTimeout="3")
    order_id = submit(cloud)
    item = drive(cloud, cloud.fn("OrderConsumerFunction"), order_id)
    assert item["status"] == "failed" and item["attempts"] == 3
    (record,) = ledger(cloud).values()
    assert record["status"] == "expired", "the signature can never land now"


def test_the_dead_letter_function_records_a_landed_swap_instead_of_failing_it(cloud, crashes):
    cloud.template.override(FaultInjection="crash-after-send=1", SwapDelayMinMs="0", SwapDelayMaxMs="0")
    order_id = submit(cloud)
    with pytest.raises(ProcessDied):
        deliver(cloud, cloud.fn("OrderConsumerFunction"), receive(cloud))
    assert order(cloud, order_id)["status"] == "submitted"
    dlq = cloud.fn("DeadLetterFunction")
    assert dlq(event("dead_letter_sqs.json", **{"3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60": order_id})) == {"batchItemFailures": []}
    item = order(cloud, order_id)
    assert item["status"] == "confirmed", item.get("failureReason")
    assert_truthful(cloud, item)


def test_the_api_answers_503_when_the_queue_refuses_and_the_order_is_failed(cloud):
    cloud.template.override(FaultInjection="sqs-send-error=1")
    response = cloud.fn("ApiFunction")(event("api_execute_order.json"))
    assert response["statusCode"] == 503
    assert json.loads(response["body"])["error"]["code"] == "QUEUE_UNAVAILABLE"
    (item,) = cloud.table("OrdersTable").scan()["Items"]
    assert stored(item)["status"] == "failed" and "could not be queued" in stored(item)["failureReason"]


def test_the_sweeper_fails_a_pending_order_past_its_deadline_and_only_that_one(cloud):
    cloud.template.override(StartTimeout="1")
    stale, fresh = submit(cloud), submit(cloud)
    table = cloud.table("OrdersTable")
    table.update_item(Key={"orderId": stale}, UpdateExpression="SET startDeadlineMs = :past", ExpressionAttributeValues={":past": 1})
    table.update_item(Key={"orderId": fresh}, UpdateExpression="SET startDeadlineMs = :later", ExpressionAttributeValues={":later": 2**53})
    result = cloud.fn("SweeperFunction")(event("sweeper_schedule.json"))
    assert result == {"examined": 1, "failed": 1}
    assert order(cloud, stale)["status"] == "failed" and "never reached the execution queue" in order(cloud, stale)["failureReason"]
    assert order(cloud, fresh)["status"] == "pending"
    assert cloud.fn("SweeperFunction")(event("sweeper_schedule.json")) == {"examined": 0, "failed": 0}, "a swept order leaves the index"


def test_a_gone_connection_under_chaos_is_forgotten_and_the_batch_succeeds(cloud):
    order_id = submit(cloud)
    table = cloud.table("OrdersTable")
    table.update_item(Key={"orderId": order_id}, UpdateExpression="SET subs = :s", ExpressionAttributeValues={":s": {"c-1": SUBSCRIBED_A_MINUTE_AGO}})
    cloud.template.override(FaultInjection="ws-gone=1")
    ev = event("broadcaster_stream.json", **{"3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60": order_id})
    ev["Records"][0]["dynamodb"]["NewImage"]["subs"] = {"M": {"c-1": {"N": str(SUBSCRIBED_A_MINUTE_AGO)}}}
    assert cloud.fn("BroadcasterFunction")(ev) == {"batchItemFailures": []}
    assert table.get_item(Key={"orderId": order_id})["Item"]["subs"] == {}


@pytest.mark.parametrize("function", ["ApiFunction", "OrderConsumerFunction", "DeadLetterFunction", "SweeperFunction", "BroadcasterFunction", "WebSocketFunction", "AuthorizerFunction"])
def test_an_unknown_fault_point_fails_the_function_at_start_up(cloud, function):
    cloud.template.override(FaultInjection="meteor-strike=1")
    with pytest.raises(ValueError, match="unknown fault point 'meteor-strike'"):
        cloud.fn(function)


def test_a_throttled_connect_is_refused_with_503_not_500(cloud):
    order_id = submit(cloud)
    cloud.template.override(FaultInjection="dynamodb-throttle=1")
    connect = event("websocket_connect.json")
    connect["queryStringParameters"] = {"orderId": order_id}
    assert cloud.fn("WebSocketFunction")(connect)["statusCode"] == 503
