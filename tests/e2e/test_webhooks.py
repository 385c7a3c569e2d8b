"""Webhooks end to end on the local cloud: real HTTP receivers started here on 127.0.0.1. The
signature verifies with the function docs/webhooks.md gives receivers and the secret
`solroute keys webhook-secret` prints; a receiver that fails twice gets each status on the third
attempt, all three recorded on the order; a receiver that never answers does not hold up the
order; an order without a webhook invokes no webhook function."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.support.cloud_client import get_order, poll, run, submit, wait_final, watch
from tests.support.webhook_receiver import Receiver, until_every_status_delivered

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
WEBHOOK_FUNCTIONS = ("WebhookFunction", "WebhookSenderFunction")


def documented_verify():
    """verify_solroute_signature exactly as docs/webhooks.md prints it for receivers."""
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S) if "def verify_solroute_signature" in block]
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_solroute_signature"]


@pytest.fixture(scope="module")
def receiver():
    running = Receiver()
    yield running
    running.stop()


def invocations(cloud) -> dict[str, int]:
    functions = cloud.stats()["functions"]
    return {name: functions[name]["invocations"] for name in WEBHOOK_FUNCTIONS}


def webhook_secret(cloud) -> str:
    key_id = cloud.api_key[:11]
    shown = subprocess.run(
        [sys.executable, "-m", "solroute_cli", "keys", "webhook-secret", key_id, "--api", cloud.http, "--json"], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    answer = json.loads(shown.stdout)
    assert answer["keyId"] == key_id
    return answer["webhookSecret"]


def final_with(cloud, **fields) -> dict:
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http, **fields)
            return await wait_final(session, cloud.http, accepted["orderId"])

    return run(scenario())


def test_orders_without_a_webhook_invoke_no_webhook_function(cloud):
    before = invocations(cloud)
    orders = [final_with(cloud) for _ in range(3)]
    assert all(o["status"] == "confirmed" and o["webhookUrl"] is None and o["webhookDeliveries"] is None for o in orders)
    assert invocations(cloud) == before, "the stream filter drops an order without a webhook before any invocation"


def test_every_status_change_is_posted_signed_as_the_websocket_sends_it(cloud, receiver):
    verify = documented_verify()
    secret = webhook_secret(cloud)

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            for _ in range(3):  # until some status arrives live (an order may be over before its socket is open)
                accepted = await submit(session, cloud.http, webhookUrl=f"{receiver.url}/ok")
                messages = await watch(session, accepted["websocketUrl"], accepted["orderId"], until_snapshot=True)
                if any(m["type"] == "status_update" for m in messages):
                    break
            return messages, await wait_final(session, cloud.http, accepted["orderId"])

    messages, order = run(scenario())
    order_id = order["orderId"]
    order = until_every_status_delivered(cloud, order)
    assert order["status"] == "confirmed" and order["webhookUrl"] == f"{receiver.url}/ok"
    posted = [(h, b) for h, b in receiver.to("/ok") if h["x-solroute-delivery"].startswith(order_id)]
    for headers, body in posted:
        assert verify(secret, body, headers["x-solroute-signature"]), "signed with the key's secret"
        assert not verify(secret, body + b" ", headers["x-solroute-signature"]) and not verify("whsec_other", body, headers["x-solroute-signature"])
        assert headers["content-type"] == "application/json" and headers["x-solroute-attempt"] == "1"
    delivered = {json.loads(b)["seq"]: json.loads(b) for _, b in posted}
    assert sorted(delivered) == [h["seq"] for h in order["history"]], "one POST per status change"
    assert [delivered[s]["status"] for s in sorted(delivered)] == ["pending", "routing", "building", "submitted", "confirmed"]
    live = [m for m in messages if m["type"] == "status_update"]
    assert live, messages
    for message in live:  # the very JSON the WebSocket sent
        assert delivered[message["seq"]] == message
    for seq, attempts in order["webhookDeliveries"].items():
        assert [(a["attempt"], a["httpStatus"], a["outcome"]) for a in attempts] == [(1, 204, "delivered")], seq


def test_a_receiver_that_fails_twice_gets_each_status_on_the_third_attempt(cloud, receiver):
    order = final_with(cloud, webhookUrl=f"{receiver.url}/flaky")
    assert order["status"] == "confirmed"
    order = until_every_status_delivered(cloud, order)
    for seq, attempts in order["webhookDeliveries"].items():
        assert [(a["attempt"], a.get("httpStatus"), a["outcome"]) for a in attempts] == [
            (1, 500, "retrying"), (2, 500, "retrying"), (3, 200, "delivered"),
        ], seq  # fmt: skip
        assert attempts[0]["atMs"] < attempts[1]["atMs"] < attempts[2]["atMs"]
    final_seq = str(order["history"][-1]["seq"])
    assert order["webhookDeliveries"][final_seq][-1]["status"] == "confirmed"
    attempts_seen = sorted(h["x-solroute-attempt"] for h, b in receiver.to("/flaky") if json.loads(b)["seq"] == int(final_seq) and json.loads(b)["orderId"] == order["orderId"])
    assert attempts_seen == ["1", "2", "3"]


def test_a_receiver_that_never_answers_does_not_hold_up_the_order(cloud, receiver):
    started = len(receiver.to("/hang"))
    order = final_with(cloud, webhookUrl=f"{receiver.url}/hang")
    # Confirmed while the receiver still holds every request it got: execution never waited for it.
    assert order["status"] == "confirmed", order
    assert receiver.answered["/hang"] == 0

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            return await poll(
                lambda: get_order(session, cloud.http, order["orderId"]),
                lambda o: any(a.get("error", "").startswith("no answer within") for attempts in (o["webhookDeliveries"] or {}).values() for a in attempts),
                timeout=60, interval=0.2,
            )  # fmt: skip

    later = run(scenario())
    assert len(receiver.to("/hang")) > started, "the receiver was called"
    timed_out = [a for attempts in later["webhookDeliveries"].values() for a in attempts if a.get("error", "").startswith("no answer within")]
    assert timed_out and all(a["outcome"] == "retrying" and a["httpStatus"] is None for a in timed_out)
    assert receiver.answered["/hang"] == 0, "the receiver has answered nothing yet: the order never waited for it"
