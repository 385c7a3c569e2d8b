"""A strategy parent (a TWAP or a recurring order) as the CLI shows it: each push while it runs
(slot started, child filled with the running totals, slot skipped and why), the final report,
and the progress and children tables of `solroute get`.

The totals always come from the parent's own `strategy` object (a push's, or a read's): never
from counting pushes, which a lost push or a reconnect would make wrong."""

from __future__ import annotations

ENDED_CHILD = ("failed", "expired", "cancelled")
# What `order` (the parent's pair and total) a push is read with: a push carries the strategy
# only, the subscription's snapshot the whole order.
ORDER_SUMMARY = ("type", "tokenIn", "tokenOut", "amountIn")


def is_parent(order: dict) -> bool:
    return isinstance(order.get("strategy"), dict)


def without_lists(strategy: dict) -> dict:
    """The strategy object as a push carries it (no children, no skipped)."""
    return {name: value for name, value in strategy.items() if name not in ("children", "skipped")}


def slot_count(strategy: dict) -> int | None:
    return strategy.get("slices") or strategy.get("runs")


def slot_labels(strategy: dict) -> dict[int, str]:
    """Each recorded slot's name, as the engine's messages name it: a recurring order's "run k/N";
    a TWAP's "slice k/N", k the slice it was trying to fill (a slot that does not fill is retried
    at a later one, so a TWAP's slots may outnumber its slices)."""
    count = slot_count(strategy) or 0
    if strategy.get("kind") == "recurring":
        return {e["slot"]: f"run {e['slot'] + 1}/{count}" for e in [*(strategy.get("children") or []), *(strategy.get("skipped") or [])]}
    labels, filled = {}, 0
    events = sorted([*(strategy.get("children") or []), *(strategy.get("skipped") or [])], key=lambda e: e.get("slot", 0))
    for event in events:
        labels[event.get("slot", 0)] = f"slice {min(filled + 1, count)}/{count} (slot {event.get('slot', 0)})"
        filled += event.get("status") == "confirmed"
    return labels


def _amount(value: object, token: str | None) -> str:
    return f"{value} {token}" if token else str(value)


def totals(strategy: dict, order: dict | None = None) -> str:
    """filled k/N, filledIn/total tokenIn in, filledOut tokenOut out, average price: the strategy's own."""
    order = order or {}
    count = slot_count(strategy)
    filled_in = f"{strategy.get('filledIn', '0')}/{order['amountIn']}" if order.get("amountIn") else strategy.get("filledIn", "0")
    return (
        f"filled {strategy.get('filled', 0)}/{count if count else '?'}, {_amount(filled_in, order.get('tokenIn'))} in, "
        f"{_amount(strategy.get('filledOut', '0'), order.get('tokenOut'))} out, average price {_price(strategy.get('averagePrice'), order)}"
    )


def child_line(label: str, child: dict, order: dict | None = None) -> str:
    """A child as it stands: started (in flight), filled, or ended unfilled with its reason."""
    order = order or {}
    status, child_id = child.get("status"), child.get("orderId")
    sold = _amount(child.get("amountIn"), order.get("tokenIn"))
    if status == "confirmed":
        return f"{label} filled: child {child_id} {sold} -> {_amount(child.get('amountOut'), order.get('tokenOut'))} at {_price(child.get('price'), order)}"
    if status in ENDED_CHILD:
        return f"{label} not filled: child {child_id} {status}: {child.get('reason') or 'no reason given'}"
    return f"{label} started: child {child_id} sells {sold}"


def describe_parent(update: dict, order: dict | None = None) -> str:
    """One status of a parent: the engine's words for it (a slot started, a child filled or not,
    a slot skipped and why, a cancel requested, the end), the same whether it came live or in a
    snapshot, then the running totals when the update carries the strategy."""
    strategy = (update.get("data") or {}).get("strategy")
    message = str(update.get("message", ""))
    return f"{message} | {totals(strategy, order)}" if strategy else message


def report(order: dict) -> list[str]:
    """The final report of a parent read whole (GET): how it ended and its totals against the
    arrival price, fees, the skipped slots and why, and every child with its outcome."""
    strategy = order["strategy"]
    lines = [f"  {order.get('type', strategy.get('kind'))} {order['status']}: {totals(strategy, order)}"]
    lines += price_lines(strategy, order)
    labels = slot_labels(strategy)
    skipped = strategy.get("skipped") or []
    if skipped:
        lines.append(f"  skipped ({len(skipped)}):")
        lines += [f"    {labels[s['slot']]}: {s.get('reason')}" for s in skipped]
    children = strategy.get("children") or []
    if children:
        lines.append(f"  children ({len(children)}):")
        lines += [f"    {child_line(labels[c['slot']], c, order)}" for c in children]
    return lines


def price_lines(strategy: dict, order: dict | None = None) -> list[str]:
    """Average against arrival (shortfall in bps: positive is worse than at arrival) and the fees."""
    order = order or {}
    lines = []
    if strategy.get("arrivalPrice") is not None:
        shortfall = f", shortfall {strategy['shortfallBps']} bps" if strategy.get("shortfallBps") is not None else ""
        lines.append(f"  price: average {_price(strategy.get('averagePrice'), order)} vs arrival {_price(strategy['arrivalPrice'], order)}{shortfall}")
    if strategy.get("fees") is not None or strategy.get("networkFees") is not None:
        network = f", network fees {strategy['networkFees']} SOL" if strategy.get("networkFees") is not None else ""
        lines.append(f"  fees: {_amount(strategy.get('fees', '0'), order.get('tokenIn'))}{network}")
    return lines


def schedule_text(strategy: dict) -> str:
    """Its terms: every how long, how many, the limit or band, retries and jitter."""
    if strategy.get("kind") not in ("twap", "recurring"):  # a sniper: one buy, when its condition holds
        return f"{strategy.get('kind')}, max price {strategy.get('maxPrice')} (tokenIn per tokenOut)"
    terms = [f"{slot_count(strategy)} {'runs' if strategy.get('kind') == 'recurring' else 'slices'} every {strategy.get('intervalSeconds')}s"]
    if strategy.get("sliceAmount"):
        terms.append(f"{strategy['sliceAmount']} each")
    if strategy.get("limitPrice"):
        terms.append(f"limit {strategy['limitPrice']}")
    if strategy.get("minPrice") or strategy.get("maxPrice"):
        terms.append(f"band {strategy.get('minPrice') or '-'}..{strategy.get('maxPrice') or '-'}")
    if strategy.get("kind") == "twap":
        terms.append(f"retries {strategy.get('retriesUsed', 0)}/{strategy.get('maxRetries')}")
    if strategy.get("jitterSeconds"):
        terms.append(f"jitter {strategy['jitterSeconds']}s")
    return ", ".join(terms)


def progress_bar(strategy: dict, width: int = 20) -> str:
    count = slot_count(strategy) or 0
    filled = min(int(strategy.get("filled") or 0), count)
    done = round(width * filled / count) if count else 0
    return "[" + "#" * done + "." * (width - done) + "]"


def cancel_line(order: dict, watch_hint: str) -> str:
    """What a DELETE of a parent did: cancelled at once, or requested while a child finishes."""
    strategy = order["strategy"]
    if order["status"] != "active":
        return f"order {order['orderId']} {order['status']}: {totals(strategy, order)}"
    inflight = strategy.get("inflight")
    child = next((c for c in strategy.get("children") or [] if c.get("orderId") == inflight), None)
    which = f"child {inflight}" + (f" of {slot_labels(strategy)[child['slot']]}" if child else "")
    return (
        f"cancel requested for order {order['orderId']}: {which} has started routing and finishes first (its fill counts); "
        f"no new slot starts, and the order ends cancelled when it lands (`{watch_hint}` follows it)"
    )


def _price(value: object, order: dict | None) -> str:
    """A price as the engine records every fill's: tokenOut per tokenIn, with its unit (a
    sniper's maxPrice is the other way round, so the unit is never left to guess)."""
    if value in (None, ""):
        return "-"
    text = str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {order.get('tokenOut')} per {order.get('tokenIn')}" if order and order.get("tokenOut") else text
