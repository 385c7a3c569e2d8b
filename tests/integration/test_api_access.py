"""The API function's side of access control: the caller is the owner in the authorizer's
context (requestContext.authorizer.lambda), every /api/ route refuses a request without one,
and an owner sees only their own orders, including through idempotency keys."""

from __future__ import annotations

import io
import json

import pytest

from tests.lambdas import event

OTHER = {"owner": "5d1c3e0a-8f2b-4a6c-9e7d-1b2a3c4d5e6f", "keyId": "sr_OTHERKEY", "ratePerMinute": 60}
ORDER_PLACEHOLDER = "3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60"


def body(response: dict) -> dict:
    return json.loads(response["body"])


def as_caller(ev: dict, context: dict | None) -> dict:
    """The event as the authorizer would hand it on for this caller (None: no authorizer ran)."""
    if context is None:
        ev["requestContext"].pop("authorizer", None)
    else:
        ev["requestContext"]["authorizer"] = {"lambda": context}
    return ev


def submit(api, context: dict | None = None, key: str | None = None) -> dict:
    ev = event("api_execute_order.json")
    if context is not None:
        as_caller(ev, context)
    if key:
        ev["headers"]["idempotency-key"] = key
    return api(ev)


@pytest.fixture
def api(cloud):
    return cloud.fn("ApiFunction")


@pytest.mark.parametrize("sample", ["api_execute_order.json", "api_execute_order_invalid.json", "api_get_order.json", "api_list_orders.json"])
@pytest.mark.parametrize("context", [None, {}, {"keyId": "sr_NOOWNER1"}])
def test_every_api_route_refuses_a_request_without_an_owner_with_a_401_json_error(api, cloud, sample, context):
    """API Gateway refuses a request without a valid key before this function runs; should one
    reach it without a caller all the same (no authorizer ran), it is refused here too."""
    answer = api(as_caller(event(sample), context))
    assert answer["statusCode"] == 401, answer
    error = body(answer)["error"]
    assert error["code"] == "UNAUTHORIZED" and "x-api-key header" in error["message"]
    assert answer["headers"]["WWW-Authenticate"] == 'ApiKey realm="solroute", header="x-api-key"'
    assert cloud.sqs.receive_message(QueueUrl=cloud.queue_url("OrdersQueue"), WaitTimeSeconds=0).get("Messages") is None


def test_health_needs_no_key(api):
    assert api(as_caller(event("api_health.json"), None))["statusCode"] == 200


def test_another_owners_order_is_not_found_exactly_as_an_unknown_one(api):
    mine = body(submit(api))["orderId"]
    theirs = api(as_caller(event("api_get_order.json", **{ORDER_PLACEHOLDER: mine}), OTHER))
    unknown = api(as_caller(event("api_get_order.json"), OTHER))
    assert theirs["statusCode"] == unknown["statusCode"] == 404
    assert body(theirs)["error"]["code"] == body(unknown)["error"]["code"] == "ORDER_NOT_FOUND"
    assert body(theirs)["error"]["message"].replace(mine, "ID") == body(unknown)["error"]["message"].replace(ORDER_PLACEHOLDER, "ID")
    assert api(event("api_get_order.json", **{ORDER_PLACEHOLDER: mine}))["statusCode"] == 200


def test_a_listing_holds_only_the_callers_orders(api):
    mine = [body(submit(api))["orderId"] for _ in range(2)]
    theirs = body(submit(api, OTHER))["orderId"]
    listing = event("api_list_orders.json")
    listing["queryStringParameters"] = {"limit": "10"}
    listing["rawQueryString"] = "limit=10"
    assert [o["orderId"] for o in body(api(listing))["orders"]] == mine[::-1]
    assert [o["orderId"] for o in body(api(as_caller(listing, OTHER)))["orders"]] == [theirs]


def test_an_idempotency_key_is_the_callers_own(api):
    first = submit(api, key="same-key")
    again = submit(api, key="same-key")
    other = submit(api, OTHER, key="same-key")
    assert first["statusCode"] == again["statusCode"] == other["statusCode"] == 202
    assert body(again)["orderId"] == body(first)["orderId"]
    assert body(other)["orderId"] != body(first)["orderId"], "another owner's replay must not return this owner's order"


def test_the_owner_is_taken_from_the_authorizer_never_from_the_body(api, cloud):
    ev = event("api_execute_order.json")
    ev["body"] = json.dumps({**json.loads(ev["body"]), "owner": OTHER["owner"]})
    refused = api(ev)
    assert refused["statusCode"] == 400 and body(refused)["error"]["details"][0]["field"] == "owner"
    order_id = body(submit(api))["orderId"]
    item = cloud.table("OrdersTable").get_item(Key={"orderId": order_id})["Item"]
    assert item["owner"] == event("api_execute_order.json")["requestContext"]["authorizer"]["lambda"]["owner"]


def test_a_key_past_its_rate_gets_429_with_retry_after_and_other_keys_do_not(api, capsys):
    slow = {**OTHER, "keyId": "sr_SLOWKEY1", "ratePerMinute": 2}
    assert [submit(api, slow)["statusCode"] for _ in range(2)] == [202, 202]
    capsys.readouterr()
    refused = submit(api, slow)
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [doc.get("RequestsRefusedBusy") for doc in emitted] == [[1.0]], "BusyRefusalsAlarm counts the refusal"
    assert refused["statusCode"] == 429, refused
    assert body(refused)["error"]["code"] == "RATE_LIMITED" and "2 orders a minute" in body(refused)["error"]["message"]
    assert 1 <= int(refused["headers"]["Retry-After"]) <= 60
    assert submit(api)["statusCode"] == 202  # another key's orders are not held back


def test_a_key_whose_backlog_reaches_too_far_ahead_gets_429(cloud):
    # 6 starts a minute: each order is 10.25 s of the engine; a key may hold 20 s of them.
    cloud.template.override(RateLimitPerMinute="6", KeyBacklogSeconds="20")
    api = cloud.fn("ApiFunction")
    flood = {**OTHER, "keyId": "sr_FLOODKEY", "ratePerMinute": 1000}
    assert submit(api, flood)["statusCode"] == 202
    refused = submit(api, flood)
    assert refused["statusCode"] == 429 and "waiting ahead of other clients" in body(refused)["error"]["message"]
    assert int(refused["headers"]["Retry-After"]) == 1  # 20.5 s of reach against 20 s allowed
    assert submit(api)["statusCode"] == 202


def test_the_open_routes_are_exactly_those_the_template_leaves_without_an_authorizer(api, cloud):
    events = cloud.template.raw["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    unguarded = {e["Properties"]["Path"] for e in events if (e["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"}
    assert unguarded == set(api.module.OPEN_ROUTES) == {"/health"}



@pytest.fixture
def api_log(api):
    """What the API function logs from now on, one dict a line (its handler writes here instead)."""
    buffer = io.StringIO()
    previous = api.module.logger.registered_handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{") and "\"level\"" in line]
    api.module.logger.registered_handler.setStream(previous)


def test_a_warm_instance_never_logs_a_request_with_the_previous_callers_key_id(api, api_log):
    """Invocations of one warm instance: each request's lines name its own caller or none, never
    an earlier one's (state a warm instance keeps must not leak into the next invocation)."""
    mine = event("api_execute_order.json")["requestContext"]["authorizer"]["lambda"]["keyId"]
    assert submit(api)["statusCode"] == 202
    assert submit(api, OTHER)["statusCode"] == 202
    assert api(as_caller(event("api_get_order.json"), {}))["statusCode"] == 401  # reached the function without a caller
    lines = api_log()
    assert [line.get("key_id") for line in lines] == [mine, OTHER["keyId"], None], lines
