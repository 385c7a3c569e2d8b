"""Accounts, balances, the faucet and simulation through solana-py's client."""

from __future__ import annotations

import base64

import pytest
from solana.rpc.commitment import Processed
from solana.rpc.core import RPCException
from solana.rpc.models import TokenAccountOpts
from solders.keypair import Keypair
from solders.rpc.errors import InvalidParamsMessage
from solders.transaction_status import TransactionConfirmationStatus

from localcloud.services.solana.constants import TOKEN_PROGRAM
from localcloud.services.solana.token_state import parse_token_account


def test_get_account_info_in_base64_and_json_parsed(rpc, swap_setup):
    vault = swap_setup.ata(swap_setup.venue, swap_setup.base)
    raw = rpc.get_account_info(vault).value
    assert raw.owner == TOKEN_PROGRAM and raw.lamports == 2_039_280 and not raw.executable
    token = parse_token_account(bytes(raw.data))
    assert (token.mint, token.owner, token.amount) == (swap_setup.base.mint, swap_setup.venue.pubkey(), 100 * 10**9)

    parsed = rpc.get_account_info_json_parsed(vault).value.data
    assert parsed.program == "spl-token" and parsed.space == 165
    assert parsed.parsed["type"] == "account"
    assert parsed.parsed["info"]["tokenAmount"] == {"amount": "100000000000", "decimals": 9, "uiAmount": 100.0, "uiAmountString": "100"}
    assert parsed.parsed["info"]["owner"] == str(swap_setup.venue.pubkey())

    mint = rpc.get_account_info_json_parsed(swap_setup.quote.mint).value.data.parsed
    assert mint["type"] == "mint"
    assert mint["info"] == {
        "decimals": 6,
        "freezeAuthority": None,
        "isInitialized": True,
        "mintAuthority": str(swap_setup.authority.pubkey()),
        "supply": "1000000000",
    }
    assert rpc.get_account_info(Keypair().pubkey()).value is None


def test_balances(rpc, swap_setup):
    assert rpc.get_balance(Keypair().pubkey()).value == 0
    amount = rpc.get_token_account_balance(swap_setup.ata(swap_setup.user, swap_setup.quote)).value
    assert (amount.amount, amount.decimals, amount.ui_amount_string) == ("1000000000", 6, "1000")
    with pytest.raises(RPCException) as refused:
        rpc.get_token_account_balance(swap_setup.user.pubkey())  # a wallet, not a token account
    assert isinstance(refused.value.args[0], InvalidParamsMessage)
    assert refused.value.args[0].message == "Invalid param: not a Token account"


def test_token_accounts_by_owner_by_mint_or_program(rpc, swap_setup):
    user = swap_setup.user.pubkey()
    by_program = rpc.get_token_accounts_by_owner(user, TokenAccountOpts(program_id=TOKEN_PROGRAM)).value
    assert {a.pubkey for a in by_program} == {swap_setup.ata(swap_setup.user, t) for t in (swap_setup.base, swap_setup.quote)}
    by_mint = rpc.get_token_accounts_by_owner_json_parsed(user, TokenAccountOpts(mint=swap_setup.quote.mint)).value
    assert [a.pubkey for a in by_mint] == [swap_setup.ata(swap_setup.user, swap_setup.quote)]
    assert by_mint[0].account.data.parsed["info"]["tokenAmount"]["uiAmountString"] == "1000"
    assert rpc.get_token_accounts_by_owner(Keypair().pubkey(), TokenAccountOpts(program_id=TOKEN_PROGRAM)).value == []


def test_an_airdrop_is_a_transaction_with_a_status(rpc, solana_rpc):
    wallet = Keypair().pubkey()
    first = rpc.request_airdrop(wallet, 2 * 10**9).value
    second = rpc.request_airdrop(wallet, 2 * 10**9).value  # the same amount in the same slot: a second transaction
    assert first != second
    assert rpc.get_balance(wallet, Processed).value == 4 * 10**9
    status = rpc.get_signature_statuses([first]).value[0]
    assert status.err is None and status.confirmation_status == TransactionConfirmationStatus.Processed
    solana_rpc.settle()
    meta = rpc.get_transaction(first).value.transaction.meta
    assert meta.err is None and meta.fee == 5000


def test_simulate_answers_logs_and_units_and_changes_nothing(rpc, swap_setup):
    blockhash = rpc.get_latest_blockhash().value.blockhash
    ok = rpc.simulate_transaction(swap_setup.swap(blockhash, 1, 1)).value
    assert ok.err is None and ok.units_consumed > 0 and ok.accounts is None
    assert f"Program {TOKEN_PROGRAM} success" in ok.logs
    failing = rpc.simulate_transaction(swap_setup.swap(blockhash, 2_000_000_000, 1)).value
    assert failing.err is not None and "Program log: Error: insufficient funds" in failing.logs
    assert rpc.get_token_account_balance(swap_setup.ata(swap_setup.user, swap_setup.quote)).value.amount == "1000000000"


def test_simulate_with_accounts_and_a_replaced_blockhash(solana_rpc, swap_setup):
    stale = swap_setup.swap(solana_rpc.blockhash(), 1_000_000, 1)
    solana_rpc.call("solroute_advanceSlots", 200)
    encoded = base64.b64encode(bytes(stale)).decode()
    expired = solana_rpc.call("simulateTransaction", encoded, {"encoding": "base64"})["value"]
    assert expired["err"] == "BlockhashNotFound"
    user_quote = str(swap_setup.ata(swap_setup.user, swap_setup.quote))
    config = {"encoding": "base64", "replaceRecentBlockhash": True, "accounts": {"addresses": [user_quote], "encoding": "jsonParsed"}}
    replaced = solana_rpc.call("simulateTransaction", encoded, config)["value"]
    tip = solana_rpc.call("getSlot", {"commitment": "processed"})
    assert replaced["err"] is None and replaced["replacementBlockhash"]["lastValidBlockHeight"] == tip + 150
    assert replaced["accounts"][0]["data"]["parsed"]["info"]["tokenAmount"]["uiAmountString"] == "999"
