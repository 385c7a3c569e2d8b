"""Readable text for a route: the execution report of a final order, and a quote."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def _pct(fraction: object) -> str:
    try:
        return f"{Decimal(str(fraction)) * 100:.3f}%"
    except (InvalidOperation, TypeError):
        return "?"


def _venue(dexes: str | None) -> str:
    return " + ".join(d.capitalize() for d in (dexes or "?").split("+"))


def leg_line(leg: dict, executed: bool) -> str:
    out = f"{leg['amountOut']} {leg['tokenOut']}"
    if executed:
        out = f"{out} (quoted {leg['quotedAmountOut']})"
    return (
        f"    {leg['dex'].capitalize():<8} {leg['amountIn']} {leg['tokenIn']} -> {out}"
        f"  fee {leg['fee']} {leg['tokenIn']}, impact {_pct(leg['priceImpact'])}"
    )


def execution_report(data: dict) -> list[str]:
    """The final message's route and fill (confirmed, or failed on chain), as lines."""
    route = data.get("route") or {}
    execution = data.get("execution", data) or {}
    lines = []
    if route:
        via = f" via {', '.join(route['via'])}" if route.get("via") else ""
        lines.append(f"  route: {route.get('kind', 'direct')} on {_venue(route.get('dexes'))}{via}: {route.get('reason', '')}")
    if execution.get("amountOut") is not None:
        quoted = execution.get("quotedAmountOut")
        fill = f"  fill: {execution['amountOut']}" + (f" (quoted {quoted}" if quoted else "")
        fill += f", slippage {_pct(execution.get('slippage'))}" if quoted else ""
        fill += f", price impact {_pct(execution['priceImpact'])})" if execution.get("priceImpact") is not None else (")" if quoted else "")
        lines.append(fill)
    lines += [leg_line(leg, executed=True) for leg in execution.get("legs") or []]
    return lines


def quote_report(answer: dict) -> list[str]:
    route = answer["route"]
    lines = [f"quote: {answer['amountIn']} {answer['tokenIn']} -> {answer['tokenOut']} (slippage {_pct(answer['slippage'])})"]
    for venue in answer.get("venues") or []:
        lines.append(f"  {venue['dex'].capitalize():<8} alone: {venue['amountOut']} {answer['tokenOut']} (impact {_pct(venue['priceImpact'])})")
    for name, other in (("split", answer.get("split")), ("two-hop", answer.get("twoHop"))):
        if other:
            lines.append(f"  best {name}: {other['description']}: {other['amountOut']} {answer['tokenOut']} (impact {_pct(other['priceImpact'])})")
    lines.append(f"chosen: {route['kind']} {route['description']}: {route['amountOut']} {answer['tokenOut']}, at least {route['minAmountOut']}")
    lines.append(f"  why: {answer['reason']}; price impact {_pct(route['priceImpact'])} (limit {_pct(answer['maxPriceImpact'])})")
    lines += [leg_line(leg, executed=False) for leg in route["legs"]]
    if answer.get("quoteId"):
        lines.append(f"quoteId (binds an order until {answer['expiresAt']}): {answer['quoteId']}")
    else:
        lines.append(f"no quoteId: {answer.get('problem')}")
    return lines
