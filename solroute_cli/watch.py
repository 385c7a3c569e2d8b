"""An order's statuses as a client receives them: from a WebSocket message or a read of the order,
each once and in seq order (InOrder), and the words a status is shown with. follow.py follows an
order with them."""

from __future__ import annotations

from solroute_cli import strategy_view
from solroute_cli.errors import EXIT_FAILED, CliError

STEPS = ["pending", "routing", "building", "submitted", "confirmed"]
ENDED = {"failed": "✗ failed", "expired": "⌛ expired", "cancelled": "⊘ cancelled", "partially_filled": "◐ partially filled"}
# A strategy parent's own statuses (its children are orders with the STEPS above).
PARENT = {"active": "ACTIVE", "completed": "✓ completed"}
SUCCEEDED = ("confirmed", "completed")  # exit 0; any other final status exits 1


def describe(update: dict, order: dict | None = None) -> str:
    """A status in words; a strategy parent's with its running totals (``order``: its pair and total)."""
    data = update.get("data") or {}
    status = update.get("status")
    if "strategy" in data:
        return strategy_view.describe_parent(update, order)
    if status == "building" and data.get("routing"):
        return data["routing"]["reason"]
    if status == "submitted":
        return f"tx {str(data.get('txSignature', ''))[:20]}… on {data.get('dex')}, min out {data.get('minAmountOut')}"
    if status == "confirmed":
        return f"received {data.get('amountOut')} at {data.get('executedPrice')} on {data.get('dex')} (slippage {data.get('slippage')})"
    if status in ENDED:
        return str(data.get("reason") or update.get("message"))
    return str(update.get("message", ""))


def progress(status: str) -> str:
    if status in ENDED:
        return ENDED[status]
    if status in PARENT:
        return PARENT[status]
    if status == "open":
        return "OPEN (waiting for the limit price)"
    reached = STEPS.index(status) if status in STEPS else 0
    return " ▸ ".join(s.upper() if i == reached else s for i, s in enumerate(STEPS[: reached + 1]))


class InOrder:
    """Each status once, in seq order. A live update can arrive before the subscription's
    snapshot (the broadcast overtakes it); showing it at once would skip the statuses before it
    for good, so it waits until the snapshot fills the gap (the snapshot always comes, and holds
    the whole history up to its own seq)."""

    def __init__(self) -> None:
        self.last_seq = 0
        self.waiting: dict[int, dict] = {}

    def add(self, updates: list[dict]) -> list[dict]:
        """The updates that can be shown now, in order (none twice)."""
        for update in updates:
            if update["seq"] > self.last_seq:
                self.waiting.setdefault(update["seq"], update)  # a snapshot and a broadcast can overlap: the first stays
        ready = []
        while self.last_seq + 1 in self.waiting:
            self.last_seq += 1
            ready.append(self.waiting.pop(self.last_seq))
        return ready


def updates_from(payload: dict) -> list[dict]:
    if payload.get("type") == "error":
        error = payload.get("error") or {}
        raise CliError(f"WebSocket error: {error.get('message')}", EXIT_FAILED, error_code=error.get("code"), details=error.get("details"))
    if payload.get("type") == "snapshot":
        order = payload["order"]
        if strategy_view.is_parent(order):
            return parent_updates(order, payload["history"])
        # A snapshot carries the history; show each step it has with what is known now.
        # The same fields a live status_update has, so --json prints one shape whichever way a status came.
        return [
            {"type": "status_update", "orderId": order.get("orderId") or payload.get("orderId"), "status": h["status"], "seq": h["seq"],
             "timestamp": h.get("timestamp"), "timestampMs": h.get("timestampMs"), "message": h["message"], "data": snapshot_data(order, h["status"])}
            for h in payload["history"]
        ]
    return [payload] if payload.get("type") == "status_update" else []


def snapshot_data(order: dict, status: str) -> dict:
    if status == "building":
        return {"routing": order.get("routing")}
    if status == "submitted":
        tx = order.get("transaction") or {}
        return {"txSignature": tx.get("signature"), "dex": tx.get("dex"), "minAmountOut": tx.get("minAmountOut")}
    routing = order.get("routing") or {}
    route = {"kind": routing.get("kind"), "dexes": routing.get("dex"), "via": routing.get("via"), "reason": routing.get("reason")} if routing else None
    if status == "confirmed":
        return {**(order.get("execution") or {}), "route": route}
    if status == "failed":
        return {"reason": order.get("failureReason"), "execution": order.get("execution"), "route": route}
    if status in ("expired", "cancelled"):
        return {"reason": order.get("failureReason")}
    return {}


def parent_updates(order: dict, history: list[dict]) -> list[dict]:
    """A parent's snapshot as updates in a push's shape. An earlier step has only the engine's
    words of that moment; the last carries the strategy's totals as the snapshot has them (the
    totals a view shows come from the parent, never from counting pushes). Each names the pair and
    total (``order``), which a push does not carry."""
    summary = {name: order.get(name) for name in strategy_view.ORDER_SUMMARY}
    last = history[-1]["seq"] if history else None
    return [
        {"type": "status_update", "orderId": order.get("orderId"), "status": h["status"], "seq": h["seq"], "timestamp": h.get("timestamp"),
         "timestampMs": h.get("timestampMs"), "message": h["message"],
         "data": {"strategy": strategy_view.without_lists(order["strategy"]) if h["seq"] == last else None, "child": None, "skip": None, "order": summary}}
        for h in history
    ]  # fmt: skip
