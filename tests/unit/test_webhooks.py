"""Webhooks: the URL rule, signing and verifying, the per-key secret, what an order records, the
delivery message, and the sender's retries with backoff and its record of every attempt."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from solroute.logic.backoff import backoff_bounds
from solroute.logic.broadcast import status_update
from solroute.logic.webhooks import (
    ATTEMPT_HEADER,
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    WebhookSecrets,
    delivery_message,
    derive_secret,
    signature,
    verify,
)
from solroute.models.requests import ExecuteOrderRequest
from solroute.models.webhooks import DeliveryFailed
from tests.fakes import FakeClock, TEST_CALLER
from tests.support.webhook_sender import BODY, MESSAGE, PUBLIC_IP, Log, Master, Receiver, sender

SECRET = derive_secret(b"m" * 32, "sr_AbCdEfGh")
NOW = FakeClock().now_ms() // 1000


# ---------------------------------------------------------------- the URL
@pytest.mark.parametrize("url", ["https://example.com/hook", "https://example.com:8443/a?b=c", "http://127.0.0.1:9000/hook"])
def test_an_https_url_or_a_local_http_one_is_accepted(url):
    assert ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", webhookUrl=url).webhookUrl == url


@pytest.mark.parametrize("url, fragment", [
    ("http://example.com/hook", "must be an https:// URL"),
    ("ftp://example.com/hook", "must be an https:// URL"),
    ("https:///no-host", "must be an https:// URL"),
    ("example.com/hook", "must be an https:// URL"),
    ("https://user:pw@example.com/hook", "without credentials"),
    ("https://example.com/a b", "space or a control character"),
    ("https://example.com/#frag", "fragment"),
    ("https://example.com:99999/", "must be an https:// URL"),
    ("https://example.com/" + "a" * 2048, "at most 2048 characters"),
])  # fmt: skip
def test_any_other_url_is_refused_saying_what_is_allowed(url, fragment):
    with pytest.raises(ValidationError, match=fragment) as raised:
        ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", webhookUrl=url)
    assert raised.value.errors()[0]["loc"] == ("webhookUrl",)


# ---------------------------------------------------------------- signing
def test_a_signature_verifies_and_any_change_breaks_it():
    header = signature(SECRET, BODY, NOW)
    assert header.startswith(f"t={NOW},v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, BODY, header, NOW + 10)
    assert not verify(SECRET, BODY + b" ", header, NOW), "another body"
    assert not verify(derive_secret(b"m" * 32, "sr_Other123"), BODY, header, NOW), "another key's secret"
    assert not verify(SECRET, BODY, header.replace(f"t={NOW}", f"t={NOW + 1}"), NOW), "another timestamp"
    assert not verify(SECRET, BODY, header, NOW + 301), "too old: a replay"
    assert not verify(SECRET, BODY, "v1=" + header.split("v1=")[1], NOW), "no timestamp"
    assert verify(SECRET, BODY, f"{header},v1={'0' * 64}", NOW), "any one v1 may match (a rotation sends two)"


def test_each_key_has_its_own_secret_derived_from_the_deployments_master():
    assert SECRET == derive_secret(b"m" * 32, "sr_AbCdEfGh") and SECRET.startswith("whsec_")
    assert derive_secret(b"m" * 32, "sr_Other123") != SECRET
    assert derive_secret(b"n" * 32, "sr_AbCdEfGh") != SECRET


def test_the_master_is_read_once_per_container():
    master = Master()
    secrets = WebhookSecrets(master)
    assert secrets.secret_for("sr_AbCdEfGh") == secrets.secret_for("sr_AbCdEfGh") != secrets.secret_for("sr_Other123")
    assert master.reads == 1 and len(master.stored) == 32


# ---------------------------------------------------------------- what an order records
def test_an_order_records_its_key_and_its_webhook_or_else_the_keys_default(engine):
    plain = engine.submit()
    assert (plain.keyId, plain.webhookUrl, plain.webhookDeliveries) == (TEST_CALLER.key_id, None, None), "its key, and no webhook to store"
    own = engine.submit(webhookUrl="https://example.com/own")
    assert (own.keyId, own.webhookUrl, own.webhookDeliveries) == (TEST_CALLER.key_id, "https://example.com/own", {})
    keyed = TEST_CALLER.model_copy(update={"webhook_url": "https://example.com/key-default"})
    request = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1.5")
    assert engine.submission.submit(request, keyed).webhookUrl == "https://example.com/key-default"
    request = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1.5", webhookUrl="https://example.com/own")
    assert engine.submission.submit(request, keyed).webhookUrl == "https://example.com/own", "the order's own wins"


def test_the_delivery_carries_the_exact_websocket_message(engine):
    order = engine.submit(webhookUrl="https://example.com/own")
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    message = delivery_message(final)
    assert json.loads(message["payload"]) == json.loads(json.dumps(status_update(final)))
    assert (message["orderId"], message["seq"], message["status"], message["url"], message["keyId"]) == (
        final.orderId, final.seq, "confirmed", "https://example.com/own", TEST_CALLER.key_id,
    )  # fmt: skip


# ---------------------------------------------------------------- the sender
def test_a_delivery_is_posted_signed_and_recorded_once():
    receiver, log = Receiver(204), Log()
    verdict = sender(receiver, log, timeout_seconds=3).deliver(MESSAGE, attempt=1)
    assert verdict.retry_in_s is None and verdict.attempt.outcome == "delivered" and verdict.attempt.httpStatus == 204
    ((target, addresses, body, headers, timeout),) = receiver.requests
    assert (target.host, target.port, target.target, addresses, body, timeout) == ("example.com", 443, "/hook", [PUBLIC_IP], BODY, 3)
    assert verify(SECRET, body, headers[SIGNATURE_HEADER], NOW)
    assert headers[DELIVERY_HEADER] == "o-1:5" and headers[ATTEMPT_HEADER] == "1" and headers["Content-Type"] == "application/json"
    ((order_id, seq, attempt, most),) = log.records
    assert (order_id, seq, attempt.attempt, attempt.status, attempt.error, most) == ("o-1", 5, 1, "confirmed", None, 5)


@pytest.mark.parametrize("failure, error", [
    (500, "HTTP 500"), (302, "HTTP 302"), (DeliveryFailed("no answer within 3 s"), "no answer within 3 s"),
    (DeliveryFailed("connection failed"), "connection failed"), (RuntimeError("a bug in the client"), "delivery failed"),
])  # fmt: skip
def test_a_failure_is_retried_after_an_exponential_backoff_then_given_up(failure, error):
    log = Log()
    send = sender(Receiver(*[failure] * 5), log, max_attempts=5, backoff_base_seconds=2)
    verdicts = [send.deliver(MESSAGE, attempt=n) for n in range(1, 6)]
    for n, verdict in enumerate(verdicts[:-1], start=1):
        low, high = backoff_bounds(n, 2)
        assert verdict.attempt.outcome == "retrying" and low <= verdict.retry_in_s <= high
    assert [backoff_bounds(n, 2) for n in (1, 2, 3, 4)] == [(1, 3), (2, 6), (4, 12), (8, 24)]
    assert verdicts[-1].retry_in_s is None and verdicts[-1].attempt.outcome == "gave up"
    assert [r[2].attempt for r in log.records] == [1, 2, 3, 4, 5]
    assert all(r[2].error == error for r in log.records)


def test_a_receiver_that_fails_twice_then_answers_gets_three_attempts():
    log = Log()
    send = sender(Receiver(500, 503, 200), log)
    assert [send.deliver(MESSAGE, attempt=n).attempt.outcome for n in (1, 2, 3)] == ["retrying", "retrying", "delivered"]
    assert [(a.attempt, a.httpStatus, a.outcome) for _, _, a, _ in log.records] == [(1, 500, "retrying"), (2, 503, "retrying"), (3, 200, "delivered")]


def test_a_message_past_its_attempts_is_not_posted_again():
    receiver = Receiver()
    verdict = sender(receiver, max_attempts=3).deliver(MESSAGE, attempt=4)
    assert receiver.requests == [] and verdict.retry_in_s is None and verdict.attempt.outcome == "gave up"


def test_a_lost_record_never_sends_a_delivered_status_again():
    verdict = sender(Receiver(200), Log(fail=True)).deliver(MESSAGE, attempt=1)
    assert verdict.retry_in_s is None and verdict.attempt.outcome == "delivered"


def test_threads_signing_at_once_read_the_master_once():
    import threading
    import time as clock

    class SlowMaster(Master):
        def get_or_create(self, candidate):
            clock.sleep(0.05)
            return super().get_or_create(candidate)

    master = SlowMaster()
    secrets = WebhookSecrets(master)
    threads = [threading.Thread(target=secrets.secret_for, args=("sr_AbCdEfGh",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert master.reads == 1


