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
    return lines + chain_lines(execution)


def signed(amount: str) -> str:
    return amount if str(amount).startswith("-") else f"+{amount}"


def chain_lines(execution: dict) -> list[str]:
    """On a Solana chain: the transaction (its signature, slot and network fee) and how the
    wallet's balances moved; nothing for an order settled on the simulated ledger."""
    lines = []
    if execution.get("slot") is not None or execution.get("networkFee") is not None:
        facts = [f"tx {execution.get('txHash')}"]
        if execution.get("slot") is not None:
            facts.append(f"slot {execution['slot']}")
        if execution.get("networkFee") is not None:
            facts.append(f"network fee {execution['networkFee']} SOL")
        lines.append(f"  chain: {', '.join(facts)}")
    changes = execution.get("balanceChanges")
    if changes is not None:
        moved = ", ".join(f"{signed(amount)} {token}" for token, amount in changes.items()) or "nothing moved"
        lines.append(f"  wallet: {moved}")
    return lines
