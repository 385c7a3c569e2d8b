"""Webhooks cannot be turned against the network they are sent from (docs/webhooks.md, "The URL"),
on a running local cloud: a URL naming an address that is not public, in any form, or an
internal name is a 400 (and an error from `solroute keys create`); and although the local cloud
lets webhooks reach a receiver at 127.0.0.1, its own services are not among them: a webhook
aimed at its Lambda Invoke API runs no function, and the order records a coarse refusal."""

from __future__ import annotations

import subprocess
import sys

import aiohttp
import pytest

from tests.support.cloud_client import get_order, poll, run, submit, wait_final

REFUSED = [
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook", "http://127.0.0.2:9000/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://0.0.0.0/hook", "https://2130706433/hook", "https://localhost./hook", "http://localhost:9000/hook", "https://solroute-alias/hook",
    "https://metadata.google.internal/", "https://exa%00mple.com/hook",
]  # fmt: skip


def test_a_webhook_url_that_is_not_public_is_a_400_naming_the_field(cloud):
    async def scenario():
        answers = {}
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            for url in REFUSED:
                body = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "webhookUrl": url}
                async with session.post(f"{cloud.http}/api/orders/execute", json=body) as response:
                    answers[url] = (response.status, await response.json())
        return answers

    for url, (status, answer) in run(scenario()).items():
        assert status == 400, (url, answer)
        assert answer["error"]["code"] == "INVALID_REQUEST" and answer["error"]["details"][0]["field"] == "webhookUrl", answer


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/meta-data/", "https://localhost./hook"])
def test_a_keys_default_webhook_is_held_to_the_same_rule(cloud, url):
    made = subprocess.run(
        [sys.executable, "-m", "solroute_cli", "keys", "create", "--name", "ssrf", "--webhook-url", url, "--api", cloud.http],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode != 0 and ("not a public address" in made.stderr or "internal name" in made.stderr), made.stderr


def _attempts(cloud, order: dict) -> dict:
    """The order once every status change in its history has a final attempt recorded."""
    seqs = {str(h["seq"]) for h in order["history"]}

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            return await poll(
                lambda: get_order(session, cloud.http, order["orderId"]),
                lambda o: all(any(a["outcome"] != "retrying" for a in (o["webhookDeliveries"] or {}).get(s, [])) for s in seqs),
                timeout=60, interval=0.2,
            )  # fmt: skip

    return run(scenario())


def test_a_webhook_to_the_local_clouds_own_services_reaches_none_of_them(cloud):
    """Before: the status changes were POSTed to the Lambda Invoke API, which ran ConsoleFunction
    with each of them as its event (and the order recorded "delivered")."""
    before = cloud.stats()["functions"]["ConsoleFunction"]["invocations"]
    own = {
        "lambda": f"{cloud.lambda_endpoint}/2015-03-31/functions/ConsoleFunction/invocations",
        "http": f"{cloud.http}/api/orders/execute",
        "sqs": f"{cloud.sqs}/",
        "aws": f"{cloud.aws}/",
    }

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = {name: await submit(session, cloud.http, webhookUrl=url) for name, url in own.items()}
            return {name: await wait_final(session, cloud.http, a["orderId"]) for name, a in accepted.items()}

    for name, order in run(scenario()).items():
        order = _attempts(cloud, order)
        attempts = [a for seq in order["webhookDeliveries"].values() for a in seq]
        assert attempts and all((a["outcome"], a["error"]) == ("gave up", "refused: a port of the local cloud's own services, not a receiver") for a in attempts), (name, attempts)
        assert all("httpStatus" not in a or a["httpStatus"] is None for a in attempts), "nothing answered: nothing was asked"
    assert cloud.stats()["functions"]["ConsoleFunction"]["invocations"] == before, "the webhook ran no function"
