"""GET /api/wallet and POST /api/wallet/fund, driven with events/api_*wallet.json: on the ledger
chain (no wallets: a 404 that says so) and with a wallet per key kept in memory (a test double of
the Wallets port; the RPC chain's wallets are tested end to end on the local validator)."""

import json
from decimal import Decimal

import pytest

from solroute import services
from tests.lambdas import event
from tests.support.api_calls import body
from tests.support.wallets import InMemoryWallets

KEY_ID = "sr_EXAMPLEK"  # the sample events' authorizer context


@pytest.fixture
def wallets(monkeypatch):
    wallets = InMemoryWallets()
    monkeypatch.setattr(services, "wallets", lambda: wallets)
    return wallets


def get_wallet(api, key_id: str = KEY_ID):
    ev = event("api_get_wallet.json")
    ev["requestContext"]["authorizer"]["lambda"]["keyId"] = key_id
    return api(ev)


def fund(api, payload, content_type: str = "application/json"):
    ev = event("api_fund_wallet.json")
    ev["body"] = payload if isinstance(payload, str) else json.dumps(payload)
    ev["headers"]["content-type"] = content_type
    return api(ev)


def test_on_the_ledger_chain_both_routes_answer_404_naming_the_ledger(cloud):
    api = cloud.fn("ApiFunction")
    for response in (get_wallet(api), fund(api, {"token": "SOL", "amount": "10"}), fund(api, "{oops")):
        assert response["statusCode"] == 404, response
        error = body(response)["error"]
        assert error["code"] == "NO_WALLETS" and "simulated ledger chain" in error["message"]
        assert error["details"] == {"chain": "ledger"}


def test_the_wallet_shows_its_address_chain_and_every_known_token(cloud, wallets):
    response = get_wallet(cloud.fn("ApiFunction"))
    assert response["statusCode"] == 200, response
    answer = body(response)
    assert answer["address"] == wallets.address(KEY_ID) and answer["chain"] == "local"
    mints = wallets.mints()
    assert answer["balances"][:2] == [
        {"token": "SOL", "mint": mints["SOL"], "amount": "0", "decimals": 9},
        {"token": "USDC", "mint": mints["USDC"], "amount": "0", "decimals": 6},
    ]
    assert [b["token"] for b in answer["balances"]] == ["SOL", "USDC", "USDT", "BONK", "JUP", "WIF", "JTO", "PYTH", "RAY", "ORCA"]


def test_funding_mints_to_the_callers_wallet_only_and_answers_the_new_balances(cloud, wallets):
    api = cloud.fn("ApiFunction")
    response = fund(api, {"token": "sol", "amount": 10.5})  # any case; a JSON number stays exact
    assert response["statusCode"] == 200, response
    funded = body(response)
    assert funded["token"] == "SOL" and funded["amount"] == "10.5" and funded["signature"]
    assert funded["balances"][0] == {"token": "SOL", "mint": wallets.mints()["SOL"], "amount": "10.5", "decimals": 9}
    assert wallets.funded == [(KEY_ID, "SOL", Decimal("10.5"))]
    assert body(get_wallet(api))["balances"][0]["amount"] == "10.5"
    assert body(get_wallet(api, "sr_OTHERKEY"))["balances"][0]["amount"] == "0", "another key's wallet is another wallet"


@pytest.mark.parametrize(
    "payload, field, fragment",
    [
        ({"token": "SOL", "amount": "0"}, "amount", "greater than 0"),
        ({"token": "SOL", "amount": "-1"}, "amount", "greater than 0"),
        ({"token": "SOL", "amount": "1000000.1"}, "amount", "at most 1000000"),
        ({"token": "USDC", "amount": "1.0000001"}, "amount", "more than 6 decimal places, the most USDC allows"),
        ({"token": "SOL", "amount": "1_000"}, "amount", "decimal number"),
        ({"token": "SOL", "amount": True}, "amount", "decimal number"),
        ({"token": "DOGE", "amount": "1"}, "token", "unknown token 'DOGE'"),
        ({"token": "SOL"}, "amount", "is required"),
        ({"token": "SOL", "amount": "1", "wallet": "x"}, "wallet", "not a field of this request; the fields are token, amount"),
    ],
)
def test_a_bad_fund_request_is_a_400_naming_the_field(cloud, wallets, payload, field, fragment):
    response = fund(cloud.fn("ApiFunction"), payload)
    assert response["statusCode"] == 400, response
    error = body(response)["error"]
    assert error["code"] == "INVALID_REQUEST"
    assert [d["field"] for d in error["details"]] == [field] and fragment in error["details"][0]["message"], error
    assert wallets.funded == []


def test_a_body_that_is_not_json_is_refused_as_on_every_route(cloud, wallets):
    api = cloud.fn("ApiFunction")
    assert fund(api, "{oops")["statusCode"] == 400
    assert fund(api, {"token": "SOL", "amount": "1"}, content_type="text/plain")["statusCode"] == 415


def test_a_chain_without_a_faucet_is_a_400_that_says_so(cloud, monkeypatch):
    wallets = InMemoryWallets(chain="https://api.devnet.solana.com", faucet=False)
    monkeypatch.setattr(services, "wallets", lambda: wallets)
    response = fund(cloud.fn("ApiFunction"), {"token": "SOL", "amount": "1"})
    assert response["statusCode"] == 400
    assert "has no faucet" in body(response)["error"]["message"]


def test_without_a_caller_the_wallet_is_a_401(cloud, wallets):
    ev = event("api_get_wallet.json")
    ev["requestContext"].pop("authorizer")
    assert cloud.fn("ApiFunction")(ev)["statusCode"] == 401
