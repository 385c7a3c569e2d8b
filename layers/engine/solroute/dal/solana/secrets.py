"""The chain's root secret, sealed with KMS envelope encryption and kept in the keys table.

Sealing: KMS GenerateDataKey (AES-256) gives a data key in plain text and sealed by the KMS key;
the root is encrypted locally with the plain data key (AES-GCM), which is then forgotten. Only
the sealed data key, the nonce and the ciphertext are stored. Opening asks KMS to decrypt the
data key (the function's role must allow kms:Decrypt on that key) and decrypts the root in
memory. One item, ``chain#root`` in the keys table (whose other items are keyed by a key's
SHA-256 in hex, so the name cannot collide); read once per process.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from solroute.dal.dynamodb.table import Table, put_if_absent
from solroute.dex.faults import NO_FAULTS
from solroute.models.errors import TransientError

ROOT_ITEM = "chain#root"
_CONTEXT = b"solroute chain root v1"  # AES-GCM associated data: a sealed root opens only as one
# KMS's encryption context: the data key opens only with it, and the functions' kms:Decrypt grant
# is conditioned on it (template.yaml), so the grant opens this root and nothing else sealed by the key.
ENCRYPTION_CONTEXT = {"purpose": "solroute-chain-root"}


class ChainNotBootstrapped(TransientError):
    """No root secret is stored: the chain has not been bootstrapped for this stack (a 503 to a
    trader: nothing on the chain can be read or signed until an operator bootstraps it)."""

    code = "CHAIN_NOT_BOOTSTRAPPED"


def seal(kms: Any, kms_key_id: str, plaintext: bytes) -> dict:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only where a secret is sealed or opened

    data_key = kms.generate_data_key(KeyId=kms_key_id, KeySpec="AES_256", EncryptionContext=ENCRYPTION_CONTEXT)
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key["Plaintext"]).encrypt(nonce, plaintext, _CONTEXT)
    return {
        "kmsKeyId": data_key["KeyId"],
        "sealedKey": base64.b64encode(data_key["CiphertextBlob"]).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }


def unseal(kms: Any, sealed: dict) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data_key = kms.decrypt(CiphertextBlob=base64.b64decode(sealed["sealedKey"]), KeyId=sealed["kmsKeyId"], EncryptionContext=ENCRYPTION_CONTEXT)["Plaintext"]
    return AESGCM(data_key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]), _CONTEXT)


class SealedRootStore:
    def __init__(self, table: Any, kms: Any, kms_key_id: str) -> None:
        self.table = Table(table, NO_FAULTS)
        self.kms = kms
        self.kms_key_id = kms_key_id

    def load(self) -> bytes:
        item = self.table.get_item(Key={"keyHash": ROOT_ITEM}, ConsistentRead=True).get("Item")
        if not item:
            raise ChainNotBootstrapped("the Solana chain has no root secret in this stack's keys table: run `solroute chain bootstrap`")
        return unseal(self.kms, item["sealed"])

    def create(self, root: bytes | None = None) -> bytes:
        """Store a new root unless one exists; returns the stored one (another's, if it won)."""
        root = root or os.urandom(32)
        if put_if_absent(self.table, {"keyHash": ROOT_ITEM, "sealed": seal(self.kms, self.kms_key_id, root)}, "keyHash"):
            return root
        return self.load()
