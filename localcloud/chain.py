"""The local chain's start-up: when the template runs on the RPC chain (`SolanaRpcUrl` set, which
the local cloud points at its own validator), seal a root secret with the stack's KMS key (moto's),
bootstrap the tokens and venues on the validator, and fund the demo key's wallet.

The same code as `solroute chain bootstrap` (solroute.dal.solana.bootstrap), on the local cluster:
its faucet (requestAirdrop) funds the fee payer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from localcloud.resources import Deployed
from localcloud.template import Template

CHAIN_KEY = "ChainKey"  # the template's AWS::KMS::Key sealing the root
KEYS_TABLE = "ApiKeysTable"
# What the demo key's wallet starts with: $1M of every token the venues trade (the local chain's
# tokens are worth nothing): room for the README's orders, a benchmark's hundreds, a chaos run.
DEMO_USD = Decimal(1_000_000)


def rpc_url(template: Template) -> str:
    return template.parameters.get("SolanaRpcUrl", "")


def prepare(template: Template, deployed: Deployed, dynamodb: Any, kms: Any, demo_key: str | None, say: Callable[[str], None]) -> str | None:
    """Bootstrap the local chain; the demo key's wallet address (None: no RPC chain or no demo key)."""
    url = rpc_url(template)
    if not url or CHAIN_KEY not in deployed.kms_keys or KEYS_TABLE not in deployed.tables:
        return None
    from solroute.dal.solana.bootstrap import airdrop, bootstrap
    from solroute.dal.solana.rpc import SolanaRpc
    from solroute.dal.solana.secrets import SealedRootStore
    from solroute.dal.solana.transactions import send, wait_confirmed
    from solroute.dex.solana.keys import ChainKeys
    from solroute.dex.solana.programs import mint_into, to_units
    from solroute.logic.keys import key_id_of
    from solroute.models.tokens import KNOWN_TOKENS

    rpc = SolanaRpc(url)
    store = SealedRootStore(dynamodb.Table(deployed.tables[KEYS_TABLE]["name"]), kms, deployed.kms_keys[CHAIN_KEY]["id"])
    keys = ChainKeys(store.create())
    report = bootstrap(rpc, keys, airdrop(rpc), confirm=False)
    say(f"bootstrapped the local chain: {len(report.mints)} mints, {len(report.vaults)} venues' vaults, fee payer {report.fee_payer}")
    if demo_key is None:
        wait_confirmed(rpc, report.pending)
        return None
    wallet = keys.wallet(key_id_of(demo_key)).pubkey()
    payer, authority = keys.fee_payer(), keys.mint_authority()
    funds = {s: (DEMO_USD / t.reference_price_usd).quantize(Decimal(1)) for s, t in KNOWN_TOKENS.items() if t.reference_price_usd}
    sent = list(report.pending)
    symbols = list(funds)
    for first in range(0, len(symbols), 4):  # four tokens a transaction: a transaction holds 1,232 bytes
        instructions = []
        for symbol in symbols[first : first + 4]:
            mint = keys.mint(symbol).pubkey()
            instructions += mint_into(payer.pubkey(), wallet, mint, authority.pubkey(), to_units(funds[symbol], KNOWN_TOKENS[symbol].decimals))
        sent.append(send(rpc, instructions, payer, authority))
    wait_confirmed(rpc, sent)  # one confirmation time for all
    say(f"funded the demo key's wallet {wallet}: $1M of each token (" + ", ".join(f"{amount} {symbol}" for symbol, amount in funds.items()) + ")")
    return str(wallet)
