"""The cluster methods through solana-py's client against the served validator, and JSON-RPC 2.0's
own rules (parse errors, batches, unknown methods, bad params) on the wire."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from solana.rpc.commitment import Confirmed, Finalized, Processed
from solders.hash import Hash
from solders.rpc.requests import IsBlockhashValid
from solders.rpc.responses import IsBlockhashValidResp

from localcloud.services.solana.constants import FINALIZE_AFTER_SLOTS, MAX_PROCESSING_AGE


def post(url: str, body: bytes, method: str = "POST") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def call(url: str, payload: object) -> object:
    status, body = post(url, json.dumps(payload).encode())
    assert status == 200
    return json.loads(body)


def test_health_and_version(rpc):
    assert rpc.is_connected()
    version = rpc.get_version().value
    assert version.solana_core and version.feature_set


def test_slots_follow_the_clock_and_finalized_lags(rpc, solana_rpc):
    assert rpc.get_slot(Processed).value == 0
    solana_rpc.clock.advance(40 * 400 + 399)  # 40 slots and a bit
    assert rpc.get_slot(Processed).value == 40
    assert rpc.get_slot(Confirmed).value == 40
    assert rpc.get_block_height(Processed).value == 40
    assert rpc.get_slot(Finalized).value == 40 - FINALIZE_AFTER_SLOTS
    assert rpc.get_block_height().value == 40 - FINALIZE_AFTER_SLOTS  # solana-py asks at finalized by default


def test_latest_blockhash_is_valid_for_150_blocks(rpc, solana_rpc):
    solana_rpc.clock.advance(10 * 400)
    latest = rpc.get_latest_blockhash(Processed)
    assert latest.context.slot == 10
    assert latest.value.last_valid_block_height == 10 + MAX_PROCESSING_AGE
    finalized = rpc.get_latest_blockhash(Finalized).value  # the rooted bank's: older, still valid
    assert finalized.blockhash != latest.value.blockhash

    def valid(blockhash: Hash) -> bool:
        return rpc.request(IsBlockhashValid(blockhash), IsBlockhashValidResp).value

    assert valid(latest.value.blockhash) and valid(finalized.blockhash)
    solana_rpc.call("solroute_advanceSlots", {"slots": MAX_PROCESSING_AGE})
    assert rpc.get_block_height(Processed).value == latest.value.last_valid_block_height
    assert valid(latest.value.blockhash)  # the last block it may land in
    solana_rpc.call("solroute_advanceSlots", 1)
    assert not valid(latest.value.blockhash)
    assert not valid(Hash.new_unique())


def test_minimum_balance_for_rent_exemption(rpc):
    assert rpc.get_minimum_balance_for_rent_exemption(165).value == 2_039_280  # a token account's rent, as on mainnet
    assert rpc.get_minimum_balance_for_rent_exemption(0).value == 890_880


def test_unknown_method_is_32601(solana_rpc):
    answer = call(solana_rpc.url, {"jsonrpc": "2.0", "id": 7, "method": "getNothing", "params": []})
    assert answer == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 7}


@pytest.mark.parametrize(
    ("method", "params", "says"),
    [
        ("getBalance", ["not-a-key"], "is not a base-58 public key"),
        ("getBalance", [], "missing the account address"),
        ("getSlot", [{"commitment": "soon"}], "unknown commitment 'soon'"),
        ("getSignatureStatuses", ["abc"], "must be an array"),
        ("sendTransaction", ["AQID", {"encoding": "base64"}], "failed to deserialize the transaction"),
        ("getTransaction", ["1" * 64, {"commitment": "processed"}], "commitment below `confirmed`"),
        ("solroute_advanceSlots", [-1], "non-negative integer"),
    ],
)
def test_bad_params_are_32602_with_a_reason(solana_rpc, method, params, says):
    error = call(solana_rpc.url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})["error"]
    assert error["code"] == -32602
    assert says in error["message"]


def test_parse_error_batches_and_get(solana_rpc):
    status, body = post(solana_rpc.url, b"{not json")
    assert status == 200 and json.loads(body) == {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
    batch = call(solana_rpc.url, [{"jsonrpc": "2.0", "id": 1, "method": "getHealth"}, {"jsonrpc": "2.0", "id": 2, "method": "getSlot"}, {"id": 3}])
    assert batch == [
        {"jsonrpc": "2.0", "result": "ok", "id": 1},
        {"jsonrpc": "2.0", "result": 0, "id": 2},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid request"}, "id": 3},
    ]
    assert call(solana_rpc.url, [])["error"]["code"] == -32600
    status, body = post(solana_rpc.url + "/health", b"", method="GET")
    assert (status, body) == (200, b"ok")
    status, _ = post(solana_rpc.url, b"", method="GET")
    assert status == 405
