"""Every answer of the API function to a corpus of requests, bad ones mostly, held byte for byte
(status, the headers a client reads, the body) against answers/api.json. A refactor of how the
API reads and validates requests must keep them all; a change meant to alter one records the
file again and shows the difference in review:

    SOLROUTE_RECORD_ANSWERS=1 .venv/bin/pytest tests/integration/test_api_answers.py
"""

import base64
import json
import os
import re
from pathlib import Path

from tests.lambdas import event

ANSWERS = Path(__file__).parent / "answers" / "api.json"
WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
ORDER = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5"}
HEADERS_READ = ("Content-Type", "Retry-After", "WWW-Authenticate")
ORDER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _text(fields: dict) -> str:
    return json.dumps({**ORDER, **fields})


# POST /api/orders/execute: (name, body text or bytes (sent base64), content type, extra headers, authorized)
POSTS = [
    ("valid", _text({}), "application/json", {}, True),
    ("valid-number", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": 1.5, "slippage": 0.005}', "application/json", {}, True),
    ("valid-integer", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": 2}', "application/json", {}, True),
    ("valid-base64", _text({}).encode(), "application/json", {}, True),
    ("valid-media-case", _text({}), "Application/JSON; Charset=UTF-8", {}, True),
    ("no-content-type", _text({}), None, {}, True),
    ("text-plain", _text({}), "text/plain", {}, True),
    ("text-json", _text({}), "text/json", {}, True),
    ("form", "tokenIn=SOL&tokenOut=USDC&amountIn=1", "application/x-www-form-urlencoded", {}, True),
    ("multipart", "--x\r\n\r\n--x--", "multipart/form-data; boundary=x", {}, True),
    ("json-suffix", _text({}), "application/merge-patch+json", {}, True),
    ("empty", "", "application/json", {}, True),
    ("blank", "  \n ", "application/json", {}, True),
    ("not-json", '{"tokenIn": "SOL",\n  oops}', "application/json", {}, True),
    ("truncated", '{"tokenIn": "SOL"', "application/json", {}, True),
    ("trailing-comma", '{"tokenIn": "SOL",}', "application/json", {}, True),
    ("single-quotes", "{'tokenIn': 'SOL'}", "application/json", {}, True),
    ("deep", "[" * 100_000, "application/json", {}, True),
    ("deep-object", '{"a":' * 50000 + "1" + "}" * 50000, "application/json", {}, True),
    ("array", json.dumps([ORDER, ORDER]), "application/json", {}, True),
    ("null", "null", "application/json", {}, True),
    ("string", '"SOL"', "application/json", {}, True),
    ("number", "5", "application/json", {}, True),
    ("true", "true", "application/json", {}, True),
    ("nan", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": NaN}', "application/json", {}, True),
    ("infinity", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": Infinity}', "application/json", {}, True),
    ("minus-infinity", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": -Infinity}', "application/json", {}, True),
    ("huge-exponent", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": 1e999999999999999999999}', "application/json", {}, True),
    ("five-thousand-digits", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": ' + "7" * 5000 + "}", "application/json", {}, True),
    ("not-utf8", b'{"tokenIn": "SOL\xff\xfe", "tokenOut": "USDC", "amountIn": "1"}', "application/json", {}, True),
    ("bad-base64", "!!!not base64!!!", "application/json", {"__base64__": True}, True),
    ("duplicate-keys", '{"tokenIn": "SOL", "tokenIn": "BONK", "tokenOut": "USDC", "amountIn": "1"}', "application/json", {}, True),
    ("control-characters", _text({"tokenIn": "SO\u001b[2J\u0000L\u202e"}), "application/json", {}, True),
    ("long-message", _text({"tokenIn": "x" * 5000}), "application/json", {}, True),
    ("field-errors", json.dumps({"tokenIn": 5, "tokenOut": "", "amountIn": "lots", "slippage": [], "price": 3}), "application/json", {}, True),
    ("missing-amount", json.dumps({"tokenIn": "SOL", "tokenOut": "USDC"}), "application/json", {}, True),
    ("missing-all", "{}", "application/json", {}, True),
    ("same-token", _text({"tokenOut": "SOL"}), "application/json", {}, True),
    ("amount-zero", _text({"amountIn": "0"}), "application/json", {}, True),
    ("amount-negative-number", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": -1}', "application/json", {}, True),
    ("amount-too-big", _text({"amountIn": "1e13"}), "application/json", {}, True),
    ("amount-places", _text({"amountIn": "1.0000000001"}), "application/json", {}, True),
    ("amount-absurd-precision", _text({"amountIn": "1e-999999999"}), "application/json", {}, True),
    ("amount-underscore", _text({"amountIn": "1_000"}), "application/json", {}, True),
    ("amount-fullwidth", _text({"amountIn": "１.５"}), "application/json", {}, True),
    ("amount-bool", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": true}', "application/json", {}, True),
    ("amount-string-nan", _text({"amountIn": "NaN"}), "application/json", {}, True),
    ("amount-empty", _text({"amountIn": ""}), "application/json", {}, True),
    ("slippage-range", _text({"slippage": "0.51"}), "application/json", {}, True),
    ("slippage-places", _text({"slippage": "0.0000001"}), "application/json", {}, True),
    ("slippage-absurd", _text({"slippage": "1e-999999"}), "application/json", {}, True),
    ("impact-range", _text({"maxPriceImpact": "1.5"}), "application/json", {}, True),
    ("impact-number", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "maxPriceImpact": 0}', "application/json", {}, True),
    ("dexes-unknown", _text({"dexes": ["orca"]}), "application/json", {}, True),
    ("dexes-none-left", _text({"dexes": ["meteora"], "excludeDexes": ["meteora"]}), "application/json", {}, True),
    ("exclude-not-names", _text({"excludeDexes": [3]}), "application/json", {}, True),
    ("no-route", _text({"tokenIn": "WIF", "tokenOut": "JTO"}), "application/json", {}, True),
    ("unknown-token", _text({"tokenIn": "DOGE"}), "application/json", {}, True),
    ("type-unknown", _text({"type": "stop"}), "application/json", {}, True),
    ("limit-without-price", _text({"type": "limit"}), "application/json", {}, True),
    ("limit-price-on-market", _text({"limitPrice": "150"}), "application/json", {}, True),
    ("limit-price-zero", _text({"type": "limit", "limitPrice": "0"}), "application/json", {}, True),
    ("limit-price-places", _text({"type": "limit", "limitPrice": "1.1234567890123456789"}), "application/json", {}, True),
    ("limit-output", _text({"tokenIn": "USDC", "tokenOut": "BONK", "amountIn": "1000000000000", "type": "limit", "limitPrice": "1000000000000"}),
     "application/json", {}, True),
    ("limit-both-expiries", _text({"type": "limit", "limitPrice": "1", "expiresAt": "2030-01-01T00:00:00Z", "timeInForceSeconds": 60}),
     "application/json", {}, True),
    ("limit-expiry-no-zone", _text({"type": "limit", "limitPrice": "1", "expiresAt": "2030-01-01"}), "application/json", {}, True),
    ("limit-expiry-passed", _text({"type": "limit", "limitPrice": "1", "expiresAt": "2020-01-01T00:00:00Z"}), "application/json", {}, True),
    ("limit-seconds-zero", _text({"type": "limit", "limitPrice": "1", "timeInForceSeconds": 0}), "application/json", {}, True),
    ("limit-seconds-bool", '{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": "1", "timeInForceSeconds": true}',
     "application/json", {}, True),
    ("limit-seconds-fraction", _text({"type": "limit", "limitPrice": "1", "timeInForceSeconds": "1.5"}), "application/json", {}, True),
    ("limit-deadline", _text({"type": "limit", "limitPrice": "1", "deadline": "30"}), "application/json", {}, True),
    ("deadline-word", _text({"deadline": "soon"}), "application/json", {}, True),
    ("deadline-negative", _text({"deadline": "-5"}), "application/json", {}, True),
    ("deadline-too-far", _text({"deadline": "99999999"}), "application/json", {}, True),
    ("deadline-passed", _text({"deadline": "2020-01-01T00:00:00Z"}), "application/json", {}, True),
    ("wallet", _text({"wallet": "not-a-wallet"}), "application/json", {}, True),
    ("webhook-http", _text({"webhookUrl": "http://example.com/x"}), "application/json", {}, True),
    ("webhook-private", _text({"webhookUrl": "https://127.0.0.1/x"}), "application/json", {}, True),
    ("quote-id-garbage", _text({"quoteId": "garbage"}), "application/json", {}, True),
    ("quote-id-limit", _text({"type": "limit", "limitPrice": "1", "quoteId": "x"}), "application/json", {}, True),
    ("idempotency-key-129", _text({}), "application/json", {"idempotency-key": "k" * 129}, True),
    ("idempotency-key-and-bad-body", _text({"amountIn": "0"}), "application/json", {"idempotency-key": "k" * 129}, True),
    ("idempotency-key-valid", _text({}), "application/json", {"idempotency-key": "answers-1"}, True),
    ("idempotency-key-reused", _text({"amountIn": "2"}), "application/json", {"idempotency-key": "answers-1"}, True),
    ("no-caller", _text({}), "application/json", {}, False),
    ("no-caller-bad-body", "{oops", "application/json", {}, False),
    ("no-caller-bad-media", _text({}), "text/plain", {}, False),
    ("no-caller-bad-field", _text({"amountIn": "0"}), "application/json", {}, False),
]

# GET routes: (name, path, query, authorized)
GETS = [
    ("quote", "/api/quote", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5"}, True),
    ("quote-none", "/api/quote", {}, True),
    ("quote-unknown-parameter", "/api/quote", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "size": "2"}, True),
    ("quote-bad-amount", "/api/quote", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "lots"}, True),
    ("quote-zero", "/api/quote", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "0"}, True),
    ("quote-dexes", "/api/quote", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "dexes": "orca,raydium"}, True),
    ("quote-no-liquidity", "/api/quote", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1000000000"}, True),
    ("quote-no-caller", "/api/quote", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1"}, False),
    ("list", "/api/orders", {}, True),
    ("list-limit-word", "/api/orders", {"limit": "x"}, True),
    ("list-limit-big", "/api/orders", {"limit": "500"}, True),
    ("list-limit-zero", "/api/orders", {"limit": "0"}, True),
    ("list-wallet-short", "/api/orders", {"wallet": "short"}, True),
    ("list-wallet-empty", "/api/orders", {"wallet": ""}, True),
    ("list-cursor", "/api/orders", {"cursor": "garbage!"}, True),
    ("list-cursor-deep", "/api/orders", {"cursor": base64.urlsafe_b64encode(b"[" * 1500).decode().rstrip("=")}, True),
    ("list-no-caller", "/api/orders", {"limit": "x"}, False),
    ("get-unknown", "/api/orders/3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60", {}, True),
    ("get-not-uuid", "/api/orders/nope", {}, True),
    ("health", "/health", {}, False),
    ("openapi-no-caller", "/api/openapi.json", {}, False),
    ("no-route", "/api/nothing", {}, True),
]

# The wallet's routes: (name, sample event, body, authorized). The corpus's stack runs the ledger
# chain, which keeps no wallets (tests/integration/test_api_wallet.py has them on a chain).
WALLET_CALLS = [
    ("wallet", "api_get_wallet.json", None, True),
    ("wallet-no-caller", "api_get_wallet.json", None, False),
    ("fund", "api_fund_wallet.json", '{"token": "SOL", "amount": "10"}', True),
    ("fund-bad-body", "api_fund_wallet.json", "{oops", True),
    ("fund-no-caller", "api_fund_wallet.json", '{"token": "SOL", "amount": "10"}', False),
]


def _wallet_call(sample, text, authorized) -> dict:
    ev = event(sample)
    if text is not None:
        ev["body"] = text
    if not authorized:
        ev["requestContext"].pop("authorizer")
    return ev


def _post(name, text, content_type, headers, authorized) -> dict:
    ev = event("api_execute_order.json")
    ev["headers"] = {k: v for k, v in ev["headers"].items() if k != "content-type"}
    if content_type is not None:
        ev["headers"]["content-type"] = content_type
    ev["headers"].update({k: v for k, v in headers.items() if not k.startswith("__")})
    if isinstance(text, bytes):
        ev["body"], ev["isBase64Encoded"] = base64.b64encode(text).decode(), True
    else:
        ev["body"], ev["isBase64Encoded"] = text, bool(headers.get("__base64__"))
    if not authorized:
        ev["requestContext"].pop("authorizer")
    return ev


def _get(path, query, authorized) -> dict:
    ev = event("api_get_order.json")
    route = "/api/orders/{orderId}" if path.startswith("/api/orders/") else path
    ev["routeKey"] = ev["requestContext"]["routeKey"] = f"GET {route}"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["pathParameters"] = {"orderId": path.rpartition("/")[2]} if route != path else {}
    ev["queryStringParameters"] = query or None
    ev["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if not authorized:
        ev["requestContext"].pop("authorizer")
    return ev


def _answer(response: dict, name: str) -> dict:
    headers = {k: v for k, v in (response.get("headers") or {}).items() if k in HEADERS_READ}
    text = ORDER_ID.sub("<orderId>", response.get("body") or "")
    if response["statusCode"] == 200 and name.startswith("GET quote"):  # prices move with the clock
        text = json.dumps({k: v for k, v in json.loads(text).items() if k in ("tokenIn", "tokenOut", "amountIn")})
    if response["statusCode"] == 200 and name.startswith("GET list"):  # orders carry the times they were written
        page = json.loads(text)
        text = json.dumps({"orders": len(page["orders"]), "cursor": page["cursor"] is not None})
    return {"status": response["statusCode"], "headers": headers, "body": text}


def test_every_answer_is_the_recorded_one(cloud):
    cloud.template.override(KeyBacklogSeconds="3600")  # the corpus's valid orders never meet the key's backlog limit
    api = cloud.fn("ApiFunction")
    answers = {}
    for name, *request in POSTS:
        answers[f"POST {name}"] = _answer(api(_post(name, *request)), f"POST {name}")
    for name, *request in GETS:
        answers[f"GET {name}"] = _answer(api(_get(*request)), f"GET {name}")
    for name, *request in WALLET_CALLS:
        answers[f"WALLET {name}"] = _answer(api(_wallet_call(*request)), f"WALLET {name}")
    if os.environ.get("SOLROUTE_RECORD_ANSWERS"):
        ANSWERS.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
    recorded = json.loads(ANSWERS.read_text())
    assert {k: v for k, v in answers.items() if recorded.get(k) != v} == {}
    assert set(recorded) == set(answers)
