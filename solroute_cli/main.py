"""solroute: run the order engine locally and talk to it.

  solroute up                      start the local cloud (what `make run` does)
  solroute quote JUP USDC 200000   quote every route (direct, split, two-hop) without trading
  solroute submit SOL USDC 1.5     submit a market order and watch it live until it is final
  solroute submit SOL USDC 1.5 --limit 150 --expires 10m
                                   a limit order: waits open until 150 USDC per SOL or better, or expires
  solroute cancel ORDER_ID         cancel an order that has not started routing (open or pending)
  solroute get ORDER_ID            show one order
  solroute list                    your orders, newest first (--wallet ADDRESS: one wallet's)
  solroute keys create --name NAME issue an API key (also: keys list, keys revoke KEY_ID)

Client commands send an API key: --api-key, else SOLROUTE_API_KEY, else the local cloud's demo key.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Awaitable, Callable

from localcloud.cli import add_up_command, run_up
from solroute_cli import commands, keys
from solroute_cli.api import API_KEY_ENV, DEFAULT_API
from solroute_cli.errors import CliError

CLIENT_COMMANDS: dict[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
    "submit": commands.submit,
    "quote": commands.quote,
    "get": commands.get,
    "cancel": commands.cancel,
    "list": commands.list_orders,
    "keys": keys.run,
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="solroute", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    subcommands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_up_command(subcommands)

    def client(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = subcommands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--api", default=DEFAULT_API, help=f"HTTP API base URL (default {DEFAULT_API}; env SOLROUTE_API_URL)")
        sub.add_argument("--api-key", default=os.environ.get(API_KEY_ENV),
                         help="API key, sent as x-api-key (default: env SOLROUTE_API_KEY, else the local cloud's demo key)")  # fmt: skip
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        return sub

    def trade(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = client(name, help_text)
        sub.add_argument("token_in", metavar="TOKEN_IN", help="symbol (SOL, USDC, USDT, BONK, JUP, WIF, JTO, PYTH, RAY, ORCA) or base58 mint")
        sub.add_argument("token_out", metavar="TOKEN_OUT", help="symbol or base58 mint")
        sub.add_argument("amount", metavar="AMOUNT", help="amount of TOKEN_IN, a decimal such as 1.5")
        sub.add_argument("--slippage", default="0.01", help="largest accepted price move as a fraction (default 0.01 = 1%%)")
        sub.add_argument("--max-price-impact", help="fail rather than take a route with more price impact (fraction; default: the engine's, 0.05)")
        sub.add_argument("--dexes", help="only these venues, comma-separated (raydium,meteora)")
        sub.add_argument("--exclude-dexes", help="never these venues, comma-separated")
        return sub

    trade("quote", "quote every route (each venue, the best split, the best two-hop) without trading; prints a quoteId")
    submit = trade("submit", "submit a market (or, with --limit, a limit) order and watch every status live over the WebSocket until it is final")
    submit.add_argument("--limit", metavar="PRICE", help="a limit order: the least TOKEN_OUT per TOKEN_IN to accept; it waits open until the market reaches it")
    submit.add_argument("--expires", metavar="WHEN", help="with --limit: how long it stays open (90s, 10m, 2h, 1d) or until when (ISO time); default 1d")
    submit.add_argument("--deadline", metavar="WHEN", help="a market order must start routing within this (30s, 2m) or by then (ISO time), or it expires")
    submit.add_argument("--quote-id", help="the quoteId from `solroute quote`: receive at least its minimum, or fail (price moved)")
    submit.add_argument("--wallet", help="base58 wallet address, to list the order later")
    submit.add_argument("--idempotency-key", help="resubmitting with the same key returns the same order")
    submit.add_argument("--no-watch", action="store_true", help="print the order id and return without watching")
    submit.add_argument("--timeout", type=float, default=120, help="seconds to wait for a final status (default 120)")

    get = client("get", "show one order with its history, quotes, route and result")
    get.add_argument("order_id", metavar="ORDER_ID")

    cancel = client("cancel", "cancel an order that has not started routing (open or pending); says where it is when it is too late")
    cancel.add_argument("order_id", metavar="ORDER_ID")

    listing = client("list", "list your orders (those of the API key's owner), newest first")
    listing.add_argument("--wallet", help="only this wallet's orders (base58 address)")
    listing.add_argument("--limit", type=int, default=20, help="orders per page, 1-100 (default 20)")
    listing.add_argument("--cursor", help="cursor printed by the previous page")
    keys.add_keys_command(subcommands, DEFAULT_API)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "up":
        return run_up(args)  # the local cloud, as `python -m localcloud.cli up` runs it
    try:
        return asyncio.run(CLIENT_COMMANDS[args.command](args))
    except CliError as error:
        command = " ".join(filter(None, [args.command, getattr(args, "keys_command", None)]))
        print(f"solroute {command}: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
