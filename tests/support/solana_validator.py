"""The local validator (localcloud/services/solana) for tests: in process with a clock the test
moves (`chain`), or served over HTTP on a free 127.0.0.1 port (`solana_rpc`), and the setup of a
swap on it made with real transactions (`swap_setup`). A conftest imports the fixtures it uses."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from solders.hash import Hash
from solders.keypair import Keypair

from localcloud.services.solana import LocalValidator
from localcloud.services.solana.transport import app
from tests.support.background import serving
from tests.support.spl import SwapSetup, Token, create_ata_idempotent, create_mint, mint_to, signed

START_MS = 1_765_000_000_000.0  # 2025-12-06: blockTime looks like a date


class ManualClock:
    """An injectable `now_ms` that moves only when the test says so."""

    def __init__(self, start_ms: float = START_MS) -> None:
        self.ms = start_ms

    def __call__(self) -> float:
        return self.ms

    def advance(self, ms: float) -> None:
        self.ms += ms


@dataclass
class Chain:
    validator: LocalValidator
    clock: ManualClock
    url: str = ""  # set when served over HTTP

    def call(self, method: str, *params: Any) -> Any:
        return self.validator.dispatch(method, list(params))

    def blockhash(self) -> Hash:
        return Hash.from_string(self.call("getLatestBlockhash", {"commitment": "processed"})["value"]["blockhash"])

    def send(self, tx: Any, **config: Any) -> str:
        return self.call("sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64", **config})

    def status(self, signature: str) -> dict | None:
        return self.call("getSignatureStatuses", [signature])["value"][0]

    def settle(self) -> None:
        """Let time pass until everything landed so far is finalized."""
        self.clock.advance(self.validator.confirm_ms[1] + 40 * self.validator.clock.slot_ms)


def new_chain(confirm_ms: tuple[float, float] = (2000, 3000), seed: int = 7) -> Chain:
    clock = ManualClock()
    validator = LocalValidator(now_ms=clock, confirm_min_ms=confirm_ms[0], confirm_max_ms=confirm_ms[1], rng=random.Random(seed))
    return Chain(validator, clock)


def make_swap_setup(chain: Chain, user_base: int = 0, user_quote: int = 1_000_000_000, venue_base: int = 100 * 10**9) -> SwapSetup:
    """Two mints (9 and 6 decimals) and two wallets with their token accounts, funded, all by real
    transactions (CreateAccount + InitializeMint2, ATA CreateIdempotent, MintTo), then finalized."""
    authority, user, venue = Keypair(), Keypair(), Keypair()
    base_mint, quote_mint = Keypair(), Keypair()
    setup = SwapSetup(authority, Token(base_mint.pubkey(), 9), Token(quote_mint.pubkey(), 6), user, venue)
    for wallet in (authority, user, venue):
        chain.call("requestAirdrop", str(wallet.pubkey()), 10 * 10**9)
    rent = chain.call("getMinimumBalanceForRentExemption", 82)
    payer = authority.pubkey()
    mints = create_mint(payer, base_mint.pubkey(), 9, payer, rent) + create_mint(payer, quote_mint.pubkey(), 6, payer, rent)
    chain.send(signed(mints, authority, chain.blockhash(), base_mint, quote_mint))
    accounts = [create_ata_idempotent(payer, owner.pubkey(), token.mint) for owner in (user, venue) for token in (setup.base, setup.quote)]
    chain.send(signed(accounts, authority, chain.blockhash()))
    funding = [
        mint_to(token.mint, setup.ata(owner, token), payer, amount)
        for owner, token, amount in ((user, setup.base, user_base), (user, setup.quote, user_quote), (venue, setup.base, venue_base))
        if amount
    ]
    chain.send(signed(funding, authority, chain.blockhash()))
    chain.settle()
    return setup


@pytest.fixture
def chain() -> Chain:
    """The validator in process (no HTTP), on a clock the test moves."""
    return new_chain()


@pytest.fixture
def solana_rpc(chain: Chain) -> Iterator[Chain]:
    """The same validator served over HTTP on a free 127.0.0.1 port (chain.url)."""
    with serving(app(chain.validator)) as url:
        chain.url = url
        yield chain


@pytest.fixture
def swap_setup(chain: Chain) -> SwapSetup:
    return make_swap_setup(chain)
