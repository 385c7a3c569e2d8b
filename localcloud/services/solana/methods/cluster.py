"""The cluster's state: health, version, slot, block height and blockhashes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.services.solana.constants import FEATURE_SET, MAX_PROCESSING_AGE, SOLANA_CORE_VERSION
from localcloud.services.solana.params import Params, commitment, context, parse_hash

if TYPE_CHECKING:
    from localcloud.services.solana.validator import LocalValidator


def get_health(validator: LocalValidator, raw: Any) -> str:
    Params(raw, 0)
    return "ok"


def get_version(validator: LocalValidator, raw: Any) -> dict:
    Params(raw, 0)
    return {"solana-core": SOLANA_CORE_VERSION, "feature-set": FEATURE_SET}


def get_slot(validator: LocalValidator, raw: Any) -> int:
    return context(validator, Params(raw, 1).config(0))["slot"]


def get_latest_blockhash(validator: LocalValidator, raw: Any) -> dict:
    """The newest blockhash at the commitment (finalized by default: 32 slots behind the tip, as
    on a cluster), valid until block height lastValidBlockHeight."""
    config = Params(raw, 1).config(0)
    answer = context(validator, config)
    slot = answer["slot"]
    return {"context": answer, "value": {"blockhash": str(validator.clock.blockhash(slot)), "lastValidBlockHeight": slot + MAX_PROCESSING_AGE}}


def is_blockhash_valid(validator: LocalValidator, raw: Any) -> dict:
    """Whether a transaction with this blockhash can still land now: asked of the tip whatever
    the commitment, so a blockhash fresh at `processed` is not "invalid" for being too new."""
    params = Params(raw, 2)
    blockhash = parse_hash(params.required(0, "the blockhash"))
    config = params.config(1)
    commitment(config)  # checked, as Agave does
    answer = context(validator, config, validator.clock.tip())
    return {"context": answer, "value": validator.clock.slot_of(blockhash) is not None}


def get_minimum_balance_for_rent_exemption(validator: LocalValidator, raw: Any) -> int:
    params = Params(raw, 2)
    size = params.integer(0, "the account data length")
    commitment(params.config(1))
    return validator.svm.minimum_balance_for_rent_exemption(size)


METHODS = {
    "getHealth": get_health,
    "getVersion": get_version,
    "getSlot": get_slot,
    "getBlockHeight": get_slot,  # every slot has a block here: a block height is its slot
    "getLatestBlockhash": get_latest_blockhash,
    "isBlockhashValid": is_blockhash_valid,
    "getMinimumBalanceForRentExemption": get_minimum_balance_for_rent_exemption,
}
