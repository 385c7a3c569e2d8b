"""End-to-end: each of the template's alarms fires on the local cloud under the fault it is for,
in chaos mode (the FaultInjection parameter), with thresholds lowered by parameter where the
defaults would take minutes. One cloud serves the faults that do not interfere with each other;
each test waits for the alarm's state by polling /_localcloud/alarms, never for a time."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import browser  # noqa: F401 - the fixture
from tests.support.cloud_process import FAST, RunningCloud, start_cloud, stop_cloud

DEADLINE_S = 90  # for an alarm to fire: an event, not a speed
QUICK = [p for p in FAST if not p.startswith("KeyRatePerMinute=")]
# Every consumer invocation dies before its send, and its message comes back after 4 s (the
# consumer's attempts cap ends the loop after 3: the order never reaches the dead-letter queue;
# SQS leaves a message received three times out of the queue's age, so it ages in its first two);
# the demo key may submit 2 orders a minute (the rest are refused busy); an order waiting 2 s on
# the queue and 3 webhook attempts are enough for their alarms.
CRASH = [*QUICK, "FaultInjection=crash-before-send=1", "QueueVisibilityTimeout=4", "ConsumerTimeout=3", "BackoffBaseSeconds=1",
         "StartTimeout=120", "AlarmOrdersQueueAgeSeconds=2", "KeyRatePerMinute=2", "KeyBacklogSeconds=1", "AlarmRateMinimumCount=3",
         "WebhookBackoffBaseSeconds=1"]  # fmt: skip
# Every SendMessage of the API fails (it answers 503); the consumer and the settler have one reserved slot each.
SEND_ERROR = [*FAST, "FaultInjection=sqs-send-error=1", "AlarmHttp5xxPerMinute=2", "ConsumerConcurrency=1", "SettleConcurrency=1"]
# Every DynamoDB call of the functions is throttled: the authorizer cannot read the key, and the
# consumer cannot read an order, so its message is retried (1 s apart) until SQS dead-letters it.
DYNAMODB_THROTTLE = [*FAST, "FaultInjection=dynamodb-throttle=1", "BackoffBaseSeconds=0"]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def alarms(cloud: RunningCloud) -> dict[str, dict]:
    return {a["logicalId"]: a for a in _get(f"{cloud.http}/_localcloud/alarms")["alarms"]}


def wait_for_alarm(cloud: RunningCloud, logical_id: str, poke: Callable[[], None] | None = None) -> dict:
    """The alarm once it is in ALARM (``poke`` runs between polls); fails with every state at the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        current = alarms(cloud)
        if current[logical_id]["state"] == "ALARM":
            return current[logical_id]
        if time.monotonic() > deadline:
            raise AssertionError(f"{logical_id} did not fire: {json.dumps(current[logical_id])}\n{cloud.log()[-3000:]}")
        if poke:
            poke()
        time.sleep(0.2)


def assert_fired(cloud: RunningCloud, alarm: dict, anchor: str) -> None:
    assert alarm["reason"].startswith("Threshold Crossed: "), alarm
    assert alarm["runbook"] == anchor
    assert alarm["value"] is not None and alarm["value"] >= alarm["threshold"]
    assert f"alarm {alarm['logicalId']}: " in cloud.log() and "-> ALARM: Threshold Crossed" in cloud.log()
    assert _get(f"{cloud.http}/_localcloud/stats")["alarms"][alarm["logicalId"]] == "ALARM"


def submit(cloud: RunningCloud, **fields) -> int:
    body = json.dumps({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", **fields}).encode()
    request = urllib.request.Request(f"{cloud.http}/api/orders/execute", body, {**cloud.headers, "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def aws(cloud: RunningCloud, service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture(scope="module")
def failing_receiver() -> Iterator[str]:
    """A webhook receiver that answers every POST 500."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def crash_cloud(failing_receiver) -> Iterator[RunningCloud]:
    """One order in a crash loop, with a webhook to a receiver that fails, submitted with a key
    that may submit two a minute; then more submissions, refused busy."""
    cloud = start_cloud(CRASH)
    try:
        assert submit(cloud, webhookUrl=failing_receiver) == 202
        statuses = [submit(cloud) for _ in range(6)]
        assert statuses.count(429) >= 3, statuses
        yield cloud
    finally:
        assert stop_cloud(cloud) == 0, cloud.log()[-3000:]


@pytest.fixture(scope="module")
def send_error_cloud() -> Iterator[RunningCloud]:
    cloud = start_cloud(SEND_ERROR)
    yield cloud
    assert stop_cloud(cloud) == 0, cloud.log()[-3000:]


def test_every_alarm_of_the_template_is_evaluated_and_quiet_at_first(send_error_cloud):
    answer = _get(f"{send_error_cloud.http}/_localcloud/alarms")
    assert answer["evaluatedAtMs"] > 0
    states = {a["logicalId"]: a["state"] for a in answer["alarms"]}
    assert len(states) == 13 and "ALARM" not in states.values(), states
    for alarm in answer["alarms"]:
        assert alarm["name"].startswith("solroute-local-") and alarm["runbook"] and alarm["periodSeconds"] in (60, 300)
        assert alarm["description"].rstrip().endswith(f"Runbook: docs/operations.md#{alarm['runbook']}")


def test_a_crash_loop_fires_the_consumer_errors_alarm(crash_cloud):
    assert_fired(crash_cloud, wait_for_alarm(crash_cloud, "OrderConsumerErrorsAlarm"), "consumer-errors")


def test_an_order_waiting_on_the_queue_fires_the_queue_age_alarm(crash_cloud):
    assert_fired(crash_cloud, wait_for_alarm(crash_cloud, "OrdersQueueAgeAlarm"), "orders-queue-age")


def test_a_receiver_that_answers_500_fires_the_webhook_failure_rate_alarm(crash_cloud):
    assert_fired(crash_cloud, wait_for_alarm(crash_cloud, "WebhookFailureRateAlarm"), "webhook-failures")


def test_a_key_refused_busy_fires_the_busy_refusals_alarm(crash_cloud):
    alarm = wait_for_alarm(crash_cloud, "BusyRefusalsAlarm")
    assert_fired(crash_cloud, alarm, "busy-refusals")
    assert alarm["value"] >= 20


def test_a_lease_held_by_another_holder_fires_the_trigger_behind_alarm(crash_cloud):
    # Given the trigger's lease held by a run elsewhere that last judged every order an hour ago
    now_ms = int(time.time() * 1000)
    table = "solroute-dev-RateLimitTable"
    item = {"bucket": {"S": "trigger#lease"}, "holder": {"S": "a-run-elsewhere"}, "untilMs": {"N": str(now_ms + 3_600_000)},
            "passedAtMs": {"N": str(now_ms - 3_600_000)}}  # fmt: skip
    aws(crash_cloud, "dynamodb", crash_cloud.aws).put_item(TableName=table, Item=item)
    # When the trigger runs (as its schedule or an opening order would run it)
    aws(crash_cloud, "lambda", crash_cloud.lambda_endpoint).invoke(FunctionName="solroute-dev-TriggerFunction", InvocationType="Event", Payload=b"{}")
    # Then it reports the lag it found and the alarm fires
    alarm = wait_for_alarm(crash_cloud, "TriggerBehindAlarm")
    assert_fired(crash_cloud, alarm, "trigger-behind")
    assert alarm["value"] >= 3600


def test_a_failing_send_fires_the_http_5xx_alarm(send_error_cloud):
    statuses = [submit(send_error_cloud) for _ in range(2)]
    assert statuses == [503, 503]
    assert_fired(send_error_cloud, wait_for_alarm(send_error_cloud, "HttpApi5xxAlarm"), "http-5xx")


def test_the_console_shows_a_firing_alarm_with_its_reason_and_runbook(browser: Browser, send_error_cloud):  # noqa: F811
    alarm = wait_for_alarm(send_error_cloud, "HttpApi5xxAlarm", poke=lambda: submit(send_error_cloud))
    page = browser.new_page()
    page.goto(f"{send_error_cloud.http}/")
    firing = page.locator('#alarms-list li[data-alarm="HttpApi5xxAlarm"]')
    expect(firing).to_be_visible()
    expect(firing).to_have_class("alarm alarm-alarm")
    expect(firing).to_contain_text("ALARM")
    expect(firing).to_contain_text(alarm["reason"][:60])
    expect(firing).to_contain_text("Runbook: docs/operations.md#http-5xx")
    expect(page.locator("#alarms-summary")).to_contain_text("of 13 alarms firing")
    quiet = page.locator('#alarms-list li[data-alarm="OrdersQueueAgeAlarm"]')
    expect(quiet).not_to_contain_text("Runbook")  # only a firing alarm spells out its reason
    page.close()


@pytest.mark.parametrize(("function", "alarm", "anchor"), [
    ("OrderConsumerFunction", "OrderConsumerThrottlesAlarm", "consumer-throttles"),
    ("SettlerFunction", "SettlerThrottlesAlarm", "settler-throttles"),
])  # fmt: skip
def test_invocations_beyond_the_reserved_concurrency_fire_the_throttles_alarm(send_error_cloud, function, alarm, anchor):
    # Lambda throttles what goes beyond the reserved concurrency (the local cloud lets it wait, and counts it)
    client = aws(send_error_cloud, "lambda", send_error_cloud.lambda_endpoint)

    def invoke(_: int) -> int:
        return client.invoke(FunctionName=f"solroute-dev-{function}", Payload=json.dumps({"Records": []}))["StatusCode"]

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(invoke, range(8))) == {200}
    assert_fired(send_error_cloud, wait_for_alarm(send_error_cloud, alarm), anchor)


@pytest.fixture(scope="module")
def throttled_cloud() -> Iterator[RunningCloud]:
    cloud = start_cloud(DYNAMODB_THROTTLE)
    yield cloud
    assert stop_cloud(cloud) == 0, cloud.log()[-3000:]


def test_a_throttled_key_table_fires_the_authorizer_errors_alarm(throttled_cloud):
    assert submit(throttled_cloud) == 500  # API Gateway's answer to an authorizer that failed
    assert_fired(throttled_cloud, wait_for_alarm(throttled_cloud, "AuthorizerErrorsAlarm"), "authorizer-errors")


def test_a_message_the_consumer_cannot_process_is_dead_lettered_and_fires_the_dead_letter_alarm(throttled_cloud):
    # Given an order's message on the queue (the API cannot queue one: its authorizer fails)
    sqs = aws(throttled_cloud, "sqs", throttled_cloud.sqs)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="solroute-dev-OrdersQueue")["QueueUrl"], MessageBody=json.dumps({"orderId": "an-order"}))
    # Then each delivery fails to read the order, until SQS moves the message to the dead-letter queue
    alarm = wait_for_alarm(throttled_cloud, "OrdersDeadLetterAlarm")
    assert_fired(throttled_cloud, alarm, "orders-dead-letters")
    assert "alarm OrdersDeadLetterAlarm: would notify AlarmTopic (ALARM; the local cloud sends no notification)" in throttled_cloud.log()


# No chaos point reaches these three (nothing makes the settler or the webhook sender crash, and
# the stream sets aside only after WebhookStreamRetrySeconds, a minute at least): each is driven by
# what the fault leaves behind, as AWS would leave it.
def test_a_settler_invocation_that_fails_fires_the_settler_errors_alarm(send_error_cloud):
    client = aws(send_error_cloud, "lambda", send_error_cloud.lambda_endpoint)
    answer = client.invoke(FunctionName="solroute-dev-SettlerFunction", Payload=json.dumps({"Records": "not a batch"}))
    assert answer.get("FunctionError") == "Unhandled"
    assert_fired(send_error_cloud, wait_for_alarm(send_error_cloud, "SettlerErrorsAlarm"), "settler-errors")


@pytest.mark.parametrize(("queue", "alarm", "anchor"), [
    ("WebhookDeadLetterQueue", "WebhookDeadLetterAlarm", "webhook-dead-letters"),  # SQS, after a delivery's 12th receive
    ("WebhookStreamFailureQueue", "WebhookStreamFailuresAlarm", "webhook-stream-failures"),  # Lambda's OnFailure record
])  # fmt: skip
def test_a_message_left_on_a_webhook_dead_letter_queue_fires_its_alarm(send_error_cloud, queue, alarm, anchor):
    sqs = aws(send_error_cloud, "sqs", send_error_cloud.sqs)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=f"solroute-dev-{queue}")["QueueUrl"], MessageBody=json.dumps({"orderId": "an-order"}))
    fired = wait_for_alarm(send_error_cloud, alarm)
    assert_fired(send_error_cloud, fired, anchor)
    assert fired["value"] == 1
