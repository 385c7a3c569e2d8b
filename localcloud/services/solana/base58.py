"""Base-58 (Bitcoin's alphabet), which Solana's RPC uses for keys, signatures and instruction data:
the engine's own codec (solroute.models.tokens), named here for the validator's modules.

solders parses base-58 only for fixed-size values (a Pubkey, a Signature); a transaction sent
with `encoding: base58` and an instruction's data in a `json` transaction are of any length."""

from solroute.models.tokens import b58decode, b58encode

__all__ = ["b58decode", "b58encode"]
