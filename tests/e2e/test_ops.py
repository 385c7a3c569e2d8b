"""`solroute ops` against a running local cloud (the real template, `solroute up` on free ports):
an order submitted with the real CLI is followed across the functions that touched it
(GET /_localcloud/logs), `ops status` sees every queue of the template, and a dead-lettered
webhook delivery is listed by a dry run that moves nothing, then redriven to the receiver."""

from __future__ import annotations

import json
import time

import boto3
from solroute.logic.keys import key_id_of

from solroute_cli.main import main
from tests.support.cloud_client import final_order
from tests.support.webhook_receiver import Receiver

KEYS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
TEMPLATE_QUEUES = {"OrdersQueue", "SettleQueue", "TriggerWakeQueue", "OrdersDeadLetterQueue", "WebhookQueue", "WebhookDeadLetterQueue", "WebhookStreamFailureQueue"}


def solroute(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _until(check, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def _followed(cloud, capsys, functions: set[str]) -> tuple[dict, set[str]]:
    code, out, _ = solroute(capsys, "submit", "SOL", "USDC", "1", "--api", cloud.http, "--api-key", cloud.api_key, "--json")
    assert code == 0, out
    order_id = json.loads(out.splitlines()[-1])["orderId"]

    def trail() -> tuple[dict, set[str]]:
        code, out, _ = solroute(capsys, "ops", "order", order_id, "--api", cloud.http, "--json")
        assert code == 0, out
        answer = json.loads(out)
        return answer, {line["function"] for line in answer["logs"]}

    # A function's line may be printed a moment after the status it wrote: wait for the lines (or the deadline)
    deadline = time.monotonic() + 20
    while not functions <= (found := trail())[1] and time.monotonic() < deadline:
        time.sleep(0.2)
    return found

def test_ops_order_shows_the_history_and_the_lines_of_the_api_and_the_settler_in_time_order(cloud, capsys):
    answer, logged = _followed(cloud, capsys, {"ApiFunction", "SettlerFunction"})
    assert [h["status"] for h in answer["order"]["history"]] == ["pending", "routing", "building", "submitted", "confirmed"]
    assert {"ApiFunction", "SettlerFunction"} <= logged
    times = [line["timestampMs"] for line in answer["logs"]]
    assert times == sorted(times)
    (accepted,) = [line for line in answer["logs"] if line["message"] == "order accepted"]
    assert accepted["function"] == "ApiFunction" and accepted["level"] == "INFO" and accepted["fields"]["pair"] == "SOL->USDC"

    code, out, _ = solroute(capsys, "ops", "order", answer["order"]["orderId"], "--api", cloud.http)
    assert code == 0 and f"order {answer['order']['orderId']}: confirmed" in out and "ApiFunction" in out and "order accepted" in out


def test_ops_order_shows_the_consumer_and_the_broadcaster_too(cloud, capsys):
    """The consumer's swap sent and the broadcaster's final push are at INFO for this."""
    _, logged = _followed(cloud, capsys, {"ApiFunction", "OrderConsumerFunction", "SettlerFunction", "BroadcasterFunction"})
    assert {"ApiFunction", "OrderConsumerFunction", "SettlerFunction", "BroadcasterFunction"} <= logged


def test_ops_status_lists_every_queue_of_the_template_and_the_orders(cloud, capsys):
    final_order(cloud)
    code, out, _ = solroute(capsys, "ops", "status", "--api", cloud.http, "--json")
    status = json.loads(out)
    assert {q["logicalId"] for q in status["queues"]} == TEMPLATE_QUEUES
    assert {q["logicalId"] for q in status["queues"] if q["deadLetter"]} == {"OrdersDeadLetterQueue", "WebhookDeadLetterQueue", "WebhookStreamFailureQueue"}
    assert status["orders"]["byStatus"]["confirmed"] >= 1 and set(status["orders"]["inFlight"]) == {"pending", "routing", "building", "submitted"}
    assert status["alarms"] is not None
    assert code == (1 if any(a["state"] == "ALARM" for a in status["alarms"]) else 0)
    # The trigger has run (at start-up, and each time it is woken): when it last judged every open order, and its lease
    trigger = status["rateLimiter"]["trigger"]
    assert set(trigger) == {"passedAtMs", "passedAgoSeconds", "lease"}


def test_redrive_lists_a_dead_lettered_delivery_without_moving_it_then_delivers_it(cloud, capsys):
    receiver = Receiver()
    try:
        order = final_order(cloud)
        sqs = boto3.client("sqs", endpoint_url=cloud.sqs, **KEYS)
        (dead_letters,) = [u for u in sqs.list_queues()["QueueUrls"] if u.endswith("-WebhookDeadLetterQueue")]
        # A delivery the sender kept crashing on, as SQS leaves it on the dead-letter queue after its 12th receive
        delivery = {"orderId": order["orderId"], "seq": order["seq"], "status": order["status"], "url": f"{receiver.url}/redriven",
                    "keyId": key_id_of(cloud.api_key), "payload": json.dumps({"orderId": order["orderId"], "status": order["status"]})}  # fmt: skip
        sent = sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps(delivery))["MessageId"]

        code, out, _ = solroute(capsys, "ops", "redrive", "WebhookDeadLetterQueue", "--dry-run", "--api", cloud.http, "--json")
        listed = json.loads(out)
        assert code == 0 and [(m["messageId"], m["orderId"]) for m in listed["messages"]] == [(sent, order["orderId"])] and listed["moved"] == []
        depth = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        assert depth["ApproximateNumberOfMessages"] == "1" and receiver.to("/redriven") == []  # nothing moved

        code, out, _ = solroute(capsys, "ops", "redrive", "WebhookDeadLetterQueue", "--api", cloud.http)
        assert code == 0 and "moved 1 message(s) from WebhookDeadLetterQueue" in out and "-> solroute-dev-WebhookQueue" in out
        (posted,) = _until(lambda: receiver.to("/redriven"))
        assert posted[0]["x-solroute-delivery"].startswith(order["orderId"])
        counts = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["All"])["Attributes"]
        assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    finally:
        receiver.stop()


def test_redrive_of_the_stream_failures_is_webhook_functions_own(cloud, capsys):
    """Nothing set aside: WebhookFunction's redrive (invoked through the Lambda Invoke API) says so."""
    code, out, _ = solroute(capsys, "ops", "redrive", "WebhookStreamFailureQueue", "--max", "5", "--api", cloud.http, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["messages"] == [] and answer["moved"] == []
    assert answer["redrive"]["redriven"] == 0 and answer["redrive"]["more"] is False



def test_ops_status_says_when_the_trigger_last_judged_every_open_order(cloud, capsys):
    """The trigger's lease item as the engine writes it (passedAtMs, kept across holders): the trigger-behind runbook's first look."""
    answer = boto3.client("lambda", endpoint_url=cloud.lambda_endpoint, **KEYS).invoke(FunctionName="solroute-dev-TriggerFunction", Payload=b"{}")
    assert "FunctionError" not in answer

    def passed() -> dict | None:
        code, out, _ = solroute(capsys, "ops", "status", "--api", cloud.http, "--json")
        trigger = json.loads(out)["rateLimiter"]["trigger"]
        return trigger if trigger["passedAtMs"] is not None else None

    trigger = _until(passed)  # this run's pass, or one that held the lease as it ran
    assert trigger["passedAgoSeconds"] >= 0 and set(trigger) == {"passedAtMs", "passedAgoSeconds", "lease"}
    code, out, _ = solroute(capsys, "ops", "status", "--api", cloud.http)
    assert "trigger: last judged every open order " in out and " s ago (lease " in out
