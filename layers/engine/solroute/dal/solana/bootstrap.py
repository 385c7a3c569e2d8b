"""Put the engine's tokens and venues on a Solana cluster: `solroute chain bootstrap`, and the
local cloud at start-up.

From the chain's root secret (solroute.dex.solana.keys): each known token's mint (at the key
``mint:<SYMBOL>``, with its decimals, the mint authority derived too), each venue's vaults (its
associated token accounts) filled with inventory, and the fee payer funded. Idempotent: what
exists is left as it is, so running it again repairs a half-done bootstrap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer

from solroute.dal.solana.rpc import SolanaRpc
from solroute.dal.solana.transactions import send, send_and_confirm, wait_confirmed
from solroute.dex.solana.keys import ChainKeys
from solroute.dex.solana.programs import MINT_SIZE, TOKEN_PROGRAM, associated_token_address, initialize_mint2, mint_into, to_units
from solroute.models.tokens import KNOWN_TOKENS
from solroute.models.venues import VENUES

# Each vault starts with this much of its token, in US dollars at the token's reference price:
# deeper than any pool of the market model, so a venue's inventory never limits a route.
VAULT_USD = Decimal(100_000_000)
FEE_PAYER_LAMPORTS = 1_000 * 10**9  # 1,000 SOL of network fees and rent


@dataclass
class BootstrapReport:
    fee_payer: str = ""
    mint_authority: str = ""
    mints: dict[str, str] = field(default_factory=dict)
    vaults: dict[str, dict[str, str]] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # what this run created (empty: all there)
    pending: list[str] = field(default_factory=list)  # sent, not waited for (confirm=False)


def bootstrap(
    rpc: SolanaRpc, keys: ChainKeys, fund_fee_payer: Callable[[Pubkey, int], str], say: Callable[[str], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep, confirm: bool = True,
) -> BootstrapReport:
    """Create what is missing. ``fund_fee_payer(address, lamports)`` tops the fee payer up (an
    airdrop on a local or test cluster, a transfer from the operator's payer elsewhere). With
    ``confirm`` False the transactions are sent, not waited for (``pending``): the caller sends
    more and waits for all at once."""
    payer, authority = keys.fee_payer(), keys.mint_authority()
    report = BootstrapReport(fee_payer=str(payer.pubkey()), mint_authority=str(authority.pubkey()))
    # Sent one after another without waiting (each preflight sees the ones before it processed),
    # then confirmed together: one confirmation time, not one per account.
    sent: list[str] = []
    if rpc.call("getBalance", str(payer.pubkey()), {"commitment": "processed"})["value"] < FEE_PAYER_LAMPORTS // 10:
        sent.append(fund_fee_payer(payer.pubkey(), FEE_PAYER_LAMPORTS))
        report.created.append(f"fee payer {payer.pubkey()} funded")
        say(f"funded the fee payer {payer.pubkey()}")
    rent = rpc.call("getMinimumBalanceForRentExemption", MINT_SIZE)
    for symbol, token in KNOWN_TOKENS.items():
        mint = keys.mint(symbol)
        report.mints[symbol] = str(mint.pubkey())
        if _exists(rpc, mint.pubkey()):
            continue
        sent.append(send(rpc, [
            create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent, space=MINT_SIZE, owner=TOKEN_PROGRAM)),
            initialize_mint2(mint.pubkey(), token.decimals, authority.pubkey()),
        ], payer, mint))  # fmt: skip
        report.created.append(f"mint {symbol} {mint.pubkey()}")
        say(f"created the {symbol} mint {mint.pubkey()} ({token.decimals} decimals)")
    for venue in VENUES:
        owner = keys.venue(venue).pubkey()
        report.vaults[venue] = {}
        for symbol, token in KNOWN_TOKENS.items():
            if token.reference_price_usd is None:
                continue
            mint = keys.mint(symbol).pubkey()
            vault = associated_token_address(owner, mint)
            report.vaults[venue][symbol] = str(vault)
            if _exists(rpc, vault):
                continue
            amount = to_units((VAULT_USD / token.reference_price_usd).quantize(Decimal(1)), token.decimals)
            sent.append(send(rpc, mint_into(payer.pubkey(), owner, mint, authority.pubkey(), amount), payer, authority))
            report.created.append(f"vault {venue} {symbol} {vault}")
        say(f"{venue}'s vaults are at its key {owner}")
    if confirm:
        wait_confirmed(rpc, sent, sleep=sleep)
    else:
        report.pending = sent
    return report


def airdrop(rpc: SolanaRpc) -> Callable[[Pubkey, int], str]:
    """Fund by the cluster's faucet (the local validator; devnet and testnet rate-limit theirs)."""

    def fund(address: Pubkey, lamports: int) -> str:
        return rpc.call("requestAirdrop", str(address), lamports, {"commitment": "processed"})

    return fund


def transfer_from(rpc: SolanaRpc, payer: Keypair, sleep: Callable[[float], None] = time.sleep) -> Callable[[Pubkey, int], str]:
    """Fund by a transfer from the operator's own keypair (any cluster), confirmed before the
    mints are created (their preflight must see the fee payer's lamports)."""

    def fund(address: Pubkey, lamports: int) -> str:
        return send_and_confirm(rpc, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=address, lamports=lamports))], payer, sleep=sleep)

    return fund


def _exists(rpc: SolanaRpc, address: Pubkey) -> bool:
    return rpc.call("getAccountInfo", str(address), {"encoding": "base64", "commitment": "confirmed"})["value"] is not None
