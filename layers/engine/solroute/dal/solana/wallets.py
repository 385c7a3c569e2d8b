"""Each API key's wallet on the RPC chain (solroute.ports.Wallets)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from solroute.dal.solana.chain import RpcChain
from solroute.dal.solana.transactions import send_and_confirm
from solroute.dex.solana.programs import memo, mint_into, to_units
from solroute.models.amounts import plain
from solroute.models.errors import InvalidRequest
from solroute.models.wallet import MAX_FUND_AMOUNT
from solroute.models.launches import tokens_with_launches
from solroute.models.tokens import KNOWN_TOKENS



class ChainWallets:
    def __init__(self, chain: RpcChain, faucet: bool, label: str) -> None:
        self._chain = chain
        self.faucet = faucet
        self.chain = label

    def address(self, key_id: str) -> str:
        return self._chain.wallet_address(key_id)

    def mints(self) -> dict[str, str]:
        return {symbol: str(mint.address) for symbol, mint in self._chain.mints().items()}

    def balances(self, key_id: str) -> dict[str, Decimal]:
        held = self._chain.balances(self.address(key_id))
        return {symbol: held.get(symbol, Decimal(0)) for symbol in tokens_with_launches()}

    def fund(self, key_id: str, token: str, amount: Decimal) -> str:
        if not self.faucet:
            raise InvalidRequest("this chain has no faucet: fund the wallet by sending it tokens", [{"field": "token", "message": "no faucet"}])
        symbol = token.strip().upper()
        if symbol not in KNOWN_TOKENS:
            raise InvalidRequest(f"unknown token '{token}': the faucet mints {', '.join(KNOWN_TOKENS)}", [{"field": "token", "message": "unknown token"}])
        decimals = KNOWN_TOKENS[symbol].decimals
        if amount <= 0 or amount > MAX_FUND_AMOUNT or amount != amount.quantize(Decimal(1).scaleb(-decimals)):
            raise InvalidRequest(
                f"amount must be above 0, at most {plain(MAX_FUND_AMOUNT)} and have at most {decimals} decimals for {symbol}",
                [{"field": "amount", "message": "out of range"}],
            )
        keys = self._chain.keys()
        owner, mint, payer, authority = keys.wallet(key_id).pubkey(), keys.mint(symbol).pubkey(), keys.fee_payer(), keys.mint_authority()
        instructions = [
            *mint_into(payer.pubkey(), owner, mint, authority.pubkey(), to_units(amount, decimals)),
            # Two equal requests within one slot would otherwise be the same transaction (same
            # blockhash, same signers, same bytes), and the second would be refused as already processed.
            memo(f"solroute faucet {uuid.uuid4()}"),
        ]
        return send_and_confirm(self._chain.rpc, instructions, payer, authority, timeout_s=30, sleep=self._chain.clock.sleep)
