"""A real signed SPL swap on the served validator, through solana-py's client: it lands once,
moves through processed, confirmed and finalized on the validator's clock, and moves exactly the
tokens it says; an overspend fails whole; an expired blockhash never lands."""

from __future__ import annotations

import pytest
from solana.rpc.commitment import Confirmed, Processed
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.message import MessageV0
from solders.rpc.errors import SendTransactionPreflightFailureMessage, UnsupportedTransactionVersionMessage
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionConfirmationStatus

from localcloud.services.solana.constants import FINALIZE_AFTER_SLOTS, MAX_PROCESSING_AGE
from tests.support.spl import memo

PAY, RECEIVE = 150_000_000, 1_500_000_000  # 150 of the 6-decimal token for 1.5 of the 9-decimal one
SKIP = TxOpts(skip_preflight=True)
FEE = 2 * 5000  # two signatures


def token_amounts(rpc, setup) -> dict[str, str]:
    accounts = {
        "user base": setup.ata(setup.user, setup.base),
        "user quote": setup.ata(setup.user, setup.quote),
        "venue base": setup.ata(setup.venue, setup.base),
        "venue quote": setup.ata(setup.venue, setup.quote),
    }
    return {name: rpc.get_token_account_balance(address).value.ui_amount_string for name, address in accounts.items()}


def test_a_swap_lands_once_and_is_confirmed_then_finalized(rpc, solana_rpc, swap_setup):
    setup, clock = swap_setup, solana_rpc.clock
    sol_before = rpc.get_balance(setup.user.pubkey()).value
    tx = setup.swap(rpc.get_latest_blockhash().value.blockhash, PAY, RECEIVE, "order 42")
    signature = rpc.send_raw_transaction(bytes(tx)).value
    assert signature == tx.signatures[0]

    status = rpc.get_signature_statuses([signature]).value[0]
    assert (status.confirmation_status, status.confirmations, status.err) == (TransactionConfirmationStatus.Processed, 0, None)
    assert rpc.get_transaction(signature, commitment=Confirmed).value is None  # only processed: not served
    assert token_amounts(rpc, setup) == {"user base": "1.5", "user quote": "850", "venue base": "98.5", "venue quote": "150"}
    assert rpc.get_balance(setup.user.pubkey()).value == sol_before - FEE

    clock.advance(1999)  # the confirmation delay is drawn in [2000, 3000] ms
    assert rpc.get_signature_statuses([signature]).value[0].confirmation_status == TransactionConfirmationStatus.Processed
    clock.advance(1001)
    status = rpc.get_signature_statuses([signature]).value[0]
    assert status.confirmation_status == TransactionConfirmationStatus.Confirmed and status.confirmations >= 1
    assert rpc.get_transaction(signature, commitment=Confirmed).value is not None
    assert rpc.get_transaction(signature).value is None  # solana-py asks at finalized by default

    clock.advance(FINALIZE_AFTER_SLOTS * 400)
    status = rpc.get_signature_statuses([signature]).value[0]
    assert (status.confirmation_status, status.confirmations) == (TransactionConfirmationStatus.Finalized, None)
    landed = rpc.get_transaction(signature).value
    meta = landed.transaction.meta
    assert landed.slot == status.slot and landed.block_time is not None
    assert meta.err is None and meta.fee == FEE and meta.compute_units_consumed > 0
    assert "Program log: order 42" in meta.log_messages
    keys = landed.transaction.transaction.message.account_keys
    assert meta.pre_balances[keys.index(setup.user.pubkey())] - meta.post_balances[keys.index(setup.user.pubkey())] == FEE

    def balances(entries) -> dict:
        return {(str(keys[entry.account_index]), str(entry.mint), str(entry.owner)): entry.ui_token_amount.amount for entry in entries}

    user, venue = setup.user.pubkey(), setup.venue.pubkey()
    expected_pre = {
        (str(setup.ata(setup.user, setup.quote)), str(setup.quote.mint), str(user)): "1000000000",
        (str(setup.ata(setup.venue, setup.quote)), str(setup.quote.mint), str(venue)): "0",
        (str(setup.ata(setup.user, setup.base)), str(setup.base.mint), str(user)): "0",
        (str(setup.ata(setup.venue, setup.base)), str(setup.base.mint), str(venue)): "100000000000",
    }
    assert balances(meta.pre_token_balances) == expected_pre
    assert balances(meta.post_token_balances) == {
        key: str(int(amount) + delta) for (key, amount), delta in zip(expected_pre.items(), (-PAY, PAY, RECEIVE, -RECEIVE))
    }
    assert {str(entry.program_id) for entry in meta.post_token_balances} == {"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"}
    assert meta.post_token_balances[0].ui_token_amount.decimals in (6, 9)


def test_the_same_bytes_land_once(rpc, solana_rpc, swap_setup):
    tx = swap_setup.swap(rpc.get_latest_blockhash().value.blockhash, PAY, RECEIVE)
    signature = rpc.send_raw_transaction(bytes(tx)).value
    after_once = token_amounts(rpc, swap_setup)
    with pytest.raises(RPCException) as refused:
        rpc.send_raw_transaction(bytes(tx))
    error = refused.value.args[0]
    assert isinstance(error, SendTransactionPreflightFailureMessage)  # solders reads it by its code, -32002
    assert error.message == "Transaction simulation failed: This transaction has already been processed"
    assert rpc.send_raw_transaction(bytes(tx), SKIP).value == signature  # without preflight: the signature, nothing else
    assert token_amounts(rpc, swap_setup) == after_once
    assert rpc.get_signature_statuses([signature]).value[0].slot == solana_rpc.validator.landed[signature].slot


def test_an_overspend_is_refused_by_preflight_and_nothing_moves(rpc, swap_setup):
    before = token_amounts(rpc, swap_setup)
    sol_before = rpc.get_balance(swap_setup.user.pubkey()).value
    tx = swap_setup.swap(rpc.get_latest_blockhash().value.blockhash, 2_000_000_000, RECEIVE)  # the user holds 1000
    with pytest.raises(RPCException) as refused:
        rpc.send_raw_transaction(bytes(tx))
    error = refused.value.args[0]
    assert isinstance(error, SendTransactionPreflightFailureMessage)
    assert error.message == "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1"
    assert "Program log: Error: insufficient funds" in error.data.logs
    assert rpc.get_signature_statuses([tx.signatures[0]]).value == [None]
    assert token_amounts(rpc, swap_setup) == before
    assert rpc.get_balance(swap_setup.user.pubkey()).value == sol_before


def test_an_overspend_sent_without_preflight_lands_failed_whole_and_pays_its_fee(rpc, solana_rpc, swap_setup):
    before = token_amounts(rpc, swap_setup)
    sol_before = rpc.get_balance(swap_setup.user.pubkey()).value
    tx = swap_setup.swap(rpc.get_latest_blockhash().value.blockhash, 2_000_000_000, RECEIVE)
    signature = rpc.send_raw_transaction(bytes(tx), SKIP).value
    status = rpc.get_signature_statuses([signature]).value[0]
    assert status is not None and status.err is not None
    assert token_amounts(rpc, swap_setup) == before  # the venue's leg did not move either
    assert rpc.get_balance(swap_setup.user.pubkey()).value == sol_before - FEE
    solana_rpc.settle()
    meta = rpc.get_transaction(signature).value.transaction.meta
    assert meta.fee == FEE and "Program log: Error: insufficient funds" in meta.log_messages
    assert solana_rpc.call("getTransaction", str(signature))["meta"]["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert [b.ui_token_amount.amount for b in meta.pre_token_balances] == [b.ui_token_amount.amount for b in meta.post_token_balances]


def test_an_expired_blockhash_is_refused_with_preflight_and_dropped_without(rpc, solana_rpc, swap_setup):
    latest = rpc.get_latest_blockhash(Processed).value
    tx = swap_setup.swap(latest.blockhash, PAY, RECEIVE)
    before = token_amounts(rpc, swap_setup)
    solana_rpc.call("solroute_advanceSlots", MAX_PROCESSING_AGE + 1)
    assert rpc.get_block_height(Processed).value > latest.last_valid_block_height
    with pytest.raises(RPCException) as refused:
        rpc.send_raw_transaction(bytes(tx))
    error = refused.value.args[0]
    assert isinstance(error, SendTransactionPreflightFailureMessage)
    assert error.message == "Transaction simulation failed: Blockhash not found"
    assert rpc.send_raw_transaction(bytes(tx), SKIP).value == tx.signatures[0]  # accepted, as a leader would
    solana_rpc.settle()
    assert rpc.get_signature_statuses([tx.signatures[0]], search_transaction_history=True).value == [None]  # and never landed
    assert token_amounts(rpc, swap_setup) == before


def test_statuses_older_than_the_status_cache_need_search_transaction_history(rpc, solana_rpc, swap_setup):
    signature = rpc.send_raw_transaction(bytes(swap_setup.swap(rpc.get_latest_blockhash().value.blockhash, PAY, RECEIVE))).value
    solana_rpc.call("solroute_advanceSlots", 301)
    assert rpc.get_signature_statuses([signature]).value == [None]
    found = rpc.get_signature_statuses([signature], search_transaction_history=True).value[0]
    assert found.confirmation_status == TransactionConfirmationStatus.Finalized


def test_get_transaction_in_base64_is_the_bytes_sent(rpc, solana_rpc, swap_setup):
    tx = swap_setup.swap(rpc.get_latest_blockhash().value.blockhash, PAY, RECEIVE)
    signature = rpc.send_raw_transaction(bytes(tx)).value
    solana_rpc.settle()
    assert bytes(rpc.get_transaction(signature, encoding="base64").value.transaction.transaction) == bytes(tx)


def test_a_v0_transaction_needs_max_supported_transaction_version(rpc, solana_rpc, swap_setup):
    user = swap_setup.user
    blockhash = rpc.get_latest_blockhash().value.blockhash
    tx = VersionedTransaction(MessageV0.try_compile(user.pubkey(), [memo("v0")], [], blockhash), [user])
    signature = rpc.send_transaction(tx).value
    solana_rpc.settle()
    with pytest.raises(RPCException) as refused:
        rpc.get_transaction(signature)
    assert isinstance(refused.value.args[0], UnsupportedTransactionVersionMessage)  # -32015
    landed = rpc.get_transaction(signature, max_supported_transaction_version=0).value
    assert landed.transaction.version == 0 and landed.transaction.meta.err is None
