"""solroute's command line (typer + rich): what each command takes, and the exit code it ends with.

The commands themselves are in commands.py (the API's clients) and keys.py; `up` is the local
cloud's own command line (localcloud.cli), handed its arguments as they are.
"""

from __future__ import annotations

import argparse
import asyncio
import json as json_module  # the commands' --json option is named json
import sys
from collections.abc import Coroutine
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from solroute_cli import commands, keys, market, wallet
from solroute_cli.api import API_KEY_ENV, API_URL_ENV, DEFAULT_API, WS_URL_ENV
from solroute_cli.commands import Client, Placing, Trade
from solroute_cli.errors import EXIT_FAILED, EXIT_USAGE, CliError
from solroute_cli.strategy_args import TWAP_GRAMMAR, Strategy

EXAMPLES = """[bold]Examples[/bold]

  solroute up                       start the local cloud (what `make run` does)
  solroute quote JUP USDC 200000    quote every route without trading
  solroute submit SOL USDC 1.5      a market order, followed live until final
  solroute submit SOL USDC 1.5 --limit 200 --expires 10m
                                    a limit order above the market: it waits open
                                    (a limit at or below the market fills at once)
  solroute submit SOL USDC 10 --twap 10x30s
                                    a TWAP: 10 slices of 1 SOL, one every 30 s
  solroute submit USDC NEWT 100 --snipe --max-price 0.5
                                    buy NEWT the moment its pool appears (solroute market launch NEWT ...)
  solroute submit USDC SOL 50 --every 1h --runs 24 --min-price 0.006
                                    a recurring order: 50 USDC an hour, 24 times, a run
                                    skipped below 0.006 SOL per USDC (SOL above ~167 USDC)
  solroute watch ORDER_ID           follow an order (or a strategy) until it is final
  solroute cancel ORDER_ID          cancel an order still open or pending
  solroute get ORDER_ID             show one order
  solroute list                     your orders, newest first
  solroute keys create --name NAME  issue an API key (also keys list, revoke)
  solroute ops status               queues, dead letters, orders in flight, alarms
  solroute ops order ORDER_ID       an order's history and every function's log lines
  solroute chain tx SIGNATURE       a transaction on the chain, as an explorer shows it
  solroute wallet                   your API key's wallet and its balances (on a Solana chain)
  solroute wallet fund SOL 10       fund it from the local chain's faucet
  solroute market launch NEWT --liquidity 50000
                                    a new token and its pool, on the local chain

The API key sent: --api-key, else SOLROUTE_API_KEY, else the local cloud's
demo key. With --json, a command's standard output is JSON only.
In a clone, the command is .venv/bin/solroute (what `make install` puts there)."""


class _LowercaseUsage:
    """`usage: solroute ...`, as argparse wrote it (and `up --help` still does): scripts look for it."""

    def format_usage(self, ctx: typer.Context, formatter: Any) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="usage: ")  # type: ignore[attr-defined]


class Group(_LowercaseUsage, TyperGroup):
    pass


class Command(_LowercaseUsage, TyperCommand):
    pass


def _app(**settings: Any) -> typer.Typer:
    settings.setdefault("no_args_is_help", True)
    return typer.Typer(
        cls=Group, rich_markup_mode="rich", add_completion=False, pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]}, **settings,
    )  # fmt: skip


app = _app(name="solroute", help="Run the order engine locally and talk to it.", epilog=EXAMPLES)
keys_app = _app(help="Create, list and revoke API keys: the running local cloud's (found at --api), or a deployed stack's (--stack-name).")
app.add_typer(keys_app, name="keys")
ops_app = _app(help="Operate the engine: queues, dead letters, alarms and one order's trail, on the local cloud (--api) or a deployed stack (--stack-name); docs/operations.md.")
app.add_typer(ops_app, name="ops")
chain_app = _app(help="Read the Solana chain orders execute on: the local cloud's validator, or any cluster's RPC (--url).")
app.add_typer(chain_app, name="chain")
wallet_app = _app(no_args_is_help=False, invoke_without_command=True)  # its help is wallet_show's
app.add_typer(wallet_app, name="wallet")
market_app = _app(help="Launch a token and its pool at run time, and add liquidity to it: the local cloud's chain only (docs/cli.md).")
app.add_typer(market_app, name="market")

CONNECTION = "Connection"
ApiUrl = Annotated[str, typer.Option("--api", envvar=API_URL_ENV, help="HTTP API base URL.", rich_help_panel=CONNECTION)]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", envvar=API_KEY_ENV, show_default=False, rich_help_panel=CONNECTION,
                 help="API key, sent as x-api-key (default: the local cloud's demo key)."),
]  # fmt: skip
Json = Annotated[bool, typer.Option("--json", help="Print JSON only: one document, or one line per status while following an order.")]
OrderId = Annotated[str, typer.Argument(metavar="ORDER_ID", show_default=False)]
TokenIn = Annotated[str, typer.Argument(metavar="TOKEN_IN", help="Symbol (SOL, USDC, USDT, BONK, JUP, WIF, JTO, PYTH, RAY, ORCA) or base58 mint.")]
TokenOut = Annotated[str, typer.Argument(metavar="TOKEN_OUT", help="Symbol or base58 mint.")]
Amount = Annotated[str, typer.Argument(metavar="AMOUNT", help="Amount of TOKEN_IN, a decimal such as 1.5.")]
ROUTE = "Route limits"
Slippage = Annotated[str, typer.Option(help="Largest accepted price move as a fraction (0.01 = 1%).", rich_help_panel=ROUTE)]
MaxPriceImpact = Annotated[
    str | None, typer.Option(help="Fail rather than take a route with more price impact (a fraction; default: the engine's, 0.05).", rich_help_panel=ROUTE)
]
Dexes = Annotated[str | None, typer.Option(help="Only these venues, comma-separated (raydium,meteora).", rich_help_panel=ROUTE)]
ExcludeDexes = Annotated[str | None, typer.Option(help="Never these venues, comma-separated.", rich_help_panel=ROUTE)]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for a final status.")]


def run(command: str, work: Coroutine[Any, Any, int], as_json: bool = False) -> None:
    """Run ``command``'s work; a CliError is `solroute COMMAND: message` on stderr (under --json,
    one JSON object on stdout: scripts read one stream), and its exit code."""
    try:
        code = asyncio.run(work)
    except CliError as error:
        if as_json:
            print(json_module.dumps(error.as_json()), flush=True)
        else:
            print(f"solroute {command}: {error}", file=sys.stderr)
        code = error.code
    if code:
        raise typer.Exit(code)


@app.command(cls=Command)
def quote(
    token_in: TokenIn, token_out: TokenOut, amount: Amount, slippage: Slippage = "0.01", max_price_impact: MaxPriceImpact = None,
    dexes: Dexes = None, exclude_dexes: ExcludeDexes = None, api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False,
) -> None:  # fmt: skip
    """Quote every route (each venue, the best split, the best two-hop) without trading; prints a quoteId (exit 1 without one)."""
    run("quote", commands.quote(Client(api, api_key, json), Trade(token_in, token_out, amount, slippage, max_price_impact, dexes, exclude_dexes)), json)


ORDER = "Order"
STRATEGY = "Strategy (a parent that runs market orders on a schedule)"


@app.command(cls=Command)
def submit(
    token_in: TokenIn, token_out: TokenOut, amount: Amount, slippage: Slippage = "0.01", max_price_impact: MaxPriceImpact = None,
    dexes: Dexes = None, exclude_dexes: ExcludeDexes = None,
    limit: Annotated[str | None, typer.Option(metavar="PRICE", rich_help_panel=ORDER,
                     help="A limit order: the least TOKEN_OUT per TOKEN_IN to accept; it waits open until the market reaches it. "
                          "With --twap: each slice's limit (a slice that cannot meet it is skipped and retried at the next interval).")] = None,
    expires: Annotated[str | None, typer.Option(metavar="WHEN", rich_help_panel=ORDER,
                       help="With --limit: how long it stays open (90s, 10m, 2h, 1d) or until when (ISO time); default 1d.")] = None,
    deadline: Annotated[str | None, typer.Option(metavar="WHEN", rich_help_panel=ORDER,
                        help="A market order must start routing within this (30s, 2m) or by then (ISO time), or it expires.")] = None,
    quote_id: Annotated[str | None, typer.Option(rich_help_panel=ORDER,
                        help="The quoteId from `solroute quote`: receive at least its minimum, or fail (price moved).")] = None,
    twap: Annotated[str | None, typer.Option(metavar="NxINTERVAL|N/DURATION", rich_help_panel=STRATEGY,
                    help=f"A TWAP: AMOUNT sliced over time, as {TWAP_GRAMMAR}; units s, m, h, d.")] = None,
    jitter: Annotated[str | None, typer.Option(metavar="DURATION", rich_help_panel=STRATEGY,
                      help="With --twap: start each slice up to this much later (3s; at most a quarter of the interval).")] = None,
    max_retries: Annotated[int | None, typer.Option(metavar="N", min=0, rich_help_panel=STRATEGY,
                           help="With --twap: how many slots may go unfilled (skipped, or a child that did not confirm) before it ends (default: the slices).")] = None,
    every: Annotated[str | None, typer.Option(metavar="INTERVAL", rich_help_panel=STRATEGY,
                     help="A recurring order: AMOUNT each INTERVAL (1h, 1d; at least 1m), with --runs or --until.")] = None,
    runs: Annotated[int | None, typer.Option(metavar="N", min=1, rich_help_panel=STRATEGY, help="With --every: how many runs.")] = None,
    until: Annotated[str | None, typer.Option(metavar="WHEN", rich_help_panel=STRATEGY,
                     help="With --every: runs until then (ISO time) or for that long (1d, 12h).")] = None,
    min_price: Annotated[str | None, typer.Option(metavar="PRICE", rich_help_panel=STRATEGY,
                         help="With --every: skip a run whose price (TOKEN_OUT per TOKEN_IN) is below this (not retried).")] = None,
    max_price: Annotated[str | None, typer.Option(metavar="PRICE", rich_help_panel=STRATEGY,
                         help="With --every: skip a run whose price is above this. With --snipe: the most TOKEN_IN it pays per TOKEN_OUT.")] = None,
    snipe: Annotated[bool, typer.Option("--snipe", rich_help_panel=STRATEGY,
                     help="A sniper: buy TOKEN_OUT with AMOUNT the moment its pool appears (it may not exist yet), paying at most "
                          "--max-price; --expires says how long it watches (default 1d). See `solroute market launch`.")] = False,
    min_liquidity: Annotated[str | None, typer.Option(metavar="AMOUNT", rich_help_panel=STRATEGY,
                             help="With --snipe: fire only once the pool holds this much of its quote token.")] = None,
    wallet: Annotated[str | None, typer.Option(help="Base58 wallet address, to list the order later.", rich_help_panel=ORDER)] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Resubmitting with the same key returns the same order.")] = None,
    no_watch: Annotated[bool, typer.Option("--no-watch", help="Print the order id and return without watching.")] = False,
    timeout: Timeout = 120, api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False,
) -> None:  # fmt: skip
    """Submit a market (or, with --limit, a limit) order, or a strategy (--twap, --every, --snipe), and follow every status live over
    the WebSocket until it is final: a strategy's each slot started, each child's fill with the running totals, each skipped slot
    and why, then its report (average price against the arrival price, shortfall, fees, every child).

    Exit 0 when it is confirmed (a strategy: completed), 1 when it failed, expired or was cancelled (a strategy: also partially_filled). A strategy is followed for its whole schedule, whatever --timeout says."""
    trade = Trade(token_in, token_out, amount, slippage, max_price_impact, dexes, exclude_dexes)
    strategy = Strategy(twap, jitter, max_retries, every, runs, until, min_price, max_price, snipe, min_liquidity)
    placing = Placing(limit, expires, deadline, quote_id, wallet, idempotency_key, no_watch, timeout, strategy)
    run("submit", commands.submit(Client(api, api_key, json), trade, placing), json)


@app.command(cls=Command)
def watch(
    order_id: OrderId,
    ws: Annotated[str | None, typer.Option("--ws", envvar=WS_URL_ENV, show_default=False, rich_help_panel=CONNECTION,
                  help="WebSocket API URL (default: the local cloud's, from its health page).")] = None,
    timeout: Timeout = 3600, api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False,
) -> None:  # fmt: skip
    """Follow an order until it is final: its history so far, then each status as it happens (a strategy: each slot, each
    child's fill with the running totals, each skip, then its report).

    Exit 0 when it is confirmed (a strategy: completed), 1 when it failed, expired or was cancelled (a strategy: also partially_filled), at once if it already was. A strategy is followed for its whole schedule, whatever --timeout says."""
    run("watch", commands.watch(Client(api, api_key, json), order_id, ws, timeout), json)


@app.command(cls=Command)
def get(order_id: OrderId, api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False) -> None:
    """Show one order: its history, the venues' quotes, the route and its legs, the fill or why it failed; a strategy's
    progress, prices and children."""
    run("get", commands.get(Client(api, api_key, json), order_id), json)


@app.command(cls=Command)
def cancel(order_id: OrderId, api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False) -> None:
    """Cancel an order that has not started routing (open or pending); says where it is when it is too late (exit 1).
    A strategy starts no new slot: it is cancelled at once, or, when a child is already routing, once that child lands (it says which)."""
    run("cancel", commands.cancel(Client(api, api_key, json), order_id), json)


@app.command("list", cls=Command)
def list_orders(
    wallet: Annotated[str | None, typer.Option(help="Only this wallet's orders (base58 address).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Orders per page.")] = 20,
    cursor: Annotated[str | None, typer.Option(help="The cursor the previous page printed.")] = None,
    api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False,
) -> None:  # fmt: skip
    """List your orders (those of the API key's owner), newest first."""
    run("list", commands.list_orders(Client(api, api_key, json), wallet, limit, cursor), json)


@app.command(
    cls=Command, add_help_option=False, context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    help="Start the local cloud from template.yaml: no Docker, no AWS account (`solroute up --help` lists its options).",
)  # fmt: skip
def up(context: typer.Context) -> None:
    from localcloud.cli import add_up_command, run_up

    class Alone:  # add_up_command adds `up` to argparse subcommands: here it is a parser of its own
        def add_parser(self, name: str, help: str, **settings: Any) -> argparse.ArgumentParser:
            return argparse.ArgumentParser(prog=f"solroute {name}", **settings)

    try:  # `up --help` is the local cloud's own help, a bad option its own usage error
        code = run_up(add_up_command(Alone()).parse_args(context.args))
    except SystemExit as parsed:
        code = parsed.code if isinstance(parsed.code, int) else EXIT_USAGE
    if code:
        raise typer.Exit(code)


@wallet_app.callback(cls=Group)
def wallet_show(context: typer.Context, api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False) -> None:
    """Your API key's wallet on the chain: its address and its balance of every known token (read from the chain); `wallet fund` funds it on the local chain.

    Exit 1 on a stack that runs the simulated ledger chain, which keeps no wallets."""
    if context.invoked_subcommand is None:
        run("wallet", wallet.show(Client(api, api_key, json)), json)


@wallet_app.command("fund", cls=Command)
def wallet_fund(
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="A known token's symbol (SOL, USDC, USDT, BONK, JUP, WIF, JTO, PYTH, RAY, ORCA).")],
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="How much to mint: a decimal, at most 1000000 and the token's decimals.")],
    api: ApiUrl = DEFAULT_API, api_key: ApiKey = None, json: Json = False,
) -> None:  # fmt: skip
    """Fund the wallet from the local chain's faucet; prints the transaction's signature and the new balance.

    A cluster's wallet is funded from outside (the API says so: exit 1)."""
    run("wallet fund", wallet.fund(Client(api, api_key, json), token, amount), json)


Liquidity = Annotated[str, typer.Option("--liquidity", help="The quote token put into the pool (its depth), a decimal.", show_default=False)]


@market_app.command("launch", cls=Command)
def market_launch(
    symbol: Annotated[str, typer.Argument(metavar="SYMBOL", help="The new token's symbol: 2-10 capital letters or digits.")],
    liquidity: Liquidity,
    venue: Annotated[str, typer.Option(help="The venue holding its pool: raydium or meteora.")] = "raydium",
    quote: Annotated[str, typer.Option(help="The token it pairs with: USDC or SOL.")] = "USDC",
    price: Annotated[str | None, typer.Option(help="Its launch price, in the quote token per token (default 0.1).", show_default=False)] = None,
    decimals: Annotated[int, typer.Option(help="Its mint's decimals (0-9).")] = 6,
    api: ApiUrl = DEFAULT_API, json: Json = False,
) -> None:  # fmt: skip
    """Launch a token on the local cloud's chain: its mint, and a pool of --liquidity of the quote token.

    Within about a second every function trades it (`solroute submit USDC SYMBOL 100`). A symbol launched already is refused (exit 1); a deployed stack cannot launch (a local-chain feature)."""
    run("market launch", market.launch(api, symbol, liquidity, venue, quote, price, decimals, json), json)


@market_app.command("add-liquidity", cls=Command)
def market_add_liquidity(
    symbol: Annotated[str, typer.Argument(metavar="SYMBOL", help="A launched token's symbol.")],
    liquidity: Liquidity,
    venue: Annotated[str | None, typer.Option(help="The pool's venue (default: its first pool's; another venue gets a new pool).", show_default=False)] = None,
    api: ApiUrl = DEFAULT_API, json: Json = False,
) -> None:  # fmt: skip
    """Add --liquidity of the quote token (and the token to match, at its launch price) to a launched token's pool."""
    run("market add-liquidity", market.add_liquidity(api, symbol, liquidity, venue, json), json)


KEYS_AT = "Where the keys are"
KeysApi = Annotated[str, typer.Option("--api", envvar=API_URL_ENV, help="The local cloud's HTTP API.", rich_help_panel=KEYS_AT)]
StackName = Annotated[
    str | None, typer.Option(help="A deployed stack instead: its ApiKeysTableName and KeyRatePerMinute outputs.", rich_help_panel=KEYS_AT)
]
Region = Annotated[str | None, typer.Option(help="The stack's region (default: boto3's, e.g. AWS_REGION).", rich_help_panel=KEYS_AT)]
KeyId = Annotated[str, typer.Argument(metavar="KEY_ID", help="The key's id (its first 11 characters, as `keys list` shows).", show_default=False)]


@keys_app.command("create", cls=Command)
def keys_create(
    name: Annotated[str, typer.Option(help="What the key is for: 1-64 letters, digits, spaces or . @ : / _ -", show_default=False)],
    rate: Annotated[int | None, typer.Option(help="Orders a minute it may submit (default: the stack's KeyRatePerMinute).")] = None,
    webhook_url: Annotated[str | None, typer.Option(
        help="POST its orders' status changes here unless an order names its own (https, or http to localhost).")] = None,
    api: KeysApi = DEFAULT_API, stack_name: StackName = None, region: Region = None, json: Json = False,
) -> None:  # fmt: skip
    """Issue a key and print it (once: only its hash is stored)."""
    run("keys create", keys.create(keys.Target(api, stack_name, region, json), name, rate, webhook_url), json)


@keys_app.command("list", cls=Command)
def keys_list(api: KeysApi = DEFAULT_API, stack_name: StackName = None, region: Region = None, json: Json = False) -> None:
    """List the keys: id, name, owner, rate, created, revoked (never the key)."""
    run("keys list", keys.list_keys(keys.Target(api, stack_name, region, json)), json)


@keys_app.command("revoke", cls=Command)
def keys_revoke(key_id: KeyId, api: KeysApi = DEFAULT_API, stack_name: StackName = None, region: Region = None, json: Json = False) -> None:
    """Refuse a key from now on."""
    run("keys revoke", keys.revoke(keys.Target(api, stack_name, region, json), key_id), json)


@keys_app.command("webhook-secret", cls=Command)
def keys_webhook_secret(key_id: KeyId, api: KeysApi = DEFAULT_API, stack_name: StackName = None, region: Region = None, json: Json = False) -> None:
    """Print the secret that signs a key's webhooks (X-Solroute-Signature; docs/webhooks.md)."""
    run("keys webhook-secret", keys.webhook_secret(keys.Target(api, stack_name, region, json), key_id), json)


RpcUrl = Annotated[str, typer.Option("--url", envvar="SOLROUTE_RPC_URL", help="Solana JSON-RPC URL.", rich_help_panel=CONNECTION)]


@chain_app.command("tx", cls=Command)
def chain_tx(
    signature: Annotated[str, typer.Argument(metavar="SIGNATURE", help="The transaction's signature (base58).", show_default=False)],
    url: RpcUrl = "http://127.0.0.1:8899", json: Json = False,
) -> None:  # fmt: skip
    """Show a transaction as an explorer would: status, slot, time, fee, compute units, signers, each instruction decoded,
    the token and SOL balances it moved, and its logs. With --json: {signature, status, transaction} as the RPC gave them."""
    from solroute_cli.chain.tx import show  # solders is imported only for the chain commands

    run("chain tx", show(url, signature, json), json)


@chain_app.command("bootstrap", cls=Command)
def chain_bootstrap(
    url: Annotated[str, typer.Option("--url", envvar="SOLROUTE_RPC_URL", help="The cluster's JSON-RPC URL.", rich_help_panel=CONNECTION)],
    stack_name: Annotated[str, typer.Option("--stack-name", help="The deployed stack (deployed once with SolanaRpcUrl set).", rich_help_panel=CONNECTION)],
    region: Region = None,
    payer: Annotated[str | None, typer.Option("--payer", metavar="KEYPAIR", help="A solana-keygen keypair file that funds the engine's fee payer.")] = None,
    airdrop: Annotated[bool, typer.Option("--airdrop", help="Fund the fee payer from the cluster's faucet instead (local, devnet, testnet).")] = False,
    faucet: Annotated[bool, typer.Option("--faucet/--no-faucet", help="Whether the printed overrides let POST /api/wallet/fund mint tokens (a test cluster only).")] = False,
    json: Json = False,
) -> None:  # fmt: skip
    """Create the engine's token mints, the venues' vaults and the funded fee payer on a cluster, from a root secret sealed
    with the stack's KMS key in its keys table (idempotent), and print the sam deploy parameter overrides (docs/chain.md)."""
    from solroute_cli.chain.bootstrap import bootstrap_command

    run("chain bootstrap", bootstrap_command(url, stack_name, region, payer, airdrop, faucet, json), json)


OPS_AT = "Where the engine runs"
OpsApi = Annotated[str, typer.Option("--api", envvar=API_URL_ENV, help="The local cloud's HTTP API.", rich_help_panel=OPS_AT)]
OpsStack = Annotated[str | None, typer.Option(help="A deployed stack instead (its resources from CloudFormation).", rich_help_panel=OPS_AT)]
OpsRegion = Annotated[str | None, typer.Option(help="The stack's region (default: boto3's, e.g. AWS_REGION).", rich_help_panel=OPS_AT)]


async def _ops(work: Any, *args: Any) -> int:
    """An ops command's (synchronous) work; AWS errors as CliError."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return work(*args)
    except ClientError as error:
        raise CliError(f"{error.operation_name}: {error.response['Error'].get('Message', error)}", EXIT_FAILED) from error
    except BotoCoreError as error:
        raise CliError(str(error), EXIT_FAILED) from error


@ops_app.command("status", cls=Command)
def ops_status(
    scan_orders: Annotated[bool, typer.Option("--scan-orders", help="On AWS, count every status with a Scan of the orders table (billed per item; the local cloud always does).")] = False,
    api: OpsApi = DEFAULT_API, stack_name: OpsStack = None, region: OpsRegion = None, json: Json = False,
) -> None:  # fmt: skip
    """Queue depths and oldest ages (dead letters called out), orders in flight by status and open limit orders, the rate limiter's use,
    when the trigger last judged every open order (and its lease), and the alarms' states.

    Exit 1 when any alarm is in ALARM; else 3 when the alarms could not be read ("alarms unknown": a local cloud that does
    not evaluate them, or DescribeAlarms refused); else 0. A script can test it."""
    from solroute_cli.ops import status, target

    def work() -> int:
        stack = target.find(api, stack_name, region)
        return status.show(status.gather(stack, scan_orders), stack.where, json)

    run("ops status", _ops(work), json)


@ops_app.command("redrive", cls=Command)
def ops_redrive(
    queue: Annotated[str, typer.Argument(metavar="QUEUE", show_default=False,
                     help="OrdersDeadLetterQueue, WebhookDeadLetterQueue or WebhookStreamFailureQueue (logical id or deployed name).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would move (message ids, order ids, receive counts, ages); move nothing.")] = False,
    most: Annotated[int, typer.Option("--max", min=1, max=10_000, help="Move (with --dry-run, list) at most this many messages, ten at a time.")] = 100,
    api: OpsApi = DEFAULT_API, stack_name: OpsStack = None, region: OpsRegion = None, json: Json = False,
) -> None:  # fmt: skip
    """Give dead-lettered messages another go: orders back to the queue they came from, webhook deliveries back to WebhookQueue,
    stream failures through WebhookFunction's own redrive (docs/operations.md#redrive-a-dead-letter-queue)."""
    from solroute_cli.ops import redrive, target

    run("ops redrive", _ops(lambda: redrive.redrive(target.find(api, stack_name, region), queue, dry_run, most, json)), json)


@ops_app.command("order", cls=Command)
def ops_order(
    order_id: OrderId,
    since: Annotated[str | None, typer.Option(metavar="WHEN", help="Log lines from this long ago (90s, 10m, 2h, 1d) or this ISO time (default: from the order's creation).")] = None,
    api: OpsApi = DEFAULT_API, stack_name: OpsStack = None, region: OpsRegion = None, json: Json = False,
) -> None:  # fmt: skip
    """An order's history and the log lines of every function that touched it, in time order (no API key needed)."""
    from solroute_cli.ops import order, target

    run("ops order", _ops(lambda: order.follow(target.find(api, stack_name, region), order_id, since, json)), json)


def main(argv: list[str] | None = None) -> int:
    """Run `solroute ARGV`; the exit code (0 ok, 1 failed, 2 usage, 3 unreachable, 130 Ctrl-C)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = typer.main.get_command(app).main(args=args, prog_name="solroute", standalone_mode=False)
    except typer.TyperException as error:  # a usage error: shown as typer shows it when it exits itself
        if "--json" in args and "up" not in args[:1]:  # a script asked for JSON: its error is JSON too
            print(json_module.dumps(CliError(error.format_message(), EXIT_USAGE).as_json()), flush=True)
            return error.exit_code
        from typer.rich_utils import rich_format_error

        rich_format_error(error)  # type: ignore[arg-type]
        return error.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
