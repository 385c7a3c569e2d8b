"""The instructions the engine uses, as the programs define their bytes.

SPL Token (TransferChecked 12, MintTo 7, InitializeMint2 20), the Associated Token Account
program (CreateIdempotent 1), Memo, and the System program (through solders). Built by hand:
each is a tag and a few little-endian integers, and ``spl.token`` would cost ~120 ms to import.
"""

from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")

MINT_SIZE = 82  # bytes of an SPL mint account
TOKEN_ACCOUNT_SIZE = 165  # bytes of an SPL token account

# The token program's error codes the engine explains in words (spl-token's TokenError).
TOKEN_ERRORS = {
    0: "the account does not hold enough lamports for rent",
    1: "insufficient funds",
    2: "invalid mint",
    3: "the account's mint does not match",
    4: "the owner does not match",
    17: "the account is frozen",
    18: "the mint's decimals do not match",
}


def associated_token_address(owner: Pubkey, mint: Pubkey) -> Pubkey:
    """The owner's token account for the mint (the ATA program's derived address)."""
    return Pubkey.find_program_address([bytes(owner), bytes(TOKEN_PROGRAM), bytes(mint)], ATA_PROGRAM)[0]


def transfer_checked(source: Pubkey, mint: Pubkey, destination: Pubkey, owner: Pubkey, amount: int, decimals: int) -> Instruction:
    data = bytes([12]) + struct.pack("<Q", amount) + bytes([decimals])
    accounts = [
        AccountMeta(source, is_signer=False, is_writable=True),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(destination, is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=True, is_writable=False),
    ]
    return Instruction(TOKEN_PROGRAM, data, accounts)


def mint_to(mint: Pubkey, destination: Pubkey, authority: Pubkey, amount: int) -> Instruction:
    data = bytes([7]) + struct.pack("<Q", amount)
    accounts = [
        AccountMeta(mint, is_signer=False, is_writable=True),
        AccountMeta(destination, is_signer=False, is_writable=True),
        AccountMeta(authority, is_signer=True, is_writable=False),
    ]
    return Instruction(TOKEN_PROGRAM, data, accounts)


def initialize_mint2(mint: Pubkey, decimals: int, authority: Pubkey) -> Instruction:
    """Initialise a created mint account; no freeze authority."""
    data = bytes([20, decimals]) + bytes(authority) + bytes([0])
    return Instruction(TOKEN_PROGRAM, data, [AccountMeta(mint, is_signer=False, is_writable=True)])


def create_associated_token_account(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction:
    """Create the owner's token account for the mint unless it exists (CreateIdempotent)."""
    accounts = [
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(associated_token_address(owner, mint), is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=False, is_writable=False),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(SYSTEM_PROGRAM, is_signer=False, is_writable=False),
        AccountMeta(TOKEN_PROGRAM, is_signer=False, is_writable=False),
    ]
    return Instruction(ATA_PROGRAM, bytes([1]), accounts)


def mint_into(payer: Pubkey, owner: Pubkey, mint: Pubkey, authority: Pubkey, amount: int) -> list[Instruction]:
    """``amount`` base units of ``mint`` into ``owner``'s token account, created first if missing
    (a venue's vault at bootstrap, a wallet from the faucet)."""
    return [create_associated_token_account(payer, owner, mint), mint_to(mint, associated_token_address(owner, mint), authority, amount)]


def memo(text: str) -> Instruction:
    """A memo with no signer: the explorers show it, the program checks it is UTF-8."""
    return Instruction(MEMO_PROGRAM, text.encode(), [])


def to_units(amount, decimals: int) -> int:
    """A Decimal amount in the token's base units (the amounts are quantized to its decimals)."""
    return int(amount.scaleb(decimals).to_integral_value())
