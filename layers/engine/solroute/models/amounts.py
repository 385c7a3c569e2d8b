"""Token amounts: exact Decimals, written as plain decimal strings ("0.0000001", never "1E-7")."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Annotated

from pydantic import PlainSerializer


def plain(amount: Decimal) -> str:
    """The amount as a plain decimal string: no exponent, however small or large."""
    text = format(amount, "f")
    return "0" if text in ("-0", "") else text


def quantize_down(amount: Decimal, decimals: int) -> Decimal:
    return amount.quantize(smallest_unit(decimals), rounding=ROUND_DOWN)


def smallest_unit(decimals: int) -> Decimal:
    """One base unit of a token with ``decimals`` decimal places (1 lamport for SOL's 9)."""
    return Decimal(1).scaleb(-decimals)


# A Decimal that JSON (the API, WebSocket messages, the stored document) shows as a plain string.
Amount = Annotated[Decimal, PlainSerializer(plain, return_type=str, when_used="json")]
