"""Every key the engine signs with, derived from one root secret.

The root is 32 random bytes, sealed (KMS envelope) wherever it is stored and opened only in
memory. From it: each API key's wallet, each venue's key (the owner of its vaults), the fee
payer and the mint authority (the local chain's faucet), and each launched pool's vault owner. A key is HMAC-SHA256(root, label) used
as an ed25519 seed: deterministic, so the engine stores no per-wallet secret and reads nothing
per order to sign, and one root's compromise is as bad as the KMS key's.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from solders.keypair import Keypair

from solroute.models.tokens import KNOWN_TOKENS

FEE_PAYER = "fee-payer"
MINT_AUTHORITY = "mint-authority"


class ChainKeys:
    def __init__(self, root: bytes) -> None:
        if len(root) != 32:
            raise ValueError("the chain's root secret must be 32 bytes")
        self._root = root

    @lru_cache(maxsize=1024)
    def keypair(self, label: str) -> Keypair:
        return Keypair.from_seed(hmac.new(self._root, label.encode(), hashlib.sha256).digest())

    def wallet(self, key_id: str) -> Keypair:
        return self.keypair(f"wallet:{key_id}")

    def venue(self, name: str) -> Keypair:
        return self.keypair(f"venue:{name}")

    def fee_payer(self) -> Keypair:
        return self.keypair(FEE_PAYER)

    def mint_authority(self) -> Keypair:
        return self.keypair(MINT_AUTHORITY)

    def pool(self, pool_id: str) -> Keypair:
        """The owner of a launched pool's vaults (``dex:SYMBOL-QUOTE``): a pool's own, so its vault's
        balance of the quote token is that pool's depth, apart from the venue's shared inventory."""
        return self.keypair(f"pool:{pool_id}")

    def vault_owner(self, dex: str, pool_id: str, token_in: str, token_out: str) -> Keypair:
        """Who holds the vaults a leg swaps with: a launched pool's own key, else the venue's."""
        return self.venue(dex) if token_in in KNOWN_TOKENS and token_out in KNOWN_TOKENS else self.pool(pool_id)

    def mint(self, symbol: str) -> Keypair:
        """The key a token's mint account is created at (its address is the mint)."""
        return self.keypair(f"mint:{symbol}")
