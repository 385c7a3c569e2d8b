"""The validator in process (no HTTP): the rules a client cannot easily reach through solana-py."""

from __future__ import annotations

import threading

import pytest
from solders.keypair import Keypair
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from localcloud.services.solana import LocalValidator
from localcloud.services.solana.base58 import b58decode, b58encode
from localcloud.services.solana.errors import RpcError, describe
from localcloud.services.solana.token_state import ui_token_amount
from tests.support.solana_validator import ManualClock
from tests.support.spl import memo, signed


def test_a_long_idle_catches_up_only_the_recent_blockhashes(chain):
    old = chain.blockhash()
    chain.clock.advance(10**6 * 400)
    assert chain.call("getSlot", {"commitment": "processed"}) == 10**6
    assert not chain.call("isBlockhashValid", str(old))["value"]
    assert chain.call("isBlockhashValid", str(chain.blockhash()))["value"]
    assert len(chain.validator.clock._recent) == 151


def test_the_tip_never_goes_back_with_the_clock(chain):
    chain.clock.advance(4000)
    assert chain.call("getSlot", {"commitment": "processed"}) == 10
    chain.clock.advance(-4000)
    assert chain.call("getSlot", {"commitment": "processed"}) == 10


def test_a_bad_signature_is_refused_with_preflight_and_dropped_without(chain):
    payer = Keypair()
    chain.call("requestAirdrop", str(payer.pubkey()), 10**9)
    tx = signed([memo("hello")], payer, chain.blockhash())
    forged = VersionedTransaction.populate(tx.message, [Signature.new_unique()])
    with pytest.raises(RpcError) as refused:
        chain.send(forged)
    assert (refused.value.code, refused.value.message) == (-32003, "Transaction signature verification failure")
    signature = chain.send(forged, skipPreflight=True)
    assert chain.status(signature) is None


def test_a_fee_payer_without_lamports_never_lands(chain):
    broke = Keypair()
    tx = signed([memo("hello")], broke, chain.blockhash())
    with pytest.raises(RpcError) as refused:
        chain.send(tx)
    assert refused.value.message == "Transaction simulation failed: Attempt to debit an account but found no record of a prior credit."
    assert refused.value.data["err"] == "AccountNotFound"
    assert chain.status(chain.send(tx, skipPreflight=True)) is None


def test_calls_from_many_threads_each_land(chain):
    wallets = [Keypair().pubkey() for _ in range(16)]
    threads = [threading.Thread(target=chain.call, args=("requestAirdrop", str(w), 10**9)) for w in wallets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [chain.call("getBalance", str(w))["value"] for w in wallets] == [10**9] * 16


def test_the_confirmation_delay_must_be_a_range():
    with pytest.raises(ValueError, match="min <= max"):
        LocalValidator(now_ms=ManualClock(), confirm_min_ms=3000, confirm_max_ms=2000)


@pytest.mark.parametrize(
    ("amount", "decimals", "text", "number"),
    [(0, 6, "0", 0.0), (1_500_000_000, 9, "1.5", 1.5), (1, 9, "0.000000001", 1e-9), (1000, 0, "1000", 1000.0), (10**19, 6, "10000000000000", 1e13)],
)
def test_ui_token_amounts_are_exact_strings(amount, decimals, text, number):
    assert ui_token_amount(amount, decimals) == {"amount": str(amount), "decimals": decimals, "uiAmount": number, "uiAmountString": text}


def test_transaction_errors_in_solanas_words():
    assert describe({"InstructionError": [1, {"Custom": 17}]}) == "Error processing Instruction 1: custom program error: 0x11"
    assert describe({"InstructionError": [0, "InsufficientFunds"]}) == "Error processing Instruction 0: insufficient funds for instruction"
    assert describe({"InsufficientFundsForRent": {"account_index": 2}}) == "Transaction results in an account (2) with insufficient funds for rent"
    assert describe("BlockhashNotFound") == "Blockhash not found"


def test_send_transaction_reads_base58_by_default(chain):
    payer = Keypair()
    chain.call("requestAirdrop", str(payer.pubkey()), 10**9)
    tx = signed([memo("in base58")], payer, chain.blockhash())
    assert b58decode(b58encode(b"\0\0" + bytes(tx))) == b"\0\0" + bytes(tx)  # leading zero bytes survive
    signature = chain.call("sendTransaction", b58encode(bytes(tx)))
    assert signature == str(tx.signatures[0]) and chain.status(signature)["err"] is None
