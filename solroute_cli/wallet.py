"""`solroute wallet`: the API key's wallet on the chain (its address and balances), and funding it
from the local chain's faucet. A stack on the simulated ledger chain has no wallet: the API's 404
(NO_WALLETS) is shown as its message, with exit 1."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.text import Text

from solroute_cli.commands import Client, say
from solroute_cli.errors import EXIT_OK
from solroute_cli.views import add_row, stdout, table


def shorten_chain(chain: str) -> str:
    return "the local validator" if chain == "local" else chain


def balances_table(balances: list[dict]) -> RenderableType:
    shown = table("token", "balance", "decimals", "mint")
    shown.columns[1].justify = "right"
    shown.columns[3].no_wrap = True  # an address must stay whole to be copied
    for balance in balances:
        add_row(shown, balance["token"], balance["amount"], balance["decimals"], balance["mint"])
    return shown


def wallet_view(answer: dict) -> RenderableType:
    head = Text.assemble("wallet ", (answer["address"], "bold"), f" on {shorten_chain(answer['chain'])}")
    return Group(head, balances_table(answer["balances"]))


async def show(client: Client) -> int:
    async with client.connect() as api:
        _, answer = await api.call("GET", "/api/wallet")
    if client.as_json:
        print(json.dumps(answer, indent=2))
    else:
        stdout().print(wallet_view(answer))
    return EXIT_OK


async def fund(client: Client, token: str, amount: str) -> int:
    async with client.connect() as api:
        _, funded = await api.call("POST", "/api/wallet/fund", json={"token": token, "amount": amount})
    if client.as_json:
        print(json.dumps(funded, indent=2))
        return EXIT_OK
    console = stdout()
    now = next((b["amount"] for b in funded["balances"] if b["token"] == funded["token"]), "?")
    say(console, f"funded {funded['amount']} {funded['token']}: tx {funded['signature']}")
    say(console, f"balance now {now} {funded['token']} ({client.hint('wallet')} shows every token)")
    return EXIT_OK
