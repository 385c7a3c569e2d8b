"""The CLI's execution report and quote, rendered from what the engine really produces."""

import io
import json

from rich.console import Console
from solroute.logic.broadcast import status_update

from solroute_cli.report import execution_report
from solroute_cli.views import quote_view
from tests.support.stand_in import quote_answer
from tests.support.engine import build_engine


def rendered(renderable: object) -> list[str]:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_a_split_orders_report_shows_the_route_why_it_won_the_fill_and_each_leg():
    engine = build_engine()
    order = engine.submit(tokenIn="JUP", tokenOut="USDC", amountIn="200000")
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    assert final.status.value == "confirmed", final.failureReason
    lines = execution_report(status_update(final)["data"])
    assert lines[0].startswith("  route: split on ") and "over Meteora alone" in lines[0]
    assert lines[1].startswith(f"  fill: {final.execution.amountOut} (quoted {final.execution.quotedAmountOut}, slippage ")
    legs = [line for line in lines if line.startswith("    ")]
    assert len(legs) == 2 and all("JUP -> " in leg and "fee " in leg and "impact " in leg for leg in legs)


def test_a_quote_shows_each_venue_alone_and_the_best_split_in_one_table():
    answer = quote_answer("JUP", "USDC", 200000)
    lines = rendered(quote_view(answer))
    for venue in answer["venues"]:
        assert any(line.split()[:2] == [venue["dex"].capitalize(), "alone"] and venue["amountOut"] in line for line in lines), venue["dex"]
    assert any(line.strip().startswith("best split: ") and answer["split"]["amountOut"] in line for line in lines)
    assert any(line.startswith("chosen: split ") for line in lines)


def test_a_two_hop_quote_names_the_intermediate_and_prints_its_quote_id():
    answer = quote_answer("WIF", "USDC", 100)
    lines = rendered(quote_view(answer))
    assert lines[0] == "quote: 100 WIF -> USDC (slippage 1.000%)"
    assert any(line.strip().startswith("best two-hop: ") for line in lines)
    assert any(line.startswith("chosen: two-hop Meteora -> SOL -> ") for line in lines)
    assert sum(1 for line in lines if line.startswith("    ") and " fee " in line) == len(answer["route"]["legs"]) == 2, "its legs"
    assert lines[-1].startswith("quoteId (binds an order until ") and answer["quoteId"] in lines[-1]


def test_a_quote_over_the_limit_says_why_no_quote_id():
    assert rendered(quote_view(quote_answer("SOL", "USDC", 10**6)))[-1].startswith("no quoteId: price impact ")


def test_a_snapshot_gives_the_report_what_the_live_final_message_gives():
    from solroute.logic.broadcast import snapshot

    from solroute_cli.watch import updates_from

    engine = build_engine()
    order = engine.submit(tokenIn="WIF", tokenOut="USDC", amountIn="100")
    engine.run(order.orderId)
    final = engine.orders.get(order.orderId)
    from_snapshot = updates_from(json.loads(json.dumps(snapshot(final))))[-1]
    live = json.loads(json.dumps(status_update(final)))
    assert execution_report(from_snapshot["data"]) == execution_report(live["data"])
    first = execution_report(live["data"])[0]
    assert first.startswith("  route: two-hop on ") and " via SOL: no direct pool: " in first
