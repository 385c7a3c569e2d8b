"""Accounts and balances: getAccountInfo, getBalance and the SPL Token reads.

Every read answers the latest state, whatever the commitment (LiteSVM keeps one state, not one
per bank); the context's slot is the commitment's."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from localcloud.services.solana.accounts import ENCODINGS, encode_account
from localcloud.services.solana.balances import read_mint
from localcloud.services.solana.constants import TOKEN_ACCOUNT_SIZE, TOKEN_PROGRAMS
from localcloud.services.solana.errors import invalid_param, invalid_params
from localcloud.services.solana.params import Params, choice, context, parse_pubkey
from localcloud.services.solana.token_state import parse_token_account, ui_token_amount

if TYPE_CHECKING:
    from localcloud.services.solana.validator import LocalValidator


def _encoding(config: dict) -> tuple[str, dict | None]:
    data_slice = config.get("dataSlice")
    if data_slice is not None and not isinstance(data_slice, dict):
        raise invalid_params(f"dataSlice must be an object {{offset, length}}, got {data_slice!r}")
    return choice(config, "encoding", ENCODINGS, "binary"), data_slice


def get_account_info(validator: LocalValidator, raw: Any) -> dict:
    params = Params(raw, 2)
    address, config = params.pubkey(0), params.config(1)
    encoding, data_slice = _encoding(config)
    answer = context(validator, config)
    account = validator.svm.get_account(address)
    mint_of = partial(read_mint, validator.svm)  # jsonParsed needs a token account's decimals
    return {"context": answer, "value": encode_account(account, encoding, mint_of, data_slice) if account else None}


def get_balance(validator: LocalValidator, raw: Any) -> dict:
    params = Params(raw, 2)
    address, config = params.pubkey(0), params.config(1)
    return {"context": context(validator, config), "value": validator.svm.get_balance(address) or 0}


def get_token_account_balance(validator: LocalValidator, raw: Any) -> dict:
    params = Params(raw, 2)
    address, config = params.pubkey(0, "the token account"), params.config(1)
    answer = context(validator, config)
    account = validator.svm.get_account(address)
    if account is None:
        raise invalid_param("could not find account")
    token = parse_token_account(bytes(account.data)) if account.owner in TOKEN_PROGRAMS else None
    mint = read_mint(validator.svm, token.mint) if token else None
    if token is None or mint is None:
        raise invalid_param("not a Token account")
    return {"context": answer, "value": ui_token_amount(token.amount, mint.decimals)}


def get_token_accounts_by_owner(validator: LocalValidator, raw: Any) -> dict:
    """The owner's token accounts of one mint ({"mint": ...}) or one token program ({"programId": ...})."""
    params = Params(raw, 3)
    owner = params.pubkey(0, "the owner")
    wanted = params.required(1, 'the filter ({"mint": ...} or {"programId": ...})')
    config = params.config(2)
    encoding, data_slice = _encoding(config)
    answer = context(validator, config)
    program, mint = _token_filter(validator, wanted)
    owner_bytes, mint_of = bytes(owner), partial(read_mint, validator.svm)
    found = []
    for address, account in validator.svm.get_program_accounts(program):
        data = bytes(account.data)
        if len(data) < TOKEN_ACCOUNT_SIZE or data[32:64] != owner_bytes or (mint is not None and data[0:32] != bytes(mint)):
            continue
        if parse_token_account(data) is None:
            continue
        found.append({"pubkey": str(address), "account": encode_account(account, encoding, mint_of, data_slice)})
    return {"context": answer, "value": found}


def _token_filter(validator: LocalValidator, wanted: Any):
    if not isinstance(wanted, dict) or len(wanted) != 1 or not ({"mint", "programId"} & set(wanted)):
        raise invalid_params(f'the filter must be {{"mint": <address>}} or {{"programId": <address>}}, got {wanted!r}')
    if "mint" in wanted:
        mint = parse_pubkey(wanted["mint"], "mint")
        account = validator.svm.get_account(mint)
        if account is None or account.owner not in TOKEN_PROGRAMS:
            raise invalid_param("could not find mint")
        return account.owner, mint
    program = parse_pubkey(wanted["programId"], "programId")
    if program not in TOKEN_PROGRAMS:
        raise invalid_param("unrecognized Token program id")
    return program, None


METHODS = {
    "getAccountInfo": get_account_info,
    "getBalance": get_balance,
    "getTokenAccountBalance": get_token_account_balance,
    "getTokenAccountsByOwner": get_token_accounts_by_owner,
}
