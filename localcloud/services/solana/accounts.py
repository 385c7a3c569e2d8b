"""An account as the RPC answers it (getAccountInfo, getTokenAccountsByOwner): its data in the
requested encoding, `jsonParsed` for SPL Token accounts and mints (any other account falls back
to base64, as Agave does when it has no parser for the owner)."""

from __future__ import annotations

import base64
from typing import Callable

from solders.account import Account
from solders.pubkey import Pubkey

from localcloud.services.solana.base58 import b58encode
from localcloud.services.solana.constants import TOKEN_2022_PROGRAM, TOKEN_PROGRAMS
from localcloud.services.solana.errors import RpcError, INVALID_REQUEST, invalid_params
from localcloud.services.solana.token_state import Mint, TokenAccount, parse_mint, parse_token_account, ui_token_amount

ENCODINGS = ("base58", "base64", "base64+zstd", "jsonParsed", "binary")
# Agave refuses base-58 for more than this many bytes (it is slow): "please use Base64 encoding".
MAX_BASE58_BYTES = 128


def encode_account(account: Account, encoding: str, mint_of: Callable[[Pubkey], Mint | None], data_slice: dict | None = None) -> dict:
    data = bytes(account.data)
    return {
        "data": _encode_data(account.owner, data, encoding, mint_of, data_slice),
        "executable": account.executable,
        "lamports": account.lamports,
        "owner": str(account.owner),
        "rentEpoch": account.rent_epoch,
        "space": len(data),
    }


def _encode_data(owner: Pubkey, data: bytes, encoding: str, mint_of: Callable[[Pubkey], Mint | None], data_slice: dict | None) -> object:
    if encoding == "jsonParsed" and owner in TOKEN_PROGRAMS:
        parsed = _parsed_token_data(owner, data, mint_of)
        if parsed is not None:
            return parsed
    if data_slice:
        offset, length = data_slice.get("offset", 0), data_slice.get("length", len(data))
        data = data[offset : offset + length]
    if encoding in ("base64", "jsonParsed"):
        return [base64.b64encode(data).decode(), "base64"]
    if encoding == "base64+zstd":
        raise invalid_params("encoding base64+zstd is not served by the local validator: use base64")
    if len(data) > MAX_BASE58_BYTES:
        raise RpcError(INVALID_REQUEST, f"Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, please use Base64 encoding.")
    # "binary" is the legacy default: a bare base-58 string rather than [data, encoding].
    return b58encode(data) if encoding == "binary" else [b58encode(data), "base58"]


def _parsed_token_data(owner: Pubkey, data: bytes, mint_of: Callable[[Pubkey], Mint | None]) -> dict | None:
    program = "spl-token-2022" if owner == TOKEN_2022_PROGRAM else "spl-token"
    account = parse_token_account(data)
    if account is not None:
        mint = mint_of(account.mint)
        if mint is None:  # Agave needs the mint's decimals to parse: without it, base64
            return None
        return {"parsed": {"info": token_account_info(account, mint.decimals), "type": "account"}, "program": program, "space": len(data)}
    mint = parse_mint(data)
    if mint is not None:
        return {"parsed": {"info": _mint_info(mint), "type": "mint"}, "program": program, "space": len(data)}
    return None


def token_account_info(account: TokenAccount, decimals: int) -> dict:
    info: dict = {
        "isNative": account.is_native is not None,
        "mint": str(account.mint),
        "owner": str(account.owner),
        "state": account.state,
        "tokenAmount": ui_token_amount(account.amount, decimals),
    }
    if account.delegate is not None:
        info["delegate"] = str(account.delegate)
        info["delegatedAmount"] = ui_token_amount(account.delegated_amount, decimals)
    if account.is_native is not None:
        info["rentExemptReserve"] = ui_token_amount(account.is_native, decimals)
    if account.close_authority is not None:
        info["closeAuthority"] = str(account.close_authority)
    return info


def _mint_info(mint: Mint) -> dict:
    return {
        "decimals": mint.decimals,
        "freezeAuthority": str(mint.freeze_authority) if mint.freeze_authority else None,
        "isInitialized": mint.is_initialized,
        "mintAuthority": str(mint.mint_authority) if mint.mint_authority else None,
        "supply": str(mint.supply),
    }
