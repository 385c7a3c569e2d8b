"""Token amounts: exact Decimals, written as plain decimal strings ("0.0000001", never "1E-7")."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Annotated

from pydantic import PlainSerializer


def plain(amount: Decimal) -> str:
    """The amount as a plain decimal string: no exponent, however small or large."""
    text = format(amount, "f")
    return "0" if text in ("-0", "") else text


def decimal_places(amount: Decimal) -> int:
    """Digits after the point that matter, counted exactly (normalize() rounds to the context's
    28 digits, so 1.0000000000000000000000000000000000001 would count as 0 places)."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        return 0  # not finite: refused elsewhere
    return max(0, -(exponent + _trailing_zeros(digits)))


def _trailing_zeros(digits: tuple[int, ...]) -> int:
    count = 0
    for digit in reversed(digits[1:]):
        if digit:
            break
        count += 1
    return count


def quantize_down(amount: Decimal, decimals: int) -> Decimal:
    return amount.quantize(smallest_unit(decimals), rounding=ROUND_DOWN)


def smallest_unit(decimals: int) -> Decimal:
    """One base unit of a token with ``decimals`` decimal places (1 lamport for SOL's 9)."""
    return Decimal(1).scaleb(-decimals)


# A Decimal that JSON (the API, WebSocket messages, the stored document) shows as a plain string.
Amount = Annotated[Decimal, PlainSerializer(plain, return_type=str, when_used="json")]
