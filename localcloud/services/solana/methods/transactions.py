"""Transactions: send, simulate, their statuses and history, and the faucet (requestAirdrop)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from localcloud.services.solana.accounts import ENCODINGS, encode_account
from localcloud.services.solana.balances import read_mint
from localcloud.services.solana.constants import MAX_PROCESSING_AGE, MAX_SIGNATURES_PER_STATUS_REQUEST, STATUS_CACHE_SLOTS
from localcloud.services.solana.errors import invalid_params, signature_verification_failure
from localcloud.services.solana.ledger import RANK
from localcloud.services.solana.params import Params, choice, commitment, context, flag, parse_pubkey, parse_signature, transaction
from localcloud.services.solana.simulation import Simulation
from localcloud.services.solana.transaction_json import TRANSACTION_ENCODINGS, encode_landed

if TYPE_CHECKING:
    from localcloud.services.solana.validator import LocalValidator

WIRE_ENCODINGS = ("base58", "base64")


def send_transaction(validator: LocalValidator, raw: Any) -> str:
    params = Params(raw, 2)
    config = params.config(1)
    tx = transaction(params.required(0, "the transaction"), choice(config, "encoding", WIRE_ENCODINGS, "base58"))
    context(validator, config, validator.clock.tip())  # minContextSlot
    return str(validator.submit(tx, preflight=not flag(config, "skipPreflight")))


def simulate_transaction(validator: LocalValidator, raw: Any) -> dict:
    params = Params(raw, 2)
    config = params.config(1)
    tx = transaction(params.required(0, "the transaction"), choice(config, "encoding", WIRE_ENCODINGS, "base58"))
    sig_verify, replace = flag(config, "sigVerify"), flag(config, "replaceRecentBlockhash")
    if sig_verify and replace:
        raise invalid_params("sigVerify may not be used with replaceRecentBlockhash")
    answer = context(validator, config)
    if sig_verify and not all(tx.verify_with_results()):
        raise signature_verification_failure()
    simulation = validator.simulate(tx, check_blockhash=not replace)
    replacement = None
    if replace:  # LiteSVM ignores the blockhash: simulating with the newest one is simulating as is
        tip = validator.clock.tip()
        replacement = {"blockhash": str(validator.clock.blockhash(tip)), "lastValidBlockHeight": tip + MAX_PROCESSING_AGE}
    return {"context": answer, "value": simulation.as_json(_simulated_accounts(validator, simulation, config), replacement)}


def _simulated_accounts(validator: LocalValidator, simulation: Simulation, config: dict) -> list | None:
    """The accounts the config asked for ({addresses, encoding}) as they would be after the
    transaction; null each if it would fail."""
    wanted = config.get("accounts")
    if not wanted:
        return None
    if not isinstance(wanted, dict) or not isinstance(wanted.get("addresses"), list):
        raise invalid_params('accounts must be {"addresses": [...], "encoding": ...}')
    encoding = choice(wanted, "encoding", ENCODINGS, "base64")
    addresses = [parse_pubkey(address, "accounts.addresses") for address in wanted["addresses"]]
    if simulation.err is not None:
        return [None] * len(addresses)
    accounts = [simulation.post_accounts.get(address) or validator.svm.get_account(address) for address in addresses]
    mint_of = partial(read_mint, validator.svm)
    return [encode_account(account, encoding, mint_of) if account else None for account in accounts]


def get_signature_statuses(validator: LocalValidator, raw: Any) -> dict:
    """Each signature's status, or null if unknown. Without searchTransactionHistory only the
    status cache is asked, as on a cluster: a signature from more than STATUS_CACHE_SLOTS slots
    ago answers null there (a client must not read that as "never landed")."""
    params = Params(raw, 2)
    signatures = params.required(0, "the signatures")
    if not isinstance(signatures, list):
        raise invalid_params("the signatures must be an array of base-58 strings")
    if len(signatures) > MAX_SIGNATURES_PER_STATUS_REQUEST:
        raise invalid_params(f"Too many inputs provided; max {MAX_SIGNATURES_PER_STATUS_REQUEST}")
    search_history = flag(params.config(1), "searchTransactionHistory")
    tip, now = validator.clock.tip(), validator.now_ms()
    statuses = []
    for signature in map(parse_signature, signatures):
        landed = validator.landed.get(signature)
        if landed is None or (not search_history and landed.slot < tip - STATUS_CACHE_SLOTS):
            statuses.append(None)
        else:
            statuses.append(landed.status(now, tip))
    return {"context": context(validator, {}, tip), "value": statuses}


def get_transaction(validator: LocalValidator, raw: Any) -> dict | None:
    """A landed transaction once it has reached the commitment (finalized by default; confirmed
    at least: a processed one is not served), else null."""
    params = Params(raw, 2)
    signature = parse_signature(params.required(0, "the signature"))
    config = params.get(1)
    config = {"encoding": config} if isinstance(config, str) else params.config(1)  # the legacy form: the encoding alone
    encoding = choice(config, "encoding", TRANSACTION_ENCODINGS, "json")
    wanted = commitment(config)
    if RANK[wanted] < RANK["confirmed"]:
        raise invalid_params("Method does not support commitment below `confirmed`")
    max_version = config.get("maxSupportedTransactionVersion")
    if max_version is not None and (not isinstance(max_version, int) or isinstance(max_version, bool) or max_version < 0):
        raise invalid_params(f"maxSupportedTransactionVersion must be a non-negative integer, got {max_version!r}")
    landed = validator.landed.get(signature)
    if landed is None or not landed.reached(wanted, validator.now_ms()):
        return None
    return encode_landed(landed, encoding, max_version)


def request_airdrop(validator: LocalValidator, raw: Any) -> str:
    params = Params(raw, 3)
    to = params.pubkey(0, "the recipient")
    lamports = params.integer(1, "lamports")
    if lamports == 0:
        raise invalid_params("lamports must be positive")
    commitment(params.config(2))
    return str(validator.airdrop(to, lamports))


METHODS = {
    "sendTransaction": send_transaction,
    "simulateTransaction": simulate_transaction,
    "getSignatureStatuses": get_signature_statuses,
    "getTransaction": get_transaction,
    "requestAirdrop": request_airdrop,
}
