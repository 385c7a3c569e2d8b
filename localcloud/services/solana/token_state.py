"""The SPL Token program's accounts and mints, read from their bytes (spl-token's state.rs), and
token amounts as the RPC writes them (uiTokenAmount).

Token-2022's accounts share the same first 165 bytes; an extended one says what it is in the
byte after them (AccountType: 1 a mint, 2 an account)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal

from solders.pubkey import Pubkey

from localcloud.services.solana.constants import MINT_SIZE, TOKEN_ACCOUNT_SIZE

_ACCOUNT_TYPE_MINT, _ACCOUNT_TYPE_ACCOUNT = 1, 2
_STATES = {1: "initialized", 2: "frozen"}  # 0 is uninitialized: not yet a token account


@dataclass(frozen=True)
class TokenAccount:
    mint: Pubkey
    owner: Pubkey
    amount: int
    delegate: Pubkey | None
    state: str
    is_native: int | None  # the rent-exempt reserve of a wrapped-SOL account, else None
    delegated_amount: int
    close_authority: Pubkey | None


@dataclass(frozen=True)
class Mint:
    mint_authority: Pubkey | None
    supply: int
    decimals: int
    is_initialized: bool
    freeze_authority: Pubkey | None


def _extended_as(data: bytes, account_type: int) -> bool:
    return len(data) > TOKEN_ACCOUNT_SIZE and data[TOKEN_ACCOUNT_SIZE] == account_type


def _option_key(data: bytes, at: int) -> Pubkey | None:
    tag = struct.unpack_from("<I", data, at)[0]
    return Pubkey.from_bytes(data[at + 4 : at + 36]) if tag == 1 else None


def parse_token_account(data: bytes) -> TokenAccount | None:
    """The token account in ``data``, or None if it is no initialized token account."""
    if len(data) != TOKEN_ACCOUNT_SIZE and not _extended_as(data, _ACCOUNT_TYPE_ACCOUNT):
        return None
    state = _STATES.get(data[108])
    if state is None:
        return None
    native_tag, native = struct.unpack_from("<IQ", data, 109)
    return TokenAccount(
        mint=Pubkey.from_bytes(data[0:32]),
        owner=Pubkey.from_bytes(data[32:64]),
        amount=struct.unpack_from("<Q", data, 64)[0],
        delegate=_option_key(data, 72),
        state=state,
        is_native=native if native_tag == 1 else None,
        delegated_amount=struct.unpack_from("<Q", data, 121)[0],
        close_authority=_option_key(data, 129),
    )


def parse_mint(data: bytes) -> Mint | None:
    """The initialized mint in ``data``, or None."""
    if len(data) != MINT_SIZE and not _extended_as(data, _ACCOUNT_TYPE_MINT):
        return None
    supply, decimals, initialized = struct.unpack_from("<QB?", data, 36)
    if not initialized:
        return None
    return Mint(_option_key(data, 0), supply, decimals, initialized, _option_key(data, 46))


def ui_token_amount(amount: int, decimals: int) -> dict:
    """{amount, decimals, uiAmount, uiAmountString} as Agave writes it: the string exact, with
    trailing zeros trimmed; uiAmount a JSON number (a float, as Solana's f64: display only)."""
    value = Decimal(amount).scaleb(-decimals)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return {"amount": str(amount), "decimals": decimals, "uiAmount": float(value), "uiAmountString": text}
