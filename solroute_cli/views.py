"""How the commands show things with rich: an order (`get`), a quote, a page of orders, the keys,
and the timeline of an order's statuses as `submit` and `watch` follow it (a live table in a
terminal; plain lines, or JSON lines, when the output is read by a program)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from solroute_cli import strategy_view
from solroute_cli.report import execution_report, leg_line, pct
from solroute_cli.watch import ENDED, describe, progress, snapshot_data


def stdout() -> Console:
    """Standard output: in a terminal, fitted to its width; read by a program, never wrapped or
    cut (a table as wide as its cells, a line as long as it is)."""
    console = Console()
    return console if console.is_terminal else Console(width=100_000, soft_wrap=True)


STATUS_STYLES = {"confirmed": "bold green", "failed": "bold red", "expired": "yellow", "cancelled": "yellow", "open": "cyan",
                 "active": "cyan", "completed": "bold green", "partially_filled": "yellow"}  # fmt: skip


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, "bold"))


def table(*columns: str, title: str | None = None) -> Table:
    """A plain table; cells are added as Text, so data is never read as rich markup."""
    return Table(*columns, title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)


def add_row(shown: Table, *cells: object) -> None:
    shown.add_row(*(cell if isinstance(cell, Text) else Text(str(cell)) for cell in cells))


def lines(text_lines: list[str]) -> list[Text]:
    return [Text(line) for line in text_lines]


# -- get -------------------------------------------------------------------------------------


def order_view(order: dict) -> RenderableType:
    """One order: what was asked, its history with time offsets, the venues' quotes, the route
    and its legs, the fill, and why it failed."""
    parts: list[RenderableType] = [Text.assemble("order ", (order["orderId"], "bold"), "  ", status_text(order["status"]))]
    parts.append(Text(f"{order['amountIn']} {order['tokenIn']} -> {order['tokenOut']}, {_terms(order)}"))
    parts.append(Text(f"created {order['createdAt']}" + (f", wallet {order['wallet']}" if order.get("wallet") else "")))
    history = order.get("history") or []
    if history:
        timeline = table("status", "+s", "message", title="history")
        for entry in history:
            add_row(timeline, status_text(entry["status"]), f"{(entry['timestampMs'] - history[0]['timestampMs']) / 1000:.2f}", entry["message"])
        parts.append(timeline)
    if order.get("quotes"):
        quotes = table("venue", f"out ({order['tokenOut']})", "price", f"fee ({order['tokenIn']})", "impact", title="quotes")
        for q in order["quotes"]:
            add_row(quotes, q["dex"].capitalize(), q["amountOut"], q["price"], q["fee"], pct(q["priceImpact"]))
        parts.append(quotes)
    parts += lines(_route_and_fill(order))
    if strategy_view.is_parent(order):
        parts += _strategy_parts(order)
    if order.get("failureReason"):
        parts.append(Text(f"  reason: {order['failureReason']}", style="red"))
    return Group(*parts)


def _strategy_parts(order: dict) -> list[RenderableType]:
    """`solroute get` of a parent: its schedule, progress, prices, skipped slots and children table."""
    strategy = order["strategy"]
    parts: list[RenderableType] = [Text(f"strategy: {strategy_view.schedule_text(strategy)}")]
    upcoming = ""
    if order["status"] == "active" and strategy.get("nextSlot") is not None and not strategy.get("cancelRequested"):
        upcoming = f", next: slot {strategy['nextSlot']}"
    if strategy.get("cancelRequested") and order["status"] == "active":
        upcoming += f", cancel requested (child {strategy.get('inflight')} finishes first)"
    parts.append(Text(f"progress: {strategy_view.progress_bar(strategy)} {strategy_view.totals(strategy, order)}{upcoming}"))
    parts += [Text(line.strip()) for line in strategy_view.price_lines(strategy, order)]
    children = strategy.get("children") or []
    if children:
        shown = table("slot", "child order", "status", f"in ({order['tokenIn']})", f"out ({order['tokenOut']})", "price", "fee", "reason", title="children")
        shown.columns[1].no_wrap = True
        for c in children:
            add_row(shown, c.get("slot", 0) + 1, c["orderId"], status_text(str(c.get("status"))), c.get("amountIn") or "-",
                    c.get("amountOut") or "-", c.get("price") or "-", c.get("fee") or "-", c.get("reason") or "")  # fmt: skip
        parts.append(shown)
    skipped = strategy.get("skipped") or []
    if skipped:
        gaps = table("slot", "reason", title="skipped")
        for s in skipped:
            add_row(gaps, s.get("slot", 0) + 1, s.get("reason") or "")
        parts.append(gaps)
    return parts


def _terms(order: dict) -> str:
    terms = [f"limit {order['limitPrice']} {order['tokenOut']} per {order['tokenIn']}" if order.get("limitPrice") else order.get("type", "market")]
    terms.append(f"slippage {pct(order['slippage'])}")
    if order.get("maxPriceImpact"):
        terms.append(f"max price impact {pct(order['maxPriceImpact'])}")
    if order.get("dexes"):
        terms.append(f"only {', '.join(order['dexes'])}")
    return ", ".join(terms)


def _route_and_fill(order: dict) -> list[str]:
    # The final message's data for a filled order: the route, and whatever of the fill there is.
    report = execution_report(snapshot_data(order, "confirmed"))
    executed_legs = (order.get("execution") or {}).get("legs")
    planned = [] if executed_legs else [leg_line(leg, executed=False) for leg in (order.get("routing") or {}).get("legs") or []]
    return report + planned


# -- quote -----------------------------------------------------------------------------------


def quote_view(answer: dict) -> RenderableType:
    """Every route the engine compared, the one it chose and why, and the quoteId (or why none)."""
    out = answer["tokenOut"]
    head = Text(f"quote: {answer['amountIn']} {answer['tokenIn']} -> {out} (slippage {pct(answer['slippage'])})", style="bold")
    routes = table("route", f"out ({out})", "impact")
    for venue in answer.get("venues") or []:
        add_row(routes, f"{venue['dex'].capitalize()} alone", venue["amountOut"], pct(venue["priceImpact"]))
    for name, other in (("split", answer.get("split")), ("two-hop", answer.get("twoHop"))):
        if other:
            add_row(routes, f"best {name}: {other['description']}", other["amountOut"], pct(other["priceImpact"]))
    route = answer["route"]
    chosen = [
        Text(f"chosen: {route['kind']} {route['description']}: {route['amountOut']} {out}, at least {route['minAmountOut']}", style="bold"),
        Text(f"  why: {answer['reason']}; price impact {pct(route['priceImpact'])} (limit {pct(answer['maxPriceImpact'])})"),
        *lines([leg_line(leg, executed=False) for leg in route["legs"]]),
    ]
    if answer.get("quoteId"):
        ending = Text(f"quoteId (binds an order until {answer['expiresAt']}): {answer['quoteId']}", style="green")
    else:
        ending = Text(f"no quoteId: {answer.get('problem')}", style="red")
    return Group(head, routes, *chosen, ending)


# -- list, keys ------------------------------------------------------------------------------


def orders_table(orders: list[dict]) -> Table:
    shown = table("created", "order", "status", "in", "out")
    shown.columns[1].no_wrap = True  # an id must stay whole to be copied
    for order in orders:
        out = (order.get("execution") or {}).get("amountOut") or (order.get("strategy") or {}).get("filledOut") or "-"
        add_row(shown, order["createdAt"], order["orderId"], status_text(order["status"]), f"{order['amountIn']} {order['tokenIn']}", f"{out} {order['tokenOut']}")
    return shown


def keys_table(keys: list[Any]) -> Table:
    shown = table("KEY ID", "NAME", "OWNER", "RATE", "CREATED", "REVOKED")
    shown.columns[0].no_wrap = True
    for k in keys:
        add_row(shown, k.key_id, k.name, k.owner, k.rate_per_minute, k.created_at, "yes" if k.revoked else "no")
    return shown


# -- submit and watch: the timeline ----------------------------------------------------------


class Offsets:
    """Seconds since the order's first status, by the engine's timestamps (since the view began
    for an update without one)."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.first_ms: int | None = None

    def of(self, update: dict) -> float:
        ms = update.get("timestampMs")
        if ms is None:
            return time.monotonic() - self.began
        self.first_ms = ms if self.first_ms is None else self.first_ms
        return (ms - self.first_ms) / 1000


class Describer:
    """describe(), with the parent's pair and total remembered from its snapshot: a parent's
    push carries its strategy only."""

    def __init__(self) -> None:
        self.order: dict | None = None

    def __call__(self, update: dict) -> str:
        self.order = (update.get("data") or {}).get("order") or self.order
        return describe(update, self.order)


def json_line(update: dict) -> None:
    print(json.dumps(update), flush=True)


def plain_line(offsets: Offsets) -> Callable[[dict], None]:
    described = Describer()

    def show(update: dict) -> None:
        print(f"  +{offsets.of(update):6.2f}s  {progress(update['status']):<60} {described(update)}", flush=True)

    return show


@contextmanager
def live_timeline(console: Console, offsets: Offsets) -> Iterator[Callable[[dict], None]]:
    """A table that grows a row per status, in place, with a spinner while the next is awaited."""
    rows = table("status", "+s", "detail")
    waiting = Spinner("dots", text=Text("waiting for the next status…", style="dim"))
    described = Describer()
    with Live(Group(rows, waiting), console=console, refresh_per_second=12) as live:

        def show(update: dict) -> None:
            status = update["status"]
            add_row(rows, Text(ENDED.get(status, status), style=STATUS_STYLES.get(status, "")), f"{offsets.of(update):.2f}", described(update))
            live.update(Group(rows, waiting))

        try:
            yield show
        finally:
            live.update(rows)  # no spinner once it is over, however it ended


@contextmanager
def timeline(as_json: bool, console: Console, offsets: Offsets) -> Iterator[Callable[[dict], None]]:
    """The view of a followed order: JSON lines, a live table in a terminal, else plain lines."""
    if as_json:
        yield json_line
    elif console.is_interactive:
        with live_timeline(console, offsets) as show:
            yield show
    else:
        yield plain_line(offsets)


def final_report(final: dict, offsets: Offsets) -> list[str]:
    """The last lines of a followed order: how it ended, how long after it was placed, its route and fill."""
    return [f"{final['status']} in {offsets.of(final):.2f}s", *execution_report(final.get("data") or {})]
