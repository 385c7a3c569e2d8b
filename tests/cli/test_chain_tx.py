"""`solroute chain tx SIGNATURE` against the local validator served in process: a swap reads as
an explorer shows it, a failed one says why, and an unknown signature or an unreachable URL is a
clear message with its exit code, never a traceback."""

from __future__ import annotations

import json

import pytest
from solders.keypair import Keypair
from solders.signature import Signature
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer

from localcloud.services.solana.constants import TOKEN_PROGRAM
from solroute_cli.chain.instructions import amount_text, decode
from solroute_cli.main import main
from tests.support.spl import create_ata_idempotent, initialize_mint2, memo, mint_to

PAY, RECEIVE = 150_000_000, 1_500_000_000


def solroute(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_swap_shows_both_transfers_the_memo_and_the_balances_it_moved(solana_rpc, swap_setup, capsys):
    signature = solana_rpc.send(swap_setup.swap(solana_rpc.blockhash(), PAY, RECEIVE, "order 42"))
    solana_rpc.settle()
    code, out, err = solroute(capsys, "chain", "tx", signature, "--url", solana_rpc.url)
    assert (code, err) == (0, "")
    assert f"transaction {signature}" in out and "status finalized, ok" in out
    assert "fee                10000 lamports (0.00001 SOL)" in out
    user, venue = str(swap_setup.user.pubkey()), str(swap_setup.venue.pubkey())
    assert f"signers            {user} (fee payer), {venue}" in out
    assert "TransferChecked   150 of mint" in out and "TransferChecked   1.5 of mint" in out
    assert "Memo              'order 42'" in out
    rows = [line.split() for line in out.splitlines()]
    changes = {(row[1], row[2]): (row[3], row[4], row[5]) for row in rows if len(row) == 6 and "…" in row[0] and "…" in row[1]}
    short = lambda key: f"{str(key)[:4]}…{str(key)[-4:]}"  # noqa: E731
    assert changes == {
        (short(user), short(swap_setup.quote.mint)): ("1000", "850", "-150"),
        (short(venue), short(swap_setup.quote.mint)): ("0", "150", "+150"),
        (short(user), short(swap_setup.base.mint)): ("0", "1.5", "+1.5"),
        (short(venue), short(swap_setup.base.mint)): ("100", "98.5", "-1.5"),
    }
    assert "Program log: order 42" in out  # the logs


def test_a_failed_transaction_says_why_and_moved_nothing_but_its_fee(solana_rpc, swap_setup, capsys):
    signature = solana_rpc.send(swap_setup.swap(solana_rpc.blockhash(), 2_000_000_000, RECEIVE), skipPreflight=True)
    code, out, _ = solroute(capsys, "chain", "tx", signature, "--url", solana_rpc.url)
    assert code == 0
    assert "only processed so far" in out  # a node serves a transaction's details once it is confirmed
    solana_rpc.settle()
    code, out, _ = solroute(capsys, "chain", "tx", signature, "--url", solana_rpc.url)
    assert "failed: Error processing Instruction 0: custom program error: 0x1" in out
    assert "Program log: Error: insufficient funds" in out
    assert "-0.00001" in out  # the fee was paid


def test_json_is_what_the_rpc_answered(solana_rpc, swap_setup, capsys, monkeypatch):
    signature = solana_rpc.send(swap_setup.swap(solana_rpc.blockhash(), PAY, RECEIVE))
    solana_rpc.settle()
    monkeypatch.setenv("SOLROUTE_RPC_URL", solana_rpc.url)  # the URL from the environment
    code, out, _ = solroute(capsys, "chain", "tx", signature, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["signature"] == signature
    assert shown["status"]["confirmationStatus"] == "finalized"
    assert shown["transaction"] == solana_rpc.call("getTransaction", signature, {"maxSupportedTransactionVersion": 0})


def test_an_unknown_signature_is_exit_1(solana_rpc, capsys):
    code, _, err = solroute(capsys, "chain", "tx", str(Signature.new_unique()), "--url", solana_rpc.url)
    assert code == 1 and "it never landed" in err and "Traceback" not in err


def test_an_unreachable_url_is_exit_3(capsys):
    code, _, err = solroute(capsys, "chain", "tx", str(Signature.new_unique()), "--url", "http://127.0.0.1:9")
    assert code == 3 and "no Solana RPC answers at http://127.0.0.1:9" in err and "Traceback" not in err


@pytest.mark.parametrize("given", ["abc", "0" * 88])
def test_not_a_signature_is_a_usage_error(given, capsys):
    code, out, _ = solroute(capsys, "chain", "tx", given, "--json")
    assert code == 2 and "is not a transaction signature" in json.loads(out)["error"]["message"]


def test_the_setup_instructions_read_in_words():
    payer, mint, owner = (Keypair().pubkey() for _ in range(3))
    mint_address = str(mint)

    def read(instruction, decimals=None):
        decoded = decode(str(instruction.program_id), [str(a.pubkey) for a in instruction.accounts], bytes(instruction.data), decimals or {})
        return decoded.program, decoded.action, decoded.detail

    program, action, detail = read(initialize_mint2(mint, 6, owner))
    assert (program, action) == ("SPL Token", "InitializeMint2") and "6 decimals" in detail
    assert read(create_ata_idempotent(payer, owner, mint))[:2] == ("Associated Token", "CreateIdempotent")
    assert "2.5 of mint" in read(mint_to(mint, owner, payer, 2_500_000), {mint_address: 6})[2]
    assert read(memo("order 7")) == ("Memo", "Memo", "'order 7'")
    assert read(transfer(TransferParams(from_pubkey=payer, to_pubkey=owner, lamports=1_500_000_000)))[1:] == (
        "Transfer", f"1.5 SOL from {str(payer)[:4]}…{str(payer)[-4:]} to {str(owner)[:4]}…{str(owner)[-4:]}"
    )
    created = read(create_account(CreateAccountParams(from_pubkey=payer, to_pubkey=mint, lamports=1_461_600, space=82, owner=TOKEN_PROGRAM)))
    assert created[1] == "CreateAccount" and "82 bytes" in created[2] and "owner SPL Token" in created[2]
    unknown = decode(str(Keypair().pubkey()), [], b"\x01\x02\x03", {})
    assert unknown.detail == "3 bytes of data, 0 accounts"


def test_amounts_are_exact_and_signed():
    assert amount_text(-150_000_000, 6, signed=True) == "-150"
    assert amount_text(1_500_000_000, 9, signed=True) == "+1.5"
    assert amount_text(-1_500_000_000_000, 6, signed=True) == "-1500000"
    assert amount_text(0, 6, signed=True) == "0"
    assert amount_text(7, None) == "7 (raw)"
