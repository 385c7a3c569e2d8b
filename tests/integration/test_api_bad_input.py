"""Bad input to the API function: always a 4xx with the JSON error body, in words a trader reads,
never a 5xx; and errors that may pass answer 503 with Retry-After."""

import base64
import json

import pytest
from solroute import services
from solroute.models import errors
from solroute.models.order import Order
from tests.lambdas import event
from tests.support.api_calls import WALLET, body, post, queued

ORDER = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5"}
PARSER_WORDING = ("Input should be", "dictionary", "Extra inputs", "Field required", "JSON decode error", "Value error")


def assert_error(response, status, code):
    assert response["statusCode"] == status, response
    assert response["headers"]["Content-Type"] == "application/json"
    error = body(response)["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    return error


def post_raw(api, text_or_bytes, content_type="application/json"):
    ev = event("api_execute_order.json")
    ev["headers"]["content-type"] = content_type
    if isinstance(text_or_bytes, bytes):  # API Gateway passes a body it does not read as text in base64
        ev["body"], ev["isBase64Encoded"] = base64.b64encode(text_or_bytes).decode(), True
    else:
        ev["body"] = text_or_bytes
    return api(ev)


@pytest.mark.parametrize("content_type", ["Application/JSON", "APPLICATION/JSON; Charset=UTF-8", "application/json; charset=utf-8"])
def test_a_json_body_is_read_whatever_the_case_of_its_media_type(cloud, content_type):
    response = post_raw(cloud.fn("ApiFunction"), json.dumps(ORDER), content_type)
    assert response["statusCode"] == 202, response


@pytest.mark.parametrize("content_type", ["text/plain", "text/json", "application/xml", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_sent_as_json_is_a_415_saying_what_to_send(cloud, content_type):
    api = cloud.fn("ApiFunction")
    sent = json.dumps(ORDER) if content_type != "application/x-www-form-urlencoded" else "tokenIn=SOL&tokenOut=USDC&amountIn=1"
    error = assert_error(post_raw(api, sent, content_type), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "Content-Type: application/json" in error["message"]
    assert "required" not in error["message"]
    assert queued(cloud) == []


def test_the_sample_text_plain_event_is_a_415(cloud):
    assert_error(cloud.fn("ApiFunction")(event("api_execute_order_text_plain.json")), 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_body_nested_a_hundred_thousand_deep_is_a_400(cloud):
    error = assert_error(post_raw(cloud.fn("ApiFunction"), "[" * 100_000), 400, "INVALID_REQUEST")
    assert "nested too deeply" in error["message"]


def test_a_number_of_five_thousand_digits_is_a_400_naming_the_field(cloud):
    payload = '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": ' + "7" * 5000 + "}"
    error = assert_error(post_raw(cloud.fn("ApiFunction"), payload), 400, "INVALID_REQUEST")
    assert error["details"] == [{"field": "amountIn", "message": "must be at most 1000000000000"}]


@pytest.mark.parametrize("number", ["1e999999999999999999999", "NaN", "-Infinity"])
def test_numbers_json_cannot_carry_are_a_400(cloud, number):
    payload = '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": ' + number + "}"
    assert_error(post_raw(cloud.fn("ApiFunction"), payload), 400, "INVALID_REQUEST")


def test_json_integers_stay_exact_decimals(cloud):
    response = post_raw(cloud.fn("ApiFunction"), '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": 2}')
    assert response["statusCode"] == 202, response


def test_a_body_that_is_not_utf8_is_a_400(cloud):
    error = assert_error(post_raw(cloud.fn("ApiFunction"), b'{"tokenIn": "SOL\xff\xfe", "tokenOut": "USDC", "amountIn": "1"}'), 400, "INVALID_REQUEST")
    assert "UTF-8" in error["message"]


def test_a_utf8_body_passed_as_base64_is_read(cloud):
    response = post_raw(cloud.fn("ApiFunction"), json.dumps(ORDER).encode())
    assert response["statusCode"] == 202, response


@pytest.mark.parametrize("payload, kind", [(json.dumps([ORDER, ORDER]), "not an array"), ("null", "not a single value"), ('"SOL"', "not a single value")])
def test_the_body_must_be_one_json_object(cloud, payload, kind):
    api = cloud.fn("ApiFunction")
    error = assert_error(post_raw(api, payload), 400, "INVALID_REQUEST")
    assert kind in error["message"]
    assert cloud.table("OrdersTable").scan()["Count"] == 0
    assert queued(cloud) == []


@pytest.mark.parametrize("payload", ["", "   "])
def test_an_empty_body_is_a_400(cloud, payload):
    error = assert_error(post_raw(cloud.fn("ApiFunction"), payload), 400, "INVALID_REQUEST")
    assert "empty" in error["message"]


def test_invalid_json_names_line_and_column_not_a_field(cloud):
    error = assert_error(post_raw(cloud.fn("ApiFunction"), '{"tokenIn": "SOL",\n  oops}'), 400, "INVALID_REQUEST")
    assert error["message"].startswith("request body is not valid JSON: ")
    assert "line 2, column 3" in error["message"]
    assert error["details"] == {"line": 2, "column": 3}


def test_field_messages_name_the_field_and_what_is_allowed_never_parser_wording(cloud):
    payload = {"tokenIn": 5, "tokenOut": "", "amountIn": "lots", "slippage": [], "price": 3}
    error = assert_error(post(cloud.fn("ApiFunction"), payload), 400, "INVALID_REQUEST")
    assert {d["field"]: d["message"] for d in error["details"]} == {
        "tokenIn": "must be a string",
        "tokenOut": "must not be empty",
        "amountIn": 'must be a decimal number, such as 1.5 or "1.5"',
        "slippage": 'must be a decimal number, such as 1.5 or "1.5"',
        "price": "is not a field of this request; the fields are tokenIn, tokenOut, amountIn, slippage, maxPriceImpact, dexes, excludeDexes, type, wallet, quoteId, webhookUrl, limitPrice, expiresAt, timeInForceSeconds, deadline, slices, sliceAmount, intervalSeconds, durationSeconds, jitterSeconds, maxRetries, amountPerRun, runs, endsAt, minPrice, maxPrice",
    }
    assert not [w for w in PARSER_WORDING if w in json.dumps(error)]


def test_a_missing_field_says_what_it_should_hold(cloud):
    error = assert_error(post(cloud.fn("ApiFunction"), {"tokenIn": "SOL", "tokenOut": "USDC"}), 400, "INVALID_REQUEST")
    (problem,) = error["details"]
    assert problem["field"] == "amountIn"
    assert problem["message"].startswith("is required (")


def test_a_rule_about_the_whole_order_has_no_field_prefix(cloud):
    error = assert_error(post(cloud.fn("ApiFunction"), {"tokenIn": "SOL", "tokenOut": "SOL", "amountIn": "1"}), 400, "INVALID_REQUEST")
    assert error["message"] == "invalid request: tokenIn and tokenOut must differ"


def test_control_characters_sent_are_never_echoed_raw(cloud):
    error = assert_error(post(cloud.fn("ApiFunction"), {"tokenIn": "SO\u001b[2J\u0000L\u202e", "tokenOut": "USDC", "amountIn": "1"}), 400, "INVALID_REQUEST")
    text = error["message"] + json.dumps(error["details"], ensure_ascii=False)
    assert not [c for c in text if ord(c) < 0x20 or c in "\x7f\u202e"]
    assert "SO\\u001b[2J\\u0000L\\u202e" in error["message"]


def test_a_too_long_idempotency_key_is_a_400(cloud):
    error = assert_error(post(cloud.fn("ApiFunction"), ORDER, {"idempotency-key": "k" * 129}), 400, "INVALID_REQUEST")
    assert error["details"] == [{"field": "Idempotency-Key", "message": "must be at most 128 characters"}]


def test_bad_query_parameters_name_the_parameter_in_plain_words(cloud):
    ev = event("api_list_orders.json")
    ev["queryStringParameters"] = {"wallet": WALLET, "limit": "x"}
    error = assert_error(cloud.fn("ApiFunction")(ev), 400, "INVALID_REQUEST")
    assert error["details"] == [{"field": "limit", "message": "must be a whole number"}]
    ev["queryStringParameters"] = {"wallet": WALLET, "limit": "500"}
    error = assert_error(cloud.fn("ApiFunction")(ev), 400, "INVALID_REQUEST")
    assert error["details"] == [{"field": "limit", "message": "must be at most 100"}]


def transient_errors():
    found = [errors.DexUnavailable, errors.RpcError, errors.TransientError]
    return found + ([errors.StoreBusy] if hasattr(errors, "StoreBusy") else [])


@pytest.mark.parametrize("error_class", transient_errors(), ids=lambda cls: cls.__name__)
def test_an_error_that_may_pass_is_a_503_with_retry_after(cloud, monkeypatch, error_class):
    api = cloud.fn("ApiFunction")

    class BusyQueries:
        def get(self, order_id, owner):
            raise error_class("orders table is busy; retry shortly")

    monkeypatch.setattr(services, "order_queries", lambda: BusyQueries())
    response = api(event("api_get_order.json"))
    assert_error(response, 503, error_class.code)
    assert int(response["headers"]["Retry-After"]) >= 1


def test_an_unexpected_error_is_a_500_with_the_json_body_and_no_internals(cloud, monkeypatch):
    api = cloud.fn("ApiFunction")

    class Broken:
        def get(self, order_id):
            raise KeyError("secret internal detail")

    monkeypatch.setattr(services, "order_queries", lambda: Broken())
    response = api(event("api_get_order.json"))
    error = assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response["body"]
    assert "Retry-After" not in response["headers"]
    assert error["details"] == {}


def test_an_internal_model_that_fails_validation_is_our_bug_a_500_not_a_400(cloud, monkeypatch):
    api = cloud.fn("ApiFunction")

    class Corrupt:
        def get(self, order_id):
            return Order.model_validate({"orderId": order_id})  # a stored order missing its fields

    monkeypatch.setattr(services, "order_queries", lambda: Corrupt())
    assert_error(api(event("api_get_order.json")), 500, "INTERNAL_ERROR")


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("amountIn", "1e-999999999", "decimal places"),  # would be a gigabyte written out in full
        ("amountIn", "1.0000000000000000000000000000000000001", "decimal places"),  # normalize() rounds this to 1
        ("slippage", "1e-999999", "decimal places"),
    ],
)
def test_amounts_with_absurd_precision_are_a_400_not_a_500(cloud, field, value, words):
    error = assert_error(post(cloud.fn("ApiFunction"), {**ORDER, field: value}), 400, "INVALID_REQUEST")
    assert words in error["message"] and error["details"][0]["field"] == field
    assert queued(cloud) == []


def test_a_cursor_that_decodes_to_deep_nesting_is_a_400(cloud):
    ev = event("api_list_orders.json")
    ev["queryStringParameters"]["cursor"] = base64.urlsafe_b64encode(b"[" * 1500).decode().rstrip("=")
    assert_error(cloud.fn("ApiFunction")(ev), 400, "INVALID_REQUEST")


def test_a_throttled_idempotency_store_is_a_503(cloud, monkeypatch):
    from aws_lambda_powertools.utilities.idempotency.persistence.dynamodb import DynamoDBPersistenceLayer
    from botocore.exceptions import ClientError

    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem")

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_put_record", throttled)
    response = cloud.fn("ApiFunction")(event("api_execute_order_idempotent.json"))
    assert_error(response, 503, "STORE_BUSY")
    assert response["headers"]["Retry-After"] == "1"
