"""SPL Token, Associated Token Account and Memo instructions built with solders alone (the
bytes of spl-token's instruction.rs), and a small chain setup for tests: mints, wallets and
their token accounts, created with real transactions on a validator."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction

from localcloud.services.solana.constants import ASSOCIATED_TOKEN_PROGRAM, MEMO_PROGRAM, MINT_SIZE, SYSTEM_PROGRAM, TOKEN_PROGRAM


def associated_token_address(owner: Pubkey, mint: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([bytes(owner), bytes(TOKEN_PROGRAM), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM)[0]


def initialize_mint2(mint: Pubkey, decimals: int, authority: Pubkey) -> Instruction:
    data = bytes([20, decimals]) + bytes(authority) + b"\0"  # no freeze authority
    return Instruction(TOKEN_PROGRAM, data, [AccountMeta(mint, False, True)])


def create_mint(payer: Pubkey, mint: Pubkey, decimals: int, authority: Pubkey, rent_lamports: int) -> list[Instruction]:
    space = CreateAccountParams(from_pubkey=payer, to_pubkey=mint, lamports=rent_lamports, space=MINT_SIZE, owner=TOKEN_PROGRAM)
    return [create_account(space), initialize_mint2(mint, decimals, authority)]


def create_ata_idempotent(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction:
    accounts = [
        AccountMeta(payer, True, True),
        AccountMeta(associated_token_address(owner, mint), False, True),
        AccountMeta(owner, False, False),
        AccountMeta(mint, False, False),
        AccountMeta(SYSTEM_PROGRAM, False, False),
        AccountMeta(TOKEN_PROGRAM, False, False),
    ]
    return Instruction(ASSOCIATED_TOKEN_PROGRAM, bytes([1]), accounts)


def mint_to(mint: Pubkey, destination: Pubkey, authority: Pubkey, amount: int) -> Instruction:
    accounts = [AccountMeta(mint, False, True), AccountMeta(destination, False, True), AccountMeta(authority, True, False)]
    return Instruction(TOKEN_PROGRAM, bytes([7]) + struct.pack("<Q", amount), accounts)


def transfer_checked(source: Pubkey, mint: Pubkey, destination: Pubkey, owner: Pubkey, amount: int, decimals: int) -> Instruction:
    accounts = [
        AccountMeta(source, False, True),
        AccountMeta(mint, False, False),
        AccountMeta(destination, False, True),
        AccountMeta(owner, True, False),
    ]
    return Instruction(TOKEN_PROGRAM, bytes([12]) + struct.pack("<Q", amount) + bytes([decimals]), accounts)


def memo(text: str) -> Instruction:
    return Instruction(MEMO_PROGRAM, text.encode(), [])


def signed(instructions: list[Instruction], payer: Keypair, blockhash: Hash, *others: Keypair) -> VersionedTransaction:
    return VersionedTransaction(Message.new_with_blockhash(instructions, payer.pubkey(), blockhash), [payer, *others])


@dataclass(frozen=True)
class Token:
    mint: Pubkey
    decimals: int


@dataclass(frozen=True)
class SwapSetup:
    """Two tokens and two wallets holding both: what a swap between a user and a venue needs."""

    authority: Keypair  # pays for the setup and is both mints' authority
    base: Token  # e.g. SOL-like, 9 decimals
    quote: Token  # e.g. USDC-like, 6 decimals
    user: Keypair
    venue: Keypair

    def ata(self, owner: Keypair, token: Token) -> Pubkey:
        return associated_token_address(owner.pubkey(), token.mint)

    def swap(self, blockhash: Hash, pay: int, receive: int, text: str = "order 1") -> VersionedTransaction:
        """The user pays `pay` of the quote token and receives `receive` of the base token, in one
        two-signer transaction (the user pays the fee), with a memo."""
        user, venue = self.user.pubkey(), self.venue.pubkey()
        instructions = [
            transfer_checked(self.ata(self.user, self.quote), self.quote.mint, self.ata(self.venue, self.quote), user, pay, self.quote.decimals),
            transfer_checked(self.ata(self.venue, self.base), self.base.mint, self.ata(self.user, self.base), venue, receive, self.base.decimals),
            memo(text),
        ]
        return signed(instructions, self.user, blockhash, self.venue)
