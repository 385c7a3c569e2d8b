"""Readable lines for a route: the execution report of a final order, and one leg of a route."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def pct(fraction: object) -> str:
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
        f"  fee {leg['fee']} {leg['tokenIn']}, impact {pct(leg['priceImpact'])}"
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
        fill += f", slippage {pct(execution.get('slippage'))}" if quoted else ""
        fill += f", price impact {pct(execution['priceImpact'])})" if execution.get("priceImpact") is not None else (")" if quoted else "")
        lines.append(fill)
    lines += [leg_line(leg, executed=True) for leg in execution.get("legs") or []]
    return lines
