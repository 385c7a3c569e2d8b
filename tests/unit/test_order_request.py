"""Validation of POST /api/orders/execute bodies: a table of good and bad inputs."""

from decimal import Decimal

import pytest
from pydantic import ValidationError
from solroute.models.errors import InvalidRequest
from solroute.models.requests import ExecuteOrderRequest

WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
JUP_MINT = "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"
UNKNOWN_MINT = "7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": Decimal("1.5")}, {"amountIn": Decimal("1.5"), "slippage": Decimal("0.01")}),
        ({"tokenIn": "sol", "tokenOut": "usdc", "amountIn": "2"}, {"tokenIn": "SOL", "tokenOut": "USDC"}),
        ({"tokenIn": "USDC", "tokenOut": JUP_MINT, "amountIn": "10.123456"}, {"tokenOut": "JUP"}),
        ({"tokenIn": "WIF", "tokenOut": "USDC", "amountIn": "5"}, {"tokenIn": "WIF"}),  # no pool: through SOL
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "maxPriceImpact": "0.2", "dexes": "Meteora, raydium"},
         {"maxPriceImpact": Decimal("0.2"), "dexes": ["meteora", "raydium"], "allowed_venues": ["meteora", "raydium"]}),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "excludeDexes": ["raydium"]}, {"allowed_venues": ["meteora"]}),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1"}, {"allowed_venues": None, "maxPriceImpact": None}),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": 3, "slippage": "0.5"}, {"slippage": Decimal("0.5")}),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "0.000000001"}, {"amountIn": Decimal("1E-9")}),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "market", "wallet": WALLET}, {"wallet": WALLET}),
        ({"tokenIn": "BONK", "tokenOut": "SOL", "amountIn": "1e6"}, {"amountIn": Decimal("1000000")}),
    ],
)
def test_valid_orders_are_accepted_and_normalised(body, expected):
    request = ExecuteOrderRequest(**body)
    for field, value in expected.items():
        assert getattr(request, field) == value


@pytest.mark.parametrize(
    "body, field, fragment",
    [
        ({"tokenIn": "SOL", "tokenOut": "SOL", "amountIn": "1"}, None, "must differ"),
        ({"tokenIn": "SOL", "tokenOut": JUP_MINT[:-6], "amountIn": "1"}, "tokenOut", None),
        ({"tokenIn": "DOGE", "tokenOut": "SOL", "amountIn": "1"}, "tokenIn", "unknown token"),
        ({"tokenIn": "0OIl" * 10, "tokenOut": "SOL", "amountIn": "1"}, "tokenIn", "unknown token"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "0"}, "amountIn", "greater than 0"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "-1"}, "amountIn", "greater than 0"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.0000000001"}, "amountIn", "decimal places"),
        ({"tokenIn": "USDC", "tokenOut": "SOL", "amountIn": "1.0000001"}, "amountIn", "decimal places"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1e13"}, "amountIn", "at most"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "NaN"}, "amountIn", "finite"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "Infinity"}, "amountIn", "finite"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "abc"}, "amountIn", None),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": ""}, "amountIn", "empty"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": 1.5}, "amountIn", "decimal"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": True}, "amountIn", "decimal"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "slippage": "0"}, "slippage", "0 < slippage"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "slippage": "0.51"}, "slippage", "0 < slippage"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "slippage": "-0.1"}, "slippage", None),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "stop"}, "type", "the types are market, limit, twap, recurring and sniper"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit"}, None, "needs limitPrice"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "limitPrice": "150"}, None, 'send type "limit"'),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": "0"}, "limitPrice", "0 < limitPrice"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": 150.5}, "limitPrice", "decimal"),
        ({"tokenIn": "USDC", "tokenOut": "BONK", "amountIn": "1000000000000", "type": "limit", "limitPrice": "1000000000000"}, None, "at most"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": "1", "deadline": "30"}, None, "not at a deadline"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": "1", "expiresAt": "2030-01-01T00:00:00Z",
          "timeInForceSeconds": 60}, None, "not both"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": "1", "expiresAt": "2030-01-01"}, "expiresAt", "time zone"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "type": "limit", "limitPrice": "1", "timeInForceSeconds": 0}, "timeInForceSeconds", None),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "deadline": "soon"}, "deadline", "ISO-8601"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "deadline": "-5"}, "deadline", "more than 0"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "deadline": 1.5}, "deadline", "ISO-8601 time or a number"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "wallet": "not-a-wallet"}, "wallet", "base58"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "price": "5"}, "price", "Extra inputs"),
        ({"tokenOut": "USDC", "amountIn": "1"}, "tokenIn", "required"),
        # an order that no route can trade is refused at submit, not failed later
        ({"tokenIn": UNKNOWN_MINT, "tokenOut": "SOL", "amountIn": "1"}, None, "no route trades"),
        ({"tokenIn": "WIF", "tokenOut": "JTO", "amountIn": "1"}, None, "no route trades WIF->JTO"),  # would need 3 hops
        ({"tokenIn": "WIF", "tokenOut": "SOL", "amountIn": "1", "dexes": ["raydium"]}, None, "no route trades WIF->SOL on raydium"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "dexes": ["meteora"], "excludeDexes": ["meteora"]}, None, "no venue"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "dexes": ["orca"]}, "dexes", "unknown venue 'orca'"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "excludeDexes": [3]}, "excludeDexes", "list of venue names"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "maxPriceImpact": "0"}, "maxPriceImpact", "0 < maxPriceImpact"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "maxPriceImpact": "1.5"}, "maxPriceImpact", "0 < maxPriceImpact"),
        ({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1", "maxPriceImpact": 0.1}, "maxPriceImpact", "decimal"),
    ],
)
def test_invalid_orders_are_rejected_with_the_field_named(body, field, fragment):
    with pytest.raises(ValidationError) as caught:
        ExecuteOrderRequest(**body)
    errors = caught.value.errors()
    if field is not None:
        assert field in [e["loc"][0] for e in errors if e["loc"]], errors
    if fragment is not None:
        assert any(fragment in e["msg"] for e in errors), errors


def test_a_deadline_or_an_expiry_is_resolved_against_the_time_of_submission():
    now = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    market = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", deadline="2.5")
    assert market.expires_at_ms(now) == now + 2500
    assert ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1").expires_at_ms(now) is None
    at = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", deadline="2026-01-01T00:01:00+00:00")
    assert at.expires_at_ms(now) == now + 60_000
    limit = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", type="limit", limitPrice="150")
    assert limit.expires_at_ms(now) == now + 24 * 3600 * 1000, "a limit order stays open a day unless it says"
    assert limit.model_copy(update={"timeInForceSeconds": 600}).expires_at_ms(now) == now + 600_000
    for late in ("2025-12-31T23:59:59Z", "2026-02-01T00:00:01Z"):  # passed; more than 30 days ahead
        with pytest.raises(InvalidRequest):
            ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", deadline=late).expires_at_ms(now)


@pytest.mark.parametrize(
    "fields",
    [
        {"amountIn": "1_000"},  # Decimal reads it as 1000: a trade 1,000 times the one meant
        {"amountIn": "１.５"}, {"amountIn": "٠.٠١"},  # other scripts' digits
        {"slippage": "0.0_1"}, {"maxPriceImpact": "0.0_5"}, {"deadline": "3_0"},
        {"type": "limit", "limitPrice": "1_000_000"},
        {"type": "limit", "limitPrice": "100", "timeInForceSeconds": True},  # read as 1 s
        {"type": "limit", "limitPrice": "100", "timeInForceSeconds": "６０"},
    ],
    ids=lambda f: repr(f),
)
def test_numbers_are_written_with_ascii_digits_and_a_point_or_refused(fields):
    """Acceptance trial: "1_000" was accepted and traded 1,000 SOL; full-width and Arabic-Indic
    digits, and true as a number of seconds, were accepted too."""
    with pytest.raises(ValidationError):
        ExecuteOrderRequest(**{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", **fields})


DECIMAL_FIELDS = [name for name, info in ExecuteOrderRequest.model_fields.items() if "Decimal" in str(info.annotation)]
assert len(DECIMAL_FIELDS) >= 5, DECIMAL_FIELDS  # amountIn, slippage, maxPriceImpact, limitPrice, deadline


@pytest.mark.parametrize("field", DECIMAL_FIELDS)
@pytest.mark.parametrize("value", [1.5, 0.25, True, "1_000", "１.５"])
def test_every_decimal_field_refuses_a_float_a_bool_and_odd_spellings(field, value):
    """One guard (models.requests.ExactDecimal, or the deadline's own) on every decimal a client
    sends: a field added without it would take 0.1 as 0.1000000000000000055511151231257827."""
    limit = {"type": "limit", "limitPrice": "100"} if field == "limitPrice" else {}
    with pytest.raises(ValidationError) as caught:
        ExecuteOrderRequest(**{"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", **limit, field: value})
    assert field in [e["loc"][0] for e in caught.value.errors() if e["loc"]]
