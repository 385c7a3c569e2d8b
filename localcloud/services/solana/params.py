"""A method's params as Agave reads them: positional, with an optional config object last, each
value checked, and a -32602 that says which param is wrong and why."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from localcloud.services.solana.base58 import b58decode
from localcloud.services.solana.constants import MAX_TRANSACTION_BYTES, SOLANA_CORE_VERSION
from localcloud.services.solana.errors import RpcError, invalid_param, invalid_params
from localcloud.services.solana.ledger import COMMITMENTS

if TYPE_CHECKING:
    from localcloud.services.solana.validator import LocalValidator

MIN_CONTEXT_SLOT_NOT_REACHED = -32016


class Params:
    def __init__(self, raw: Any, at_most: int) -> None:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise invalid_params("params must be an array (positional parameters)")
        if len(raw) > at_most:
            raise invalid_params(f"invalid length {len(raw)}, expected at most {at_most} parameters")
        self.raw = raw

    def get(self, index: int) -> Any:
        return self.raw[index] if index < len(self.raw) else None

    def required(self, index: int, name: str) -> Any:
        value = self.get(index)
        if value is None:
            raise invalid_params(f"missing {name} (params[{index}])")
        return value

    def pubkey(self, index: int, name: str = "the account address") -> Pubkey:
        return parse_pubkey(self.required(index, name), name)

    def integer(self, index: int, name: str) -> int:
        value = self.required(index, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise invalid_params(f"{name} must be a non-negative integer, got {value!r}")
        return value

    def config(self, index: int) -> dict:
        value = self.get(index)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise invalid_params(f"params[{index}] must be a configuration object, got {value!r}")
        return value


def parse_pubkey(value: Any, name: str = "address") -> Pubkey:
    try:
        return Pubkey.from_string(value)
    except (ValueError, TypeError):
        raise invalid_param(f"{name} {value!r} is not a base-58 public key") from None


def parse_signature(value: Any) -> Signature:
    try:
        return Signature.from_string(value)
    except (ValueError, TypeError):
        raise invalid_param(f"{value!r} is not a base-58 transaction signature") from None


def parse_hash(value: Any) -> Hash:
    try:
        return Hash.from_string(value)
    except (ValueError, TypeError):
        raise invalid_param(f"{value!r} is not a base-58 blockhash") from None


def commitment(config: dict, default: str = "finalized") -> str:
    """The config's commitment; Agave's default is finalized."""
    value = config.get("commitment") or default
    if value not in COMMITMENTS:
        raise invalid_params(f"unknown commitment {value!r}, expected one of {', '.join(COMMITMENTS)}")
    return value


def choice(config: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = config.get(key) or default
    if value not in allowed:
        raise invalid_params(f"unknown {key} {value!r}, expected one of {', '.join(allowed)}")
    return value


def flag(config: dict, key: str, default: bool = False) -> bool:
    value = config.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_params(f"{key} must be true or false, got {value!r}")
    return value


def context(validator: LocalValidator, config: dict, slot: int | None = None) -> dict:
    """The response's context at the config's commitment, after checking its minContextSlot."""
    if slot is None:
        slot = validator.bank_slot(commitment(config))
    wanted = config.get("minContextSlot")
    if wanted is not None and wanted > slot:
        raise RpcError(MIN_CONTEXT_SLOT_NOT_REACHED, "Minimum context slot has not been reached", {"contextSlot": slot})
    return {"slot": slot, "apiVersion": SOLANA_CORE_VERSION}


def transaction(encoded: Any, encoding: str) -> VersionedTransaction:
    """A wire transaction sent as base58 (the default) or base64, decoded and sanitized."""
    if not isinstance(encoded, str):
        raise invalid_params(f"the transaction must be a {encoding} string, got {type(encoded).__name__}")
    try:
        raw = base64.b64decode(encoded, validate=True) if encoding == "base64" else b58decode(encoded)
    except (ValueError, binascii.Error) as error:
        raise invalid_params(f"invalid {encoding} transaction: {error}") from None
    if len(raw) > MAX_TRANSACTION_BYTES:
        raise invalid_params(f"decoded transaction too large: {len(raw)} bytes (max: {MAX_TRANSACTION_BYTES} bytes)")
    try:
        tx = VersionedTransaction.from_bytes(raw)
        tx.sanitize()
    except Exception as error:  # solders raises its own error types for bytes that are no transaction
        raise invalid_params(f"failed to deserialize the transaction: {error}") from None
    if not tx.signatures:
        raise invalid_params("the transaction has no signature")
    return tx
