"""Known tokens and Solana mint address checks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}

# Decimals allowed for a mint we do not know (SPL tokens use at most 9 in practice).
UNKNOWN_MINT_DECIMALS = 9


@dataclass(frozen=True)
class Token:
    symbol: str
    mint: str
    decimals: int
    reference_price_usd: Decimal | None  # None: we hold no pool for it


KNOWN_TOKENS: dict[str, Token] = {
    t.symbol: t
    for t in (
        Token("SOL", "So11111111111111111111111111111111111111112", 9, Decimal("150")),
        Token("USDC", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", 6, Decimal("1")),
        Token("USDT", "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB", 6, Decimal("1")),
        Token("BONK", "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263", 5, Decimal("0.00002")),
        Token("JUP", "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN", 6, Decimal("0.8")),
        Token("WIF", "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm", 6, Decimal("2")),
        Token("JTO", "jtojtomepa8beP8AuQc6eXt5FriJwfFMwQx2v2f9mCL", 9, Decimal("3")),
        Token("PYTH", "HZ1JovNiVvGrGNiiYvEozEVgZ58xaU3RKwX8eACQBCt3", 6, Decimal("0.4")),
        Token("RAY", "4k3Dyjzvzp8eMZWUXbBCjEvwSkkk59S5iCNLY3QrkX6R", 6, Decimal("2.5")),
        Token("ORCA", "orcaEKTdK7LKz57vaAYr9QeNsVEPfiu6QeMU1kektZE", 6, Decimal("3")),
    )
}
_BY_MINT = {t.mint: t for t in KNOWN_TOKENS.values()}


def b58decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); raises ValueError on a character outside it."""
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError(f"'{char}' is not a base58 character")
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading_zeros + body


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58_ALPHABET[rem])
    leading_zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading_zeros + "".join(reversed(out))


def is_solana_address(text: str) -> bool:
    if not 32 <= len(text) <= 44:
        return False
    try:
        return len(b58decode(text)) == 32
    except ValueError:
        return False


def resolve_token(text: str) -> Token:
    """A known symbol (any case) or a base58 mint; raises ValueError with a clear message."""
    symbol = text.strip().upper()
    if symbol in KNOWN_TOKENS:
        return KNOWN_TOKENS[symbol]
    if text in _BY_MINT:
        return _BY_MINT[text]
    # Only a symbol (or mint) the static catalogue does not know asks the launches' registry.
    from solroute.models.launches import LAUNCHES  # here: the registry's module imports this one

    launch = LAUNCHES.get(symbol) or (LAUNCHES.by_mint(text) if is_solana_address(text) else None)
    if launch is not None:
        return launch.token
    if is_solana_address(text):
        return Token(text, text, UNKNOWN_MINT_DECIMALS, None)
    known = ", ".join(KNOWN_TOKENS)
    raise ValueError(f"unknown token '{text}': use one of {known} or a base58 Solana mint address")
