"""A wallet per API key kept in memory: a test double of solroute.ports.Wallets, for the API's and
the clients' tests (the RPC chain's own adapter is tested against the local validator)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from solroute.models.errors import InvalidRequest
from solroute.models.tokens import KNOWN_TOKENS, b58encode


def address_of(label: str) -> str:
    return b58encode(hashlib.sha256(label.encode()).digest())


class InMemoryWallets:
    def __init__(self, chain: str = "local", faucet: bool = True) -> None:
        self.chain = chain
        self.faucet = faucet
        self.held: dict[str, dict[str, Decimal]] = {}
        self.funded: list[tuple[str, str, Decimal]] = []

    def address(self, key_id: str) -> str:
        return address_of(f"wallet:{key_id}")

    def mints(self) -> dict[str, str]:
        return {symbol: address_of(f"mint:{symbol}") for symbol in KNOWN_TOKENS}

    def balances(self, key_id: str) -> dict[str, Decimal]:
        held = self.held.get(key_id, {})
        return {symbol: held.get(symbol, Decimal(0)) for symbol in KNOWN_TOKENS}

    def fund(self, key_id: str, token: str, amount: Decimal) -> str:
        if not self.faucet:
            raise InvalidRequest(f"{self.chain} has no faucet: fund the wallet {self.address(key_id)} from another wallet")
        if token not in KNOWN_TOKENS:
            raise InvalidRequest(f"unknown token {token}")
        held = self.held.setdefault(key_id, {})
        held[token] = held.get(token, Decimal(0)) + amount
        self.funded.append((key_id, token, amount))
        return b58encode(hashlib.sha512(f"fund:{key_id}:{len(self.funded)}".encode()).digest())
