"""What an instruction does, in words, for the programs a swap uses: SPL Token (Transfer,
TransferChecked, MintTo, InitializeMint2, InitializeAccount3, CloseAccount), the Associated
Token Account program, Memo, System (Transfer, CreateAccount) and Compute Budget. Any other is
named by its program and the length of its data. The layouts are the programs' own
(spl-token's instruction.rs, the System program's bincode enum)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal

from solders.pubkey import Pubkey

from localcloud.services.solana import constants

SYSTEM, TOKEN, TOKEN_2022 = str(constants.SYSTEM_PROGRAM), str(constants.TOKEN_PROGRAM), str(constants.TOKEN_2022_PROGRAM)
ASSOCIATED_TOKEN, MEMO = str(constants.ASSOCIATED_TOKEN_PROGRAM), str(constants.MEMO_PROGRAM)
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"
PROGRAM_NAMES = {SYSTEM: "System", TOKEN: "SPL Token", TOKEN_2022: "Token-2022", ASSOCIATED_TOKEN: "Associated Token", MEMO: "Memo", COMPUTE_BUDGET: "Compute Budget"}


def short(address: str) -> str:
    return f"{address[:4]}…{address[-4:]}" if len(address) > 12 else address


def amount_text(raw: int, decimals: int | None, *, signed: bool = False) -> str:
    """A token amount in its units when its decimals are known (exact: no float), else the raw
    integer; ``signed`` writes + before a gain."""
    if decimals is None:
        return f"{raw:+d} (raw)" if signed else f"{raw} (raw)"
    text = f"{Decimal(raw).scaleb(-decimals):{'+' if signed and raw else ''}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Decoded:
    program: str  # the program's name, or its address when unknown
    action: str  # e.g. "TransferChecked"
    detail: str  # one line: amounts, accounts, the memo's text


def decode(program_id: str, accounts: list[str], data: bytes, decimals_of: dict[str, int]) -> Decoded:
    """``decimals_of`` maps a mint or a token account to its decimals (from the transaction's
    token balances), so an amount reads in its units."""
    name = PROGRAM_NAMES.get(program_id, program_id)
    try:
        if program_id in (TOKEN, TOKEN_2022):
            return Decoded(name, *_token(accounts, data, decimals_of))
        if program_id == ASSOCIATED_TOKEN:
            action = "CreateIdempotent" if data[:1] == b"\x01" else "Create" if data[:1] in (b"", b"\x00") else f"instruction {data[0]}"
            return Decoded(name, action, f"account {short(accounts[1])} of mint {short(accounts[3])} for {short(accounts[2])}, paid by {short(accounts[0])}")
        if program_id == MEMO:
            return Decoded(name, "Memo", repr(data.decode("utf-8", errors="replace")))
        if program_id == SYSTEM:
            return Decoded(name, *_system(accounts, data))
        if program_id == COMPUTE_BUDGET:
            return Decoded(name, *_compute_budget(data))
    except (IndexError, struct.error):
        return Decoded(name, "unreadable", f"{len(data)} bytes of data")
    return Decoded(name, "instruction", f"{len(data)} bytes of data, {len(accounts)} accounts")


def _token(accounts: list[str], data: bytes, decimals_of: dict[str, int]) -> tuple[str, str]:
    tag = data[0]
    if tag == 12:  # TransferChecked: source, mint, destination, owner
        amount, decimals = struct.unpack_from("<QB", data, 1)
        return "TransferChecked", f"{amount_text(amount, decimals)} of mint {short(accounts[1])} from {short(accounts[0])} to {short(accounts[2])}, owner {short(accounts[3])}"
    if tag == 3:  # Transfer: source, destination, owner
        amount = struct.unpack_from("<Q", data, 1)[0]
        decimals = decimals_of.get(accounts[0], decimals_of.get(accounts[1]))
        return "Transfer", f"{amount_text(amount, decimals)} from {short(accounts[0])} to {short(accounts[1])}, owner {short(accounts[2])}"
    if tag == 7:  # MintTo: mint, destination, authority
        amount = struct.unpack_from("<Q", data, 1)[0]
        return "MintTo", f"{amount_text(amount, decimals_of.get(accounts[0]))} of mint {short(accounts[0])} to {short(accounts[1])}"
    if tag == 20:  # InitializeMint2: decimals, mint authority, optional freeze authority
        authority = str(Pubkey.from_bytes(data[2:34]))
        return "InitializeMint2", f"mint {short(accounts[0])}, {data[1]} decimals, authority {short(authority)}"
    if tag == 18:  # InitializeAccount3: account, mint; the owner in the data
        return "InitializeAccount3", f"account {short(accounts[0])} of mint {short(accounts[1])} for {short(str(Pubkey.from_bytes(data[1:33])))}"
    if tag == 9:
        return "CloseAccount", f"account {short(accounts[0])}, rent to {short(accounts[1])}"
    return f"instruction {tag}", f"{len(data)} bytes of data"


def _system(accounts: list[str], data: bytes) -> tuple[str, str]:
    tag = struct.unpack_from("<I", data)[0]
    if tag == 2:
        lamports = struct.unpack_from("<Q", data, 4)[0]
        return "Transfer", f"{sol_text(lamports)} from {short(accounts[0])} to {short(accounts[1])}"
    if tag == 0:
        lamports, space = struct.unpack_from("<QQ", data, 4)
        owner = str(Pubkey.from_bytes(data[20:52]))
        return "CreateAccount", f"{short(accounts[1])}: {space} bytes, {sol_text(lamports)}, owner {PROGRAM_NAMES.get(owner, short(owner))}, paid by {short(accounts[0])}"
    return f"instruction {tag}", f"{len(data)} bytes of data"


def _compute_budget(data: bytes) -> tuple[str, str]:
    if data[0] == 2:
        return "SetComputeUnitLimit", f"{struct.unpack_from('<I', data, 1)[0]} units"
    if data[0] == 3:
        return "SetComputeUnitPrice", f"{struct.unpack_from('<Q', data, 1)[0]} micro-lamports per unit"
    return f"instruction {data[0]}", f"{len(data)} bytes of data"


def sol_text(lamports: int) -> str:
    return f"{amount_text(lamports, 9)} SOL"
