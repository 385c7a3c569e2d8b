"""The client commands: submit an order (and watch it), show one, list the caller's. Each sends
the API key as `x-api-key` (see api.api_key for where it comes from)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import aiohttp

from solroute_cli.api import api_key, raise_for_error, request
from solroute_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from solroute_cli.report import execution_report, quote_report
from solroute_cli.watch import watch


async def submit(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"tokenIn": args.token_in, "tokenOut": args.token_out, "amountIn": args.amount, "slippage": args.slippage}
    if args.wallet:
        body["wallet"] = args.wallet
    body.update(route_limits(args))
    if args.quote_id:
        body["quoteId"] = args.quote_id
    body.update(lifecycle_fields(args))
    timeout = args.timeout
    if body.get("type") == "limit":  # watch it for as long as it may stay open
        timeout = max(timeout, float(body.get("timeInForceSeconds") or 24 * 3600) + 60)
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        key = {"x-api-key": await api_key(session, args.api, args.api_key)}
        headers = {**key, "idempotency-key": args.idempotency_key} if args.idempotency_key else key
        status, accepted = await request(session, "POST", f"{args.api}/api/orders/execute", args.api, json=body, headers=headers)
        raise_for_error(status, accepted)
        order_id = accepted["orderId"]
        if args.json:
            print(json.dumps(accepted), flush=True)
        else:
            kind = f"limit {args.limit} {args.token_out} per {args.token_in}" if args.limit else f"slippage {args.slippage}"
            print(f"order {order_id}: {args.amount} {args.token_in} -> {args.token_out}, {kind} ({accepted['status']})", flush=True)
            if accepted["status"] == "open" and not args.no_watch:
                print(f"  waiting for the market to reach the limit; Ctrl-C stops watching (the order stays open: `solroute cancel {order_id}`)", flush=True)
        if args.no_watch:
            return EXIT_OK
        final = await watch(session, accepted["websocketUrl"], order_id, started, timeout, args.json, headers=key)
    if not args.json:
        print(f"{final['status']} in {time.monotonic() - started:.2f}s", flush=True)
        for line in execution_report(final.get("data") or {}):
            print(line)
    return EXIT_OK if final["status"] == "confirmed" else EXIT_FAILED


def lifecycle_fields(args: argparse.Namespace) -> dict[str, Any]:
    """--limit/--expires (a limit order) and --deadline (a market order), as the API takes them."""
    fields: dict[str, Any] = {}
    if args.limit is not None:
        fields.update(type="limit", limitPrice=args.limit)
        if args.expires is not None:
            seconds = duration_seconds(args.expires)
            fields.update({"timeInForceSeconds": seconds} if seconds is not None else {"expiresAt": args.expires})
    elif args.expires is not None:
        raise CliError("--expires is for limit orders (with --limit); a market order takes --deadline", EXIT_USAGE)
    if args.deadline is not None:
        if args.limit is not None:
            raise CliError("--deadline is for market orders; a limit order expires with --expires", EXIT_USAGE)
        seconds = duration_seconds(args.deadline)
        fields["deadline"] = str(seconds) if seconds is not None else args.deadline
    return fields


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> int | None:
    """Seconds in "90", "90s", "10m", "2h" or "1d"; None when the text is not a duration (an ISO time)."""
    text = text.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    if not number.isdigit():
        return None
    return int(number) * _UNITS[unit]


async def cancel(args: argparse.Namespace) -> int:
    async with aiohttp.ClientSession() as session:
        headers = {"x-api-key": await api_key(session, args.api, args.api_key)}
        status, answer = await request(session, "DELETE", f"{args.api}/api/orders/{args.order_id}", args.api, headers=headers)
    if status == 409:  # too late: say where the order is, and exit non-zero
        if args.json:
            print(json.dumps(answer))
        else:
            print(f"not cancelled: {answer['error']['message']}")
        return EXIT_FAILED
    raise_for_error(status, answer)
    print(json.dumps(answer, indent=2) if args.json else f"order {answer['orderId']} cancelled (it was {answer['history'][-2]['status']})")
    return EXIT_OK


def route_limits(args: argparse.Namespace) -> dict[str, Any]:
    fields = {"maxPriceImpact": args.max_price_impact, "dexes": args.dexes, "excludeDexes": args.exclude_dexes}
    return {name: value for name, value in fields.items() if value is not None}


async def quote(args: argparse.Namespace) -> int:
    params = {"tokenIn": args.token_in, "tokenOut": args.token_out, "amountIn": args.amount, "slippage": args.slippage, **route_limits(args)}
    async with aiohttp.ClientSession() as session:
        headers = {"x-api-key": await api_key(session, args.api, args.api_key)}
        status, answer = await request(session, "GET", f"{args.api}/api/quote", args.api, params=params, headers=headers)
    raise_for_error(status, answer)
    print(json.dumps(answer, indent=2) if args.json else "\n".join(quote_report(answer)))
    return EXIT_OK if answer.get("quoteId") else EXIT_FAILED


async def get(args: argparse.Namespace) -> int:
    async with aiohttp.ClientSession() as session:
        headers = {"x-api-key": await api_key(session, args.api, args.api_key)}
        status, order = await request(session, "GET", f"{args.api}/api/orders/{args.order_id}", args.api, headers=headers)
    raise_for_error(status, order)
    print(json.dumps(order, indent=2))
    return EXIT_OK


async def list_orders(args: argparse.Namespace) -> int:
    params = {"limit": str(args.limit)}
    if args.wallet:
        params["wallet"] = args.wallet  # a filter: without it, every order of the key's owner
    if args.cursor:
        params["cursor"] = args.cursor
    async with aiohttp.ClientSession() as session:
        headers = {"x-api-key": await api_key(session, args.api, args.api_key)}
        status, page = await request(session, "GET", f"{args.api}/api/orders", args.api, params=params, headers=headers)
    raise_for_error(status, page)
    if args.json:
        print(json.dumps(page, indent=2))
        return EXIT_OK
    for order in page["orders"]:
        out = (order.get("execution") or {}).get("amountOut", "")
        print(f"{order['createdAt']}  {order['orderId']}  {order['status']:<9} {order['amountIn']} {order['tokenIn']} -> {out} {order['tokenOut']}")
    if page.get("cursor"):
        wallet = f" --wallet {args.wallet}" if args.wallet else ""
        print(f"more: solroute list{wallet} --cursor {page['cursor']}")
    return EXIT_OK
