"""The client commands: quote, submit (and follow), watch, get, cancel, list. Each sends the API
key as `x-api-key` (api.api_key says where it comes from); main.py declares their options."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.text import Text

from solroute_cli import strategy_view
from solroute_cli.api import Api, hint
from solroute_cli.durations import duration_seconds
from solroute_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from solroute_cli.follow import follow
from solroute_cli.strategy_args import Strategy
from solroute_cli.views import Offsets, final_report, order_view, orders_table, quote_view, stdout, timeline
from solroute_cli.watch import SUCCEEDED
from solroute.models.status import FINAL_STATUS_NAMES as FINAL


@dataclass(frozen=True)
class Client:
    """What every client command takes: where the API is, the key to send, how to print."""

    api: str
    api_key: str | None = None
    as_json: bool = False

    def hint(self, command: str) -> str:
        return hint(command, self.api.rstrip("/"))

    def connect(self) -> Api:
        return Api(self.api, self.api_key)


@dataclass(frozen=True)
class Trade:
    """A pair and an amount, with the route limits: what quote and submit both send."""

    token_in: str
    token_out: str
    amount: str
    slippage: str = "0.01"
    max_price_impact: str | None = None
    dexes: str | None = None
    exclude_dexes: str | None = None

    def fields(self) -> dict[str, Any]:
        fields = {"tokenIn": self.token_in, "tokenOut": self.token_out, "amountIn": self.amount, "slippage": self.slippage,
                  "maxPriceImpact": self.max_price_impact, "dexes": self.dexes, "excludeDexes": self.exclude_dexes}  # fmt: skip
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class Placing:
    """submit's own options: the order's type and terms, and how to follow it."""

    limit: str | None = None
    expires: str | None = None
    deadline: str | None = None
    quote_id: str | None = None
    wallet: str | None = None
    idempotency_key: str | None = None
    no_watch: bool = False
    timeout: float = 120
    strategy: Strategy = Strategy()

    def fields(self, amount: str) -> dict[str, Any]:
        """The type and terms: a strategy's (--twap, --every), else a limit or market order's."""
        single_order_options = {"--expires": self.expires, "--deadline": self.deadline, "--quote-id": self.quote_id}
        return self.strategy.fields(amount, self.limit, single_order_options) or lifecycle_fields(self.limit, self.expires, self.deadline)

    def terms(self, trade: Trade) -> str:
        """What the order is, in words, for the line that names it."""
        pair = f"{trade.amount} {trade.token_in} -> {trade.token_out}"
        if self.strategy.twap is not None:
            limit = f", each slice at least {self.limit} {trade.token_out} per {trade.token_in}" if self.limit else ""
            return f"twap {pair} as {self.strategy.twap}{limit}"
        if self.strategy.every is not None:
            ends = f"{self.strategy.runs} runs" if self.strategy.runs is not None else f"until {self.strategy.until}"
            return f"recurring {pair} every {self.strategy.every}, {ends}"
        if self.strategy.snipe:
            depth = f" once its pool holds {self.strategy.min_liquidity}" if self.strategy.min_liquidity else " once its pool appears"
            return f"sniper {pair}{depth}, at most {self.strategy.max_price} {trade.token_in} per {trade.token_out}"
        kind = f"limit {self.limit} {trade.token_out} per {trade.token_in}" if self.limit else f"slippage {trade.slippage}"
        return f"{pair}, {kind}"


def say(console: Console, line: str) -> None:
    """One line of text as print would write it (never wrapped, never read as markup)."""
    console.print(Text(line), soft_wrap=True)


async def submit(client: Client, trade: Trade, placing: Placing) -> int:
    body = {**trade.fields(), **placing.fields(trade.amount)}
    if body.get("type") == "recurring":
        del body["amountIn"]  # the total is amountPerRun x runs: the API computes it
    body.update({name: value for name, value in (("wallet", placing.wallet), ("quoteId", placing.quote_id)) if value})
    timeout = placing.timeout
    if body.get("type") == "limit":  # watch it for as long as it may stay open
        timeout = max(timeout, float(body.get("timeInForceSeconds") or 24 * 3600) + 60)
    console = stdout()
    async with client.connect() as api:
        headers = {"idempotency-key": placing.idempotency_key} if placing.idempotency_key else {}
        _, accepted = await api.call("POST", "/api/orders/execute", json=body, headers=headers)
        order_id = accepted["orderId"]
        if client.as_json:
            print(json.dumps(accepted), flush=True)
        else:
            say(console, f"order {order_id}: {placing.terms(trade)} ({accepted['status']})")
            if placing.no_watch:
                say(console, f"  follow it: {client.hint(f'watch {order_id}')}")
            elif accepted["status"] == "open":
                stop = f"Ctrl-C stops watching (the order stays open: `{client.hint(f'cancel {order_id}')}`)"
                say(console, f"  waiting for the market to reach the limit; {stop}")
            elif accepted["status"] == "active":
                stop = f"Ctrl-C stops watching (it keeps running: `{client.hint(f'cancel {order_id}')}` stops it)"
                say(console, f"  each slot starts a market order on schedule; {stop}")
        if placing.no_watch:
            return EXIT_OK
        return await _follow(client, api, accepted["websocketUrl"], order_id, timeout, console)


async def watch(client: Client, order_id: str, ws: str | None, timeout: float) -> int:
    """Follow an order that exists: the subscription's snapshot gives its history so far."""
    async with client.connect() as api:
        return await _follow(client, api, await api.websocket_url(ws), order_id, timeout, stdout())


async def _follow(client: Client, api: Api, ws_url: str, order_id: str, timeout: float, console: Console) -> int:
    """Show each status until the order is final, then (as text) its route and fill; the exit code it gives."""
    offsets = Offsets()
    with timeline(client.as_json, console, offsets) as show:
        final = await follow(api.session, ws_url, order_id, timeout, show, lambda: _read_order(api, order_id), api.headers, client.hint(f"get {order_id}"))
    if not client.as_json:
        for line in final_report(final, offsets):
            say(console, line)
        if "strategy" in (final.get("data") or {}):
            for line in await _parent_report(api, order_id, final):
                say(console, line)
    return EXIT_OK if final["status"] in SUCCEEDED else EXIT_FAILED


async def _parent_report(api: Api, order_id: str, final: dict) -> list[str]:
    """A parent's final report, read whole (a push carries no children): else its final push's totals."""
    try:
        return strategy_view.report(await _read_order(api, order_id))
    except CliError:
        strategy = final["data"]["strategy"]
        order = final["data"].get("order")
        return [f"  {strategy_view.totals(strategy, order)}", *strategy_view.price_lines(strategy, order), "  (the children: could not read the order)"]


async def _read_order(api: Api, order_id: str) -> dict:
    _, order = await api.call("GET", f"/api/orders/{order_id}")
    return order


def lifecycle_fields(limit: str | None, expires: str | None, deadline: str | None) -> dict[str, Any]:
    """--limit/--expires (a limit order) and --deadline (a market order), as the API takes them."""
    fields: dict[str, Any] = {}
    if limit is not None:
        fields.update(type="limit", limitPrice=limit)
        if expires is not None:
            seconds = duration_seconds(expires)
            fields.update({"timeInForceSeconds": seconds} if seconds is not None else {"expiresAt": expires})
    elif expires is not None:
        raise CliError("--expires is for limit orders (with --limit); a market order takes --deadline", EXIT_USAGE)
    if deadline is not None:
        if limit is not None:
            raise CliError("--deadline is for market orders; a limit order expires with --expires", EXIT_USAGE)
        seconds = duration_seconds(deadline)
        fields["deadline"] = str(seconds) if seconds is not None else deadline
    return fields


async def cancel(client: Client, order_id: str) -> int:
    async with client.connect() as api:
        status, answer = await api.call("DELETE", f"/api/orders/{order_id}", expected=(409,))
    if status == 409:  # too late: say where the order is, and exit non-zero
        print(json.dumps(answer) if client.as_json else f"not cancelled: {answer['error']['message']}")
        return EXIT_FAILED
    if client.as_json:
        print(json.dumps(answer, indent=2))
    elif strategy_view.is_parent(answer):
        print(strategy_view.cancel_line(answer, client.hint(f"watch {order_id}")))
    else:
        print(f"order {answer['orderId']} cancelled (it was {answer['history'][-2]['status']})")
    return EXIT_OK


async def quote(client: Client, trade: Trade) -> int:
    async with client.connect() as api:
        _, answer = await api.call("GET", "/api/quote", params=trade.fields())
    if client.as_json:
        print(json.dumps(answer, indent=2))
    else:
        stdout().print(quote_view(answer))
    return EXIT_OK if answer.get("quoteId") else EXIT_FAILED


async def get(client: Client, order_id: str) -> int:
    async with client.connect() as api:
        _, order = await api.call("GET", f"/api/orders/{order_id}")
    if client.as_json:
        print(json.dumps(order, indent=2))
        return EXIT_OK
    console = stdout()
    console.print(order_view(order))
    if order["status"] not in FINAL:
        say(console, f"not final yet: {client.hint(f'watch {order_id}')} follows it")
    return EXIT_OK


async def list_orders(client: Client, wallet: str | None, limit: int, cursor: str | None) -> int:
    params = {"limit": str(limit)}
    if wallet:
        params["wallet"] = wallet  # a filter: without it, every order of the key's owner
    if cursor:
        params["cursor"] = cursor
    async with client.connect() as api:
        _, page = await api.call("GET", "/api/orders", params=params)
    if client.as_json:
        print(json.dumps(page, indent=2))
        return EXIT_OK
    console = stdout()
    console.print(orders_table(page["orders"]) if page["orders"] else Text("no orders"))
    if page.get("cursor"):
        wallet_filter = f" --wallet {wallet}" if wallet else ""
        more = f"list{wallet_filter} --cursor {page['cursor']}"
        say(console, f"more: {client.hint(more)}")
    return EXIT_OK
