"""The API function driven with events/api_*.json against moto tables and queues."""

import json

import pytest

from tests.lambdas import event, stored
from tests.support.api_calls import WALLET, body, post, queued
from tests.support.moto_cloud import WS_ENDPOINT

def test_an_order_is_stored_pending_and_queued_once(cloud):
    api = cloud.fn("ApiFunction")
    response = api(event("api_execute_order.json"))
    assert response["statusCode"] == 202
    accepted = body(response)
    assert accepted["status"] == "pending"
    assert accepted["websocketUrl"] == f"{WS_ENDPOINT}/dev"
    item = stored(cloud.table("OrdersTable").get_item(Key={"orderId": accepted["orderId"]})["Item"])
    assert item["status"] == "pending" and item["amountIn"] == "1.5" and item["wallet"] == WALLET
    assert queued(cloud) == [accepted["orderId"]]


def test_a_json_number_amount_keeps_its_exact_decimal_value(cloud):
    api = cloud.fn("ApiFunction")
    response = post(api, '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": 0.1, "slippage": 0.005}')
    order_id = body(response)["orderId"]
    item = stored(cloud.table("OrdersTable").get_item(Key={"orderId": order_id})["Item"])
    assert (item["amountIn"], item["slippage"]) == ("0.1", "0.005")


def test_bad_input_is_a_400_naming_each_field(cloud):
    response = cloud.fn("ApiFunction")(event("api_execute_order_invalid.json"))
    assert response["statusCode"] == 400
    error = body(response)["error"]
    assert error["code"] == "INVALID_REQUEST"
    fields = {d["field"] for d in error["details"]}
    assert {"amountIn", "price"} <= fields
    assert "Traceback" not in response["body"]
    assert queued(cloud) == []


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ("{not json", "not valid JSON"),
        ('["SOL"]', "body"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit"}, "needs limitPrice"),
        ({"tokenIn": "SOL", "tokenOut": "SOL", "amountIn": "1"}, "must differ"),
    ],
)
def test_malformed_bodies_are_400_never_500(cloud, payload, fragment):
    response = post(cloud.fn("ApiFunction"), payload)
    assert response["statusCode"] == 400, response
    assert fragment in body(response)["error"]["message"]


def test_the_same_idempotency_key_and_body_returns_the_same_order(cloud):
    api = cloud.fn("ApiFunction")
    first = api(event("api_execute_order_idempotent.json"))
    second = api(event("api_execute_order_idempotent.json"))
    assert first["statusCode"] == second["statusCode"] == 202
    assert body(first)["orderId"] == body(second)["orderId"]
    assert cloud.table("OrdersTable").scan()["Count"] == 1
    assert len(queued(cloud)) == 1


def test_the_same_idempotency_key_with_another_body_is_a_409(cloud):
    api = cloud.fn("ApiFunction")
    api(event("api_execute_order_idempotent.json"))
    response = post(api, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "2"}, {"idempotency-key": "order-2026-11-21-0001"})
    assert response["statusCode"] == 409
    assert body(response)["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_when_the_queue_refuses_the_order_is_failed_and_the_answer_is_503(cloud):
    api = cloud.fn("ApiFunction")
    api.env["ORDERS_QUEUE_URL"] = cloud.queue_url("OrdersQueue") + "-missing"
    response = api(event("api_execute_order.json"))
    assert response["statusCode"] == 503
    assert body(response)["error"]["code"] == "QUEUE_UNAVAILABLE"
    (item,) = map(stored, cloud.table("OrdersTable").scan()["Items"])
    assert item["status"] == "failed" and "could not be queued" in item["failureReason"]


def test_get_returns_the_whole_order_and_404_or_400_otherwise(cloud):
    api = cloud.fn("ApiFunction")
    order_id = body(api(event("api_execute_order.json")))["orderId"]
    found = api(event("api_get_order.json", **{"3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60": order_id}))
    assert found["statusCode"] == 200
    order = body(found)
    assert order["orderId"] == order_id and order["history"][0]["status"] == "pending"
    assert {"quotes", "routing", "execution", "attempts"} <= set(order)
    assert api(event("api_get_order.json"))["statusCode"] == 404
    malformed = api(event("api_get_order.json", **{"3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60": "nope"}))
    assert malformed["statusCode"] == 400 and body(malformed)["error"]["code"] == "INVALID_REQUEST"


def test_the_callers_orders_of_one_wallet_are_listed_newest_first_page_by_page(cloud):
    api = cloud.fn("ApiFunction")
    ids = []
    for amount in ("1", "2", "3"):
        ids.append(body(post(api, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": amount, "wallet": WALLET}))["orderId"])
    post(api, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "9"})  # no wallet: not in the wallet's listing
    ev = event("api_list_orders.json")
    ev["queryStringParameters"]["limit"] = "2"
    first = body(api(ev))
    assert [o["orderId"] for o in first["orders"]] == ids[::-1][:2] and first["cursor"]
    ev["queryStringParameters"]["cursor"] = first["cursor"]
    second = body(api(ev))
    assert [o["orderId"] for o in second["orders"]] == ids[:1]


@pytest.mark.parametrize("query", [{"wallet": "short"}, {"wallet": ""}, {"wallet": WALLET, "limit": "0"}, {"wallet": WALLET, "limit": "x"}, {"wallet": WALLET, "cursor": "garbage!"}])
def test_bad_list_queries_are_400(cloud, query):
    ev = event("api_list_orders.json")
    ev["queryStringParameters"] = query
    response = cloud.fn("ApiFunction")(ev)
    assert response["statusCode"] == 400, response
    assert body(response)["error"]["code"] == "INVALID_REQUEST"


def get_path(api, path):
    ev = event("api_get_order.json")  # an authorized GET
    ev["pathParameters"] = {}
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    return api(ev)


def test_health_openapi_and_unknown_routes(cloud):
    api = cloud.fn("ApiFunction")
    assert body(api(event("api_health.json"))) == {"status": "ok"}
    spec = body(get_path(api, "/api/openapi.json"))
    assert "/api/orders/execute" in spec["paths"] and "/api/orders/{orderId}" in spec["paths"]
    missing = get_path(api, "/nope")
    assert missing["statusCode"] == 404 and body(missing)["error"]["code"] == "ROUTE_NOT_FOUND"
    odd = get_path(api, "/api/orders/\x00")  # acceptance trial: a NUL in the id matched no route (404), other bad ids are a 400
    assert odd["statusCode"] == 400 and body(odd)["error"]["code"] == "INVALID_REQUEST" and "orderId must be a UUID" in body(odd)["error"]["message"]


def test_the_openapi_document_lists_the_answers_each_operation_really_gives(cloud):
    spec = body(get_path(cloud.fn("ApiFunction"), "/api/openapi.json"))
    statuses = {f"{method.upper()} {path}": set(op["responses"]) for path, ops in spec["paths"].items() for method, op in ops.items()}
    assert statuses == {
        "POST /api/orders/execute": {"202", "400", "401", "403", "409", "415", "429", "503"},
        "DELETE /api/orders/{orderId}": {"200", "400", "401", "403", "404", "409", "503"},
        "GET /api/orders/{orderId}": {"200", "400", "401", "403", "404", "503"},
        "GET /api/orders": {"200", "400", "401", "403", "503"},
        "GET /health": {"200"},
        "GET /api/openapi.json": {"200", "401", "403"},
        "GET /api/quote": {"200", "400", "401", "403", "422", "503"},
        "GET /api/wallet": {"200", "401", "403", "404", "503"},
        "POST /api/wallet/fund": {"200", "400", "401", "403", "404", "415", "503"},
    }
    # powertools' own 422 (its validation error body) is never documented: we answer 400 for bad input;
    # the one 422 is the quote's, "nothing can fill this trade"
    assert "HTTPValidationError" not in json.dumps(spec)
    assert [path for path, ops in spec["paths"].items() for op in ops.values() if "422" in op["responses"]] == ["/api/quote"]


def test_the_openapi_document_types_every_body(cloud):
    spec = body(get_path(cloud.fn("ApiFunction"), "/api/openapi.json"))
    schemas = spec["components"]["schemas"]

    def schema_of(path, method, status):
        return spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    assert schema_of("/api/orders/execute", "post", "202") == {"$ref": "#/components/schemas/OrderAccepted"}
    assert schema_of("/api/orders/{orderId}", "get", "200") == {"$ref": "#/components/schemas/OrderView"}
    assert schema_of("/api/orders", "get", "200") == {"$ref": "#/components/schemas/OrderPage"}
    assert schema_of("/api/wallet", "get", "200") == {"$ref": "#/components/schemas/WalletAnswer"}
    assert schema_of("/api/wallet/fund", "post", "200") == {"$ref": "#/components/schemas/Funded"}
    assert spec["paths"]["/api/wallet/fund"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FundRequest"}
    assert "ledger chain" in spec["paths"]["/api/wallet"]["get"]["responses"]["404"]["description"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if status in ("401", "403"):  # API Gateway's own refusal, before any function runs
                    assert schema_of(path, method, status) == {"$ref": "#/components/schemas/GatewayRefusal"}, (path, status)
                elif status >= "400":
                    assert schema_of(path, method, status) == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
                if status == "503":
                    assert "Retry-After" in answer["headers"]
    assert set(schemas["ErrorInfo"]["required"]) == {"code", "message", "details"}
    assert schemas["GatewayRefusal"]["required"] == ["message"] and set(schemas["GatewayRefusal"]["properties"]) == {"message"}
    assert "lastChange" not in schemas["OrderView"]["properties"]
    assert schemas["OrderView"]["properties"]["amountIn"]["type"] == "string"


def test_the_openapi_document_names_the_one_way_to_send_the_key(cloud):
    spec = body(get_path(cloud.fn("ApiFunction"), "/api/openapi.json"))
    assert spec["components"]["securitySchemes"] == {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
    assert spec["security"] == [{"apiKey": []}]
    assert spec["paths"]["/health"]["get"]["security"] == []
    refusals = spec["paths"]["/api/orders"]["get"]["responses"]
    assert "x-api-key" in refusals["401"]["description"] and "revoked" in refusals["403"]["description"]


def test_the_openapi_document_describes_the_order_body_and_idempotency_header(cloud):
    spec = body(get_path(cloud.fn("ApiFunction"), "/api/openapi.json"))
    submit = spec["paths"]["/api/orders/execute"]["post"]
    assert submit["requestBody"]["required"] is True
    assert submit["requestBody"]["content"]["application/json"]["schema"] == {
        "oneOf": [{"$ref": "#/components/schemas/ExecuteOrderRequest"}, {"$ref": "#/components/schemas/SniperRequest"}],
    }
    sniper = spec["components"]["schemas"]["SniperRequest"]
    assert set(sniper["required"]) == {"type", "tokenIn", "tokenOut", "amountIn", "maxPrice"} and sniper["additionalProperties"] is False
    request = spec["components"]["schemas"]["ExecuteOrderRequest"]
    assert set(request["required"]) == {"tokenIn", "tokenOut", "amountIn"}
    assert request["additionalProperties"] is False
    assert [(p["name"], p["in"]) for p in submit["parameters"]] == [("Idempotency-Key", "header")]


def test_an_order_read_back_never_shows_store_only_fields(cloud):
    api = cloud.fn("ApiFunction")
    order_id = body(api(event("api_execute_order.json")))["orderId"]
    order = body(api(event("api_get_order.json", **{"3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60": order_id})))
    assert "lastChange" not in order
    listed = body(api(event("api_list_orders.json")))["orders"]
    assert [o["orderId"] for o in listed] == [order_id]
    assert "lastChange" not in listed[0]


def quote(api, **query):
    ev = event("api_get_order.json")  # an authorized GET
    ev["pathParameters"] = {}
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = "/api/quote"
    ev["queryStringParameters"] = query
    return api(ev)


def test_a_quote_shows_every_venue_the_split_and_the_chosen_route_with_a_quote_id(cloud):
    answer = body(quote(cloud.fn("ApiFunction"), tokenIn="JUP", tokenOut="USDC", amountIn="200000", slippage="0.01"))
    assert sorted(v["dex"] for v in answer["venues"]) == ["meteora", "raydium"]
    assert answer["route"]["kind"] == "split" == answer["split"]["kind"] and len(answer["route"]["legs"]) == 2
    assert answer["route"]["amountOut"] == answer["split"]["amountOut"]
    assert float(answer["route"]["amountOut"]) > max(float(v["amountOut"]) for v in answer["venues"])
    assert answer["quoteId"].startswith("q1.") and answer["expiresAt"] and answer["problem"] is None
    assert answer["maxPriceImpact"] == "0.05" and set(answer["route"]["fees"]) == {"JUP"}
    assert "over Meteora alone" in answer["reason"]
    assert queued(cloud) == [], "a quote executes nothing"


def test_a_quote_for_a_pair_without_a_pool_is_a_two_hop_route(cloud):
    answer = body(quote(cloud.fn("ApiFunction"), tokenIn="WIF", tokenOut="USDC", amountIn="100"))
    assert answer["venues"] == [] and answer["route"]["kind"] == "two-hop" and answer["route"]["via"] == ["SOL"]
    assert answer["twoHop"] == answer["route"] and answer["split"] is None


def test_a_quote_over_the_price_impact_limit_shows_why_and_issues_no_quote_id(cloud):
    answer = body(quote(cloud.fn("ApiFunction"), tokenIn="SOL", tokenOut="USDC", amountIn="1000000"))
    assert answer["quoteId"] is None and "price impact" in answer["problem"] and "above the 5.00% limit" in answer["problem"]


@pytest.mark.parametrize("query, field", [
    ({"tokenIn": "SOL", "tokenOut": "USDC"}, "amountIn"),
    ({"tokenIn": "WIF", "tokenOut": "JTO", "amountIn": "1"}, "body"),
    ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "dexes": "orca"}, "dexes"),
    ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "maxPriceImpact": "2"}, "maxPriceImpact"),
    ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "quoteId": "x"}, "quoteId"),
])  # fmt: skip
def test_bad_quote_queries_are_400_naming_the_parameter(cloud, query, field):
    response = quote(cloud.fn("ApiFunction"), **query)
    assert response["statusCode"] == 400, response
    assert field in {d["field"] for d in body(response)["error"]["details"]}


def test_a_quote_nothing_can_fill_is_a_422(cloud):
    response = quote(cloud.fn("ApiFunction"), tokenIn="BONK", tokenOut="SOL", amountIn="0.00001")
    assert response["statusCode"] == 422 and body(response)["error"]["code"] == "NO_LIQUIDITY"


def test_an_order_sent_with_a_quote_id_is_bound_to_the_quotes_minimum(cloud):
    api = cloud.fn("ApiFunction")
    answer = body(quote(api, tokenIn="SOL", tokenOut="USDC", amountIn="2"))
    accepted = post(api, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "2", "quoteId": answer["quoteId"]})
    assert accepted["statusCode"] == 202, accepted
    item = stored(cloud.table("OrdersTable").get_item(Key={"orderId": body(accepted)["orderId"]})["Item"])
    assert item["quote"] == {"minAmountOut": answer["route"]["minAmountOut"], "expiresAtMs": answer["expiresAtMs"]}
    other = post(api, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "3", "quoteId": answer["quoteId"]})
    assert other["statusCode"] == 400 and "not for this order" in body(other)["error"]["message"]


def _limit_order(price="1000000"):
    return {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": price, "timeInForceSeconds": 600}


def test_a_limit_order_past_its_keys_cap_of_open_orders_is_a_409_that_says_the_cap(cloud):
    api = cloud.fn("ApiFunction", KEY_MAX_OPEN_ORDERS="2")
    assert [post(api, _limit_order())["statusCode"] for _ in range(2)] == [202, 202]
    refused = post(api, _limit_order())
    assert refused["statusCode"] == 409
    error = body(refused)["error"]
    assert error["code"] == "TOO_MANY_OPEN_ORDERS" and "already has 2 open limit orders" in error["message"]
    assert post(api, {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1"})["statusCode"] == 202, "market orders are not capped"


def test_an_order_the_queue_refused_does_not_spend_its_keys_rate(cloud):
    """Defect 2 through the real handler: 503, then the client's retry is accepted."""
    api = cloud.fn("ApiFunction")
    one_a_minute = event("api_execute_order.json")
    one_a_minute["requestContext"]["authorizer"]["lambda"]["ratePerMinute"] = 1
    api.env["ORDERS_QUEUE_URL"] = cloud.queue_url("OrdersQueue") + "-missing"
    assert api(one_a_minute)["statusCode"] == 503
    api.env["ORDERS_QUEUE_URL"] = cloud.queue_url("OrdersQueue")
    assert api(one_a_minute)["statusCode"] == 202, "not 429: the refused order gave its count back"
    assert api(one_a_minute)["statusCode"] == 429, "and the rate holds"


@pytest.mark.parametrize("idempotency_key", [None, "once-1"])
def test_an_order_body_is_validated_once(cloud, monkeypatch, idempotency_key):
    """The handler validates the body; the submission (idempotent or not) gets that request, not
    one rebuilt from its JSON."""
    from solroute.models.requests import ExecuteOrderRequest

    validate, calls = ExecuteOrderRequest.model_validate, []
    monkeypatch.setattr(ExecuteOrderRequest, "model_validate", classmethod(lambda cls, *a, **k: calls.append(1) or validate(*a, **k)))
    response = post(cloud.fn("ApiFunction"), {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5"}, {"idempotency-key": idempotency_key} if idempotency_key else {})
    assert response["statusCode"] == 202 and len(calls) == 1
