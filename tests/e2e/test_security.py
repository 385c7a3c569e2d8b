"""Access control end to end, on the local cloud over real HTTP and WebSocket connections: keys
issued and revoked with `solroute keys`, refused the way API Gateway refuses them, orders that
only their owner can read, list, follow or replay, and one key's flood that other keys'
orders do not feel beyond the backlog the template allows."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import aiohttp
import pytest

from localcloud.template import Template
from tests.support.cloud_client import call, json_frame, poll, receive_until, run, solroute_keys, submit, wait_final
from tests.support.cloud_process import FAST, start_cloud, stop_cloud

ROOT = Path(__file__).resolve().parents[2]
ROUTES = Template(ROOT / "template.yaml").http_routes()
GUARDED = sorted({(r.method, r.path) for r in ROUTES if r.authorizer is not None})
OPEN = sorted({(r.method, r.path) for r in ROUTES if r.authorizer is None})
ORDER_BODY = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5"}
POST_BODIES = {"/api/orders/execute": ORDER_BODY, "/api/wallet/fund": {"token": "SOL", "amount": "1"}}


def new_key(cloud, name: str, rate: int | None = None) -> str:
    return solroute_keys(cloud, "create", "--name", name, *(["--rate", str(rate)] if rate else []))["apiKey"]


def test_the_template_guards_every_api_route_and_leaves_only_health_and_the_console_open():
    assert OPEN == [("GET", "/"), ("GET", "/console/{asset}"), ("GET", "/health")]  # the console's pages hold no data
    assert GUARDED and all(path.startswith("/api/") for _, path in GUARDED)


async def invocations(session: aiohttp.ClientSession, cloud) -> dict[str, int]:
    """How many times each function has run so far (the local cloud's counters)."""
    async with session.get(f"{cloud.http}/_localcloud/stats") as response:
        return {name: f["invocations"] for name, f in (await response.json())["functions"].items()}


def test_api_gateway_refuses_a_missing_wrong_revoked_bearer_or_query_string_key_before_the_api_function_runs(cloud):
    revoked = solroute_keys(cloud, "create", "--name", "soon-revoked")
    assert solroute_keys(cloud, "revoke", revoked["keyId"])["revoked"] is True
    wrong = "sr_" + "A" * 43
    unauthorized, forbidden = (401, {"message": "Unauthorized"}), (403, {"message": "Forbidden"})
    refused = {  # why: (headers, query, API Gateway's own answer)
        "no key": ({}, {}, unauthorized),
        "an empty key": ({"x-api-key": ""}, {}, unauthorized),
        "a wrong key": ({"x-api-key": wrong}, {}, forbidden),
        "a revoked key": ({"x-api-key": revoked["apiKey"]}, {}, forbidden),
        "a Bearer token alone": ({"Authorization": f"Bearer {cloud.api_key}"}, {}, unauthorized),  # no longer a way to send it
        "the key in the query string": ({}, {"apiKey": cloud.api_key}, unauthorized),  # only the WebSocket takes it there
    }

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as owner:
            order_id = (await submit(owner, cloud.http))["orderId"]
        async with aiohttp.ClientSession(headers={"x-api-key": revoked["apiKey"]}) as late:
            # The key was used (its wallet funded) before it was revoked: its cached "yes" lasts the
            # revocation delay (2 s in FAST), after which API Gateway asks again and refuses it.
            read = lambda: call(late, "GET", f"{cloud.http}/api/orders")  # noqa: E731
            assert (await poll(read, lambda answer: answer[0] == 403, timeout=20))[0] == 403
        answers = {}
        async with aiohttp.ClientSession() as session:
            before = await invocations(session, cloud)
            for method, path in GUARDED:
                url = cloud.http + path.replace("{orderId}", order_id)
                body = {"json": POST_BODIES[path]} if method == "POST" else {}
                asks = ORDER_BODY if path == "/api/quote" else {}  # the quote's own query
                for why, (headers, query, _) in refused.items():
                    answers[(method, path, why)] = await call(session, method, url, headers=headers, params={**asks, **query}, **body)
            after = await invocations(session, cloud)
            for method, path in GUARDED:
                url = cloud.http + path.replace("{orderId}", order_id)
                body = {"json": POST_BODIES[path]} if method == "POST" else {}
                asks = ORDER_BODY if path == "/api/quote" else {}
                answers[(method, path, "the demo key")] = await call(session, method, url, headers=cloud.headers, params=asks, **body)
            answers["health"] = await call(session, "GET", cloud.http + "/health")
        return answers, before, after

    answers, before, after = run(scenario())
    assert answers.pop("health")[0] == 200
    for (method, path, why), (status, headers, body) in answers.items():
        if why == "the demo key":  # a cancel of an order that has started is refused for that, not for the key,
            # and a stack on the ledger chain has no wallet to show or fund
            no_wallet = path.startswith("/api/wallet") and status == 404 and body["error"]["code"] == "NO_WALLETS"
            assert status in (200, 202) or (method, status) == ("DELETE", 409) or no_wallet, f"{method} {path} with a good key: {status} {body}"
            continue
        assert (status, body) == refused[why][2], f"{method} {path} with {why}: {status} {body}"
    assert after["ApiFunction"] == before["ApiFunction"], "a refused request never runs the API function"
    # Only a request with the header runs the authorizer: the wrong key at least once (the revoked
    # one's refusal may still be cached from the wait above), and no more often than the two forbidden
    # keys were sent (an answer is cached for RevocationDelaySeconds).
    forbidden_keys = sum(1 for why in refused.values() if why[2] == forbidden)
    ran = after["AuthorizerFunction"] - before["AuthorizerFunction"]
    assert 1 <= ran <= forbidden_keys * len(GUARDED), "a request without the header never runs the authorizer"


def test_another_owners_order_cannot_be_read_listed_followed_or_replayed(cloud):
    other_key = new_key(cloud, "someone-else")
    other = {"x-api-key": other_key}
    idempotency = {"Idempotency-Key": f"same-key-{uuid.uuid4()}"}

    async def scenario():
        async with aiohttp.ClientSession(headers={**cloud.headers, **idempotency}) as mine:
            accepted = await submit(mine, cloud.http)
            order_id = accepted["orderId"]
            await wait_final(mine, cloud.http, order_id)
        seen = {}
        async with aiohttp.ClientSession(headers=other) as theirs:
            seen["get"] = await call(theirs, "GET", f"{cloud.http}/api/orders/{order_id}")
            seen["cancel"] = await call(theirs, "DELETE", f"{cloud.http}/api/orders/{order_id}")
            seen["unknown"] = await call(theirs, "GET", f"{cloud.http}/api/orders/{uuid.uuid4()}")
            seen["list"] = await call(theirs, "GET", f"{cloud.http}/api/orders", params={"limit": "100"})
            seen["replay"] = await call(theirs, "POST", f"{cloud.http}/api/orders/execute", json=ORDER_BODY, headers=idempotency)
            try:
                async with theirs.ws_connect(f"{cloud.ws}/dev", params={"orderId": order_id}):
                    seen["connect"] = 101
            except aiohttp.WSServerHandshakeError as refused:
                seen["connect"] = refused.status
            async with theirs.ws_connect(f"{cloud.ws}/dev") as socket:
                await socket.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
                frame = json_frame(await receive_until(socket, lambda f: f.type == aiohttp.WSMsgType.TEXT))
                seen["subscribe"] = frame
                await socket.send_str(json.dumps({"action": "ping"}))  # the next frame answers this
                seen["after"] = json_frame(await receive_until(socket, lambda f: f.type == aiohttp.WSMsgType.TEXT))
        async with aiohttp.ClientSession(headers=cloud.headers) as mine:
            seen["mine"] = await call(mine, "GET", f"{cloud.http}/api/orders/{order_id}")
        async with aiohttp.ClientSession() as browser:  # no headers: the key in the query, as a browser sends it
            async with browser.ws_connect(f"{cloud.ws}/dev", params={"apiKey": cloud.api_key, "orderId": order_id}) as socket:
                await socket.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
                seen["my snapshot"] = json_frame(await receive_until(socket, lambda f: json_frame(f).get("type") == "snapshot"))
        return order_id, seen

    order_id, seen = run(scenario())
    status, _, body = seen["get"]
    unknown_status, _, unknown_body = seen["unknown"]
    assert (status, body["error"]["code"]) == (unknown_status, unknown_body["error"]["code"]) == (404, "ORDER_NOT_FOUND")
    assert set(body["error"]) == set(unknown_body["error"]), "another owner's order looks exactly like an unknown one"
    assert seen["cancel"][0] == 404 and seen["cancel"][2]["error"]["code"] == "ORDER_NOT_FOUND", "nor can it be cancelled"
    assert seen["list"][0] == 200 and order_id not in {o["orderId"] for o in seen["list"][2]["orders"]}
    replay_status, _, replay = seen["replay"]
    assert replay_status == 202 and replay["orderId"] != order_id, "an idempotency key belongs to its owner"
    assert seen["connect"] == 404, "refused as an unknown order is"
    assert seen["subscribe"]["type"] == "error" and seen["subscribe"]["error"]["code"] == "ORDER_NOT_FOUND", seen["subscribe"]
    assert seen["after"]["type"] == "error" and seen["after"]["error"]["code"] == "UNKNOWN_ACTION", "no snapshot came in between"
    assert seen["mine"][0] == 200 and seen["my snapshot"]["order"]["orderId"] == order_id


def test_a_key_over_its_own_rate_gets_429_while_another_keys_orders_are_accepted_and_confirm(cloud):
    flooder = {"x-api-key": new_key(cloud, "flooder", rate=3)}

    async def scenario():
        async with aiohttp.ClientSession(headers=flooder) as session:
            flood = [await call(session, "POST", f"{cloud.http}/api/orders/execute", json=ORDER_BODY) for _ in range(10)]
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await asyncio.gather(*(submit(session, cloud.http) for _ in range(3)))
            finals = await asyncio.gather(*(wait_final(session, cloud.http, a["orderId"]) for a in accepted))
        return flood, finals

    flood, finals = run(scenario())
    statuses = [status for status, _, _ in flood]
    # Three a calendar minute: at most six if the minute turned during the burst.
    assert set(statuses) == {202, 429} and 3 <= statuses.count(202) <= 6, statuses
    for status, headers, body in flood:
        if status == 429:
            assert body["error"]["code"] == "RATE_LIMITED" and int(headers["Retry-After"]) >= 1, (headers, body)
    assert [o["status"] for o in finals] == ["confirmed"] * 3


@pytest.fixture(scope="module")
def paced_cloud():
    """Orders start at most 100 a minute (one each 0.6 s), and no key may have more than 5 s of
    them waiting ahead of everyone else's."""
    params = [p for p in FAST if not p.startswith("RateLimitPerMinute")] + ["RateLimitPerMinute=100", "KeyBacklogSeconds=5"]
    running = start_cloud(params, "--quiet")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def test_a_key_that_would_fill_the_shared_queue_is_refused_and_another_keys_order_still_runs(paced_cloud):
    cloud = paced_cloud
    flooder = {"x-api-key": new_key(cloud, "flooder", rate=1000)}

    async def scenario():
        async with aiohttp.ClientSession(headers=flooder) as session:
            flood = await asyncio.gather(*(call(session, "POST", f"{cloud.http}/api/orders/execute", json=ORDER_BODY) for _ in range(30)))
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            mine = await submit(session, cloud.http)
            final = await wait_final(session, cloud.http, mine["orderId"], timeout=120)
        return flood, final

    flood, final = run(scenario())
    accepted = [body for status, _, body in flood if status == 202]
    refused = [(headers, body) for status, headers, body in flood if status == 429]
    assert len(accepted) + len(refused) == 30
    # 5 s of backlog at 0.6 s an order: about nine of the flood's orders (and those the engine
    # started while the flood was arriving) join the queue; the others are told to come back.
    assert accepted and refused, [status for status, _, _ in flood]
    for headers, body in refused:
        assert "waiting ahead of other clients" in body["error"]["message"] and int(headers["Retry-After"]) >= 1
    assert final["status"] == "confirmed"
