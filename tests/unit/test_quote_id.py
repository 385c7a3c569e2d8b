"""The quoteId carries the quote's terms and a checksum; an order must match them."""

from decimal import Decimal

import pytest
from pydantic import ValidationError
from solroute.models.quote import QuoteTerms
from solroute.models.requests import ExecuteOrderRequest

TERMS = QuoteTerms("SOL", "USDC", Decimal("1.5"), Decimal("221.1"), 1_800_000_000_000, "n1")


def test_a_quote_id_round_trips_its_terms():
    assert QuoteTerms.decode(TERMS.encode()) == TERMS


@pytest.mark.parametrize("mangle", [
    lambda q: q[:-1] + ("0" if q[-1] != "0" else "1"),  # the checksum
    lambda q: q.replace("q1.", "q2."),
    lambda q: "q1.%%%.abc",
    lambda q: "nonsense",
])  # fmt: skip
def test_a_mangled_quote_id_is_refused(mangle):
    with pytest.raises(ValueError):
        QuoteTerms.decode(mangle(TERMS.encode()))


def test_an_altered_minimum_is_refused():
    forged = QuoteTerms("SOL", "USDC", Decimal("1.5"), Decimal("1"), TERMS.expires_at_ms, "n1").encode()
    head, body, _ = forged.split(".")
    with pytest.raises(ValueError, match="altered"):
        QuoteTerms.decode(f"{head}.{body}.{TERMS.encode().split('.')[2]}")


def test_an_order_must_match_its_quote():
    good = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1.5", quoteId=TERMS.encode())
    assert good.quote_terms == TERMS
    with pytest.raises(ValidationError, match="quoteId is a quote for 1.5 SOL->USDC, not for this order"):
        ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="2", quoteId=TERMS.encode())


@pytest.mark.parametrize("amount_in, min_out, expires", [
    ("NaN", "1", 1), ("1", "Infinity", 1), ("sNaN", "1", 1), ("-1", "1", 1), ("1", "0", 1), ("1", "-5", 1),
    ("1", "1", 0), ("1", "1", 10**20),
])  # fmt: skip
def test_terms_we_could_not_have_issued_are_refused_even_with_a_good_checksum(amount_in, min_out, expires):
    """The checksum is public: anyone can make one. A NaN minimum got through once and became a 500."""
    forged = QuoteTerms("SOL", "USDC", Decimal(amount_in), Decimal(min_out), expires, "n").encode()
    with pytest.raises(ValueError, match="is not a quoteId"):
        QuoteTerms.decode(forged)
    with pytest.raises(ValidationError):
        ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", quoteId=forged)
