"""Launch a token on the chain at run time, and add liquidity to its pools (`solroute market
launch`, `solroute market add-liquidity`; the local cloud runs them: POST /_localcloud/market/...).

A launch creates the token's mint at the key ``mint:<SYMBOL>`` with the derived mint authority
(as solroute.dal.solana.bootstrap does for the static tokens), then fills the pool's vaults, owned
by the pool's own key (``pool:<dex>:<SYMBOL>-<QUOTE>``): ``liquidity`` of the quote token, and
twice the pool's token reserve (``liquidity / price``) of the new token, so a buy never finds
the vault short. Only then is the launch recorded (solroute.dal.dynamodb.launches): a function
that sees it finds its mint and vaults on the chain. Re-running a failed launch repairs it: what
exists on the chain is reused.
"""

from __future__ import annotations

import time
import uuid
from decimal import ROUND_CEILING, Decimal
from typing import Callable

from solders.system_program import CreateAccountParams, create_account

from solroute.dal.dynamodb.launches import DynamoLaunchStore
from solroute.dal.solana.rpc import SolanaRpc
from solroute.dal.solana.transactions import send, wait_confirmed
from solroute.dex.solana.keys import ChainKeys
from solroute.dex.solana.programs import MINT_SIZE, TOKEN_PROGRAM, associated_token_address, initialize_mint2, memo, mint_into, to_units
from solroute.models.launches import DEFAULT_DECIMALS, Launch, LaunchPool, LaunchRefused, check_launch, check_pool_request
from solroute.models.tokens import KNOWN_TOKENS

DEFAULT_PRICE = Decimal("0.1")  # quote units per token, when a launch names none
INVENTORY = 2  # the token's vault holds this many times the pool's token reserve


class Launcher:
    def __init__(self, store: DynamoLaunchStore, rpc: SolanaRpc, keys: ChainKeys, now_ms: Callable[[], int], sleep: Callable[[float], None] = time.sleep) -> None:
        self.store, self.rpc, self.keys, self.now_ms, self.sleep = store, rpc, keys, now_ms, sleep

    def launch(
        self, symbol: str, liquidity: Decimal, venue: str = "raydium", quote: str = "USDC", price: Decimal = DEFAULT_PRICE,
        decimals: int = DEFAULT_DECIMALS,
    ) -> Launch:  # fmt: skip
        """Create the token and its pool on ``venue``; LaunchRefused when the terms are wrong or the symbol is taken."""
        symbol = symbol.strip().upper()
        check_launch(symbol, venue, quote, liquidity, price, decimals)
        if symbol in self._launches():
            raise LaunchRefused(f"{symbol} is launched already: add liquidity to it (solroute market add-liquidity {symbol} ...)", conflict=True)
        mint = self.keys.mint(symbol)
        sent = []
        if self.rpc.call("getAccountInfo", str(mint.pubkey()), {"encoding": "base64", "commitment": "confirmed"})["value"] is None:
            payer = self.keys.fee_payer()
            rent = self.rpc.call("getMinimumBalanceForRentExemption", MINT_SIZE)
            sent.append(send(self.rpc, [
                create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent, space=MINT_SIZE, owner=TOKEN_PROGRAM)),
                initialize_mint2(mint.pubkey(), decimals, self.keys.mint_authority().pubkey()),
            ], payer, mint))  # fmt: skip
        draft = Launch(symbol, str(mint.pubkey()), decimals, quote, price, self.now_ms(), ())
        pool = self._fill(draft, venue, liquidity, liquidity, sent)
        launch = Launch(symbol, draft.mint, decimals, quote, price, draft.launched_at_ms, (pool,))
        if not self.store.add(launch):
            raise LaunchRefused(f"{symbol} was launched by someone else a moment ago", conflict=True)
        return launch

    def add_liquidity(self, symbol: str, liquidity: Decimal, venue: str | None = None) -> Launch:
        """Put ``liquidity`` more of the quote token (and the token's inventory to match) into the
        pool on ``venue`` (default: the token's first pool; a venue without one gets a new pool)."""
        symbol = symbol.strip().upper()
        launch = self._launches().get(symbol)
        if launch is None:
            raise LaunchRefused(f"{symbol} is not launched: launch it first (solroute market launch {symbol} --liquidity N)")
        venue = venue or launch.pools[0].dex
        check_pool_request(symbol, venue, liquidity)
        before = launch.pool(venue)
        pool = self._fill(launch, venue, liquidity, liquidity + (before.liquidity if before else Decimal(0)), [])
        if not self.store.set_pool(symbol, pool, before):
            raise LaunchRefused(f"the {venue} pool of {symbol} changed a moment ago: try again", conflict=True)
        return Launch(symbol, launch.mint, launch.decimals, launch.quote, launch.price, launch.launched_at_ms,
                      tuple(sorted((*(p for p in launch.pools if p.dex != venue), pool), key=lambda p: p.dex)))  # fmt: skip

    def _launches(self) -> dict[str, Launch]:
        launches = self.store.load()
        if launches is None:
            raise LaunchRefused("the launched tokens cannot be read right now (DynamoDB): try again")
        return launches

    def _fill(self, launch: Launch, venue: str, added: Decimal, total: Decimal, sent: list[str]) -> LaunchPool:
        """Mint ``added`` of the quote token and its token inventory into the pool's vaults; wait for all of ``sent``."""
        payer, authority = self.keys.fee_payer(), self.keys.mint_authority()
        owner = self.keys.pool(launch.pool_id(venue)).pubkey()
        quote = KNOWN_TOKENS[launch.quote]
        quote_mint, token_mint = self.keys.mint(launch.quote).pubkey(), self.keys.mint(launch.symbol).pubkey()
        inventory = (INVENTORY * added / launch.price).quantize(Decimal(1).scaleb(-launch.decimals), rounding=ROUND_CEILING)
        sent.append(send(self.rpc, [
            *mint_into(payer.pubkey(), owner, quote_mint, authority.pubkey(), to_units(added, quote.decimals)),
            *mint_into(payer.pubkey(), owner, token_mint, authority.pubkey(), to_units(inventory, launch.decimals)),
            memo(f"solroute liquidity {launch.pool_id(venue)} {uuid.uuid4()}"),  # two equal requests are two transactions
        ], payer, authority))  # fmt: skip
        wait_confirmed(self.rpc, sent, sleep=self.sleep)
        return LaunchPool(venue, total, str(associated_token_address(owner, quote_mint)))
