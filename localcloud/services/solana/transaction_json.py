"""getTransaction's answer for a landed transaction: the transaction in the requested encoding
(`json`, `base64` or `base58`) and its status meta, in Agave's shape
(EncodedConfirmedTransactionWithStatusMeta)."""

from __future__ import annotations

import base64

from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from localcloud.services.solana.base58 import b58encode
from localcloud.services.solana.errors import unsupported_transaction_version
from localcloud.services.solana.ledger import Landed

TRANSACTION_ENCODINGS = ("json", "base64", "base58")


def encode_landed(landed: Landed, encoding: str, max_supported_version: int | None) -> dict:
    """A v0 transaction needs the client to say it reads v0 (maxSupportedTransactionVersion: 0),
    as on a cluster; `version` is answered only to a client that said so."""
    tx = landed.transaction
    version = 0 if isinstance(tx.message, MessageV0) else "legacy"
    if version != "legacy" and (max_supported_version is None or version > max_supported_version):
        raise unsupported_transaction_version(version)
    answer = {"slot": landed.slot, "blockTime": landed.block_time, "transaction": _transaction(tx, encoding), "meta": _meta(landed)}
    if max_supported_version is not None:
        answer["version"] = version
    return answer


def _transaction(tx: VersionedTransaction, encoding: str) -> object:
    if encoding == "base64":
        return [base64.b64encode(bytes(tx)).decode(), "base64"]
    if encoding == "base58":
        return [b58encode(bytes(tx)), "base58"]
    message = tx.message
    header = message.header
    encoded: dict = {
        "accountKeys": [str(key) for key in message.account_keys],
        "header": {
            "numRequiredSignatures": header.num_required_signatures,
            "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
            "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
        },
        "recentBlockhash": str(message.recent_blockhash),
        "instructions": [
            {"programIdIndex": ix.program_id_index, "accounts": list(ix.accounts), "data": b58encode(bytes(ix.data)), "stackHeight": None}
            for ix in message.instructions
        ],
    }
    if isinstance(message, MessageV0):
        encoded["addressTableLookups"] = [
            {"accountKey": str(lookup.account_key), "writableIndexes": list(lookup.writable_indexes), "readonlyIndexes": list(lookup.readonly_indexes)}
            for lookup in message.address_table_lookups
        ]
    return {"signatures": [str(signature) for signature in tx.signatures], "message": encoded}


def _meta(landed: Landed) -> dict:
    return {
        "err": landed.err,
        "status": {"Ok": None} if landed.err is None else {"Err": landed.err},
        "fee": landed.fee,
        "preBalances": landed.pre_balances,
        "postBalances": landed.post_balances,
        "innerInstructions": landed.inner_instructions,
        "logMessages": landed.logs,
        "preTokenBalances": landed.pre_token_balances,
        "postTokenBalances": landed.post_token_balances,
        "rewards": [],
        "loadedAddresses": {"writable": [], "readonly": []},
        "computeUnitsConsumed": landed.compute_units,
    }
