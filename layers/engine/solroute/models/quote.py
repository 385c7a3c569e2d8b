"""A quote's id: the quote's terms, carried by the id itself.

``GET /api/quote`` answers with a ``quoteId``; an order sent with it is bound to the quote's
``minAmountOut`` until ``expiresAt``. The id holds those terms (pair, amount, minimum, expiry)
and a checksum, so binding an order to a quote costs no storage and no read: an API function
that never saw the quote can check it. The checksum catches a mangled id; it is not a secret,
and it need not be one: the only party a forged id could harm is the client who sends it
(its minimum protects that client's own order, and the engine re-quotes before it sends).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from solroute.models.amounts import plain

PREFIX = "q1"
MAX_EXPIRES_AT_MS = 10**14  # about the year 5138: later than any quote we issue, within an int the store keeps
_DOMAIN = b"solroute quote v1|"


@dataclass(frozen=True)
class QuoteTerms:
    token_in: str
    token_out: str
    amount_in: Decimal
    min_amount_out: Decimal
    expires_at_ms: int
    nonce: str

    def encode(self) -> str:
        payload = "|".join([self.token_in, self.token_out, plain(self.amount_in), plain(self.min_amount_out), str(self.expires_at_ms), self.nonce])
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{PREFIX}.{body}.{_checksum(payload)}"

    @classmethod
    def decode(cls, text: str) -> "QuoteTerms":
        """The terms of a quote id; ValueError if it is not one of ours, or was altered."""
        parts = text.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise ValueError("is not a quoteId from GET /api/quote")
        try:
            payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
            token_in, token_out, amount_in, min_out, expires, nonce = payload.split("|")
            terms = cls(token_in, token_out, Decimal(amount_in), Decimal(min_out), int(expires), nonce)
        except (binascii.Error, UnicodeDecodeError, ValueError, InvalidOperation):
            raise ValueError("is not a quoteId from GET /api/quote") from None
        if _checksum(payload) != parts[2]:
            raise ValueError("has been altered (its checksum does not match); use the quoteId exactly as GET /api/quote sent it")
        # The checksum is not a secret: the terms must still be terms we could have issued.
        sane = (
            terms.amount_in.is_finite() and terms.min_amount_out.is_finite() and terms.amount_in > 0
            and terms.min_amount_out > 0 and 0 < terms.expires_at_ms < MAX_EXPIRES_AT_MS
        )  # fmt: skip
        if not sane:
            raise ValueError("is not a quoteId from GET /api/quote")
        return terms


def _checksum(payload: str) -> str:
    return hashlib.sha256(_DOMAIN + payload.encode()).hexdigest()[:16]
