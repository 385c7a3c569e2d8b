"""`solroute wallet` and `solroute wallet fund`, and the chain's part of an order in `get` and
`submit` (the transaction, its slot and network fee, how the wallet's balances moved), run in
process against the stand-in API (tests/support/stand_in.py), whose wallet answers are the
engine's own (WalletDesk over a wallet per key kept in memory)."""

import json
from decimal import Decimal

from typer.testing import CliRunner

from solroute_cli.main import app
from tests.support.background import serving
from tests.support.stand_in import STAND_IN_KEY_ID, StandIn, order_json, run_order, snapshot_frame
from tests.support.wallets import InMemoryWallets

runner = CliRunner()
CONFIRMED = run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1.5")
ON_CHAIN = CONFIRMED.model_copy(update={"execution": CONFIRMED.execution.model_copy(update={
    "networkFee": Decimal("0.00001"), "slot": 4242,
    "balanceChanges": {"SOL": Decimal("-1.5"), "USDC": CONFIRMED.execution.amountOut},
})})  # fmt: skip


def solroute(*argv: str):
    return runner.invoke(app, list(argv))


def funded_wallets() -> InMemoryWallets:
    wallets = InMemoryWallets()
    wallets.fund(STAND_IN_KEY_ID, "SOL", Decimal("10"))
    return wallets


def test_wallet_shows_the_address_the_chain_and_every_tokens_balance():
    wallets = funded_wallets()
    api = StandIn(wallets=wallets)
    with serving(api.app()) as url:
        shown = solroute("wallet", "--api", url)
    assert shown.exit_code == 0, shown.output
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert lines[0] == f"wallet {wallets.address(STAND_IN_KEY_ID)} on the local validator"
    assert any(line.split() == ["SOL", "10", "9", wallets.mints()["SOL"]] for line in lines), lines
    assert any(line.split() == ["USDC", "0", "6", wallets.mints()["USDC"]] for line in lines), lines
    assert api.seen[0][0] == "GET /api/wallet"


def test_wallet_json_is_the_apis_answer():
    api = StandIn(wallets=funded_wallets())
    with serving(api.app()) as url:
        shown = solroute("wallet", "--api", url, "--json")
    answer = json.loads(shown.stdout)
    assert shown.exit_code == 0 and set(answer) == {"address", "chain", "balances"}
    assert answer["balances"][0]["amount"] == "10"


def test_on_the_ledger_chain_wallet_says_there_is_none_and_exits_1():
    with serving(StandIn().app()) as url:
        shown = solroute("wallet", "--api", url)
        as_json = solroute("wallet", "fund", "SOL", "10", "--api", url, "--json")
    assert shown.exit_code == 1
    assert shown.stderr.startswith("solroute wallet: HTTP 404 NO_WALLETS: this stack runs the simulated ledger chain")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["error"]["code"] == "NO_WALLETS"


def test_wallet_fund_prints_the_signature_and_the_new_balance():
    wallets = InMemoryWallets()
    api = StandIn(wallets=wallets)
    with serving(api.app()) as url:
        shown = solroute("wallet", "fund", "SOL", "10", "--api", url)
    assert shown.exit_code == 0, shown.output
    assert api.funds == [{"token": "SOL", "amount": "10"}], "the amount goes as the decimal string typed"
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("funded 10 SOL: tx ") and len(lines[0].split("tx ")[1]) >= 64
    assert lines[1].startswith("balance now 10 SOL (")
    assert wallets.balances(STAND_IN_KEY_ID)["SOL"] == Decimal("10")


def test_wallet_fund_help_says_what_it_takes():
    shown = solroute("wallet", "fund", "--help")
    assert shown.exit_code == 0 and "usage: solroute wallet fund" in shown.stdout and "faucet" in shown.stdout


def test_get_of_an_order_on_chain_shows_its_transaction_and_the_wallets_balance_changes():
    api = StandIn(orders={ON_CHAIN.orderId: order_json(ON_CHAIN)})
    with serving(api.app()) as url:
        shown = solroute("get", ON_CHAIN.orderId, "--api", url)
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert shown.exit_code == 0, shown.output
    assert f"chain: tx {ON_CHAIN.execution.txHash}, slot 4242, network fee 0.00001 SOL" in lines
    assert f"wallet: -1.5 SOL, +{ON_CHAIN.execution.amountOut} USDC" in lines


def test_get_of_an_order_on_the_ledger_shows_no_chain_lines():
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)})
    with serving(api.app()) as url:
        shown = solroute("get", CONFIRMED.orderId, "--api", url)
    assert shown.exit_code == 0 and "chain: " not in shown.stdout and "wallet: " not in shown.stdout


def test_submits_last_lines_carry_the_transaction_and_the_balance_changes():
    api = StandIn(orders={ON_CHAIN.orderId: order_json(ON_CHAIN)}, frames=[snapshot_frame(ON_CHAIN)])
    with serving(api.app()) as url:
        shown = solroute("submit", "SOL", "USDC", "1.5", "--api", url)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[-2] == f"  chain: tx {ON_CHAIN.execution.txHash}, slot 4242, network fee 0.00001 SOL"
    assert lines[-1] == f"  wallet: -1.5 SOL, +{ON_CHAIN.execution.amountOut} USDC"
