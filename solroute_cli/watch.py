"""Follow one order over the WebSocket API until it is final, handing each status once, in seq
order, to a view (views.timeline); and the words a status is shown with."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import aiohttp

from solroute_cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, CliError

STEPS = ["pending", "routing", "building", "submitted", "confirmed"]
FINAL = ("confirmed", "failed", "expired", "cancelled")
ENDED = {"failed": "✗ failed", "expired": "⌛ expired", "cancelled": "⊘ cancelled"}


def describe(update: dict) -> str:
    data = update.get("data") or {}
    status = update.get("status")
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
    if status == "open":
        return "OPEN (waiting for the limit price)"
    reached = STEPS.index(status) if status in STEPS else 0
    return " ▸ ".join(s.upper() if i == reached else s for i, s in enumerate(STEPS[: reached + 1]))


async def follow(
    session: aiohttp.ClientSession, ws_url: str, order_id: str, timeout_s: float, show: Callable[[dict], None],
    headers: dict[str, str] | None = None, where_hint: str = "",
) -> dict:  # fmt: skip
    """Subscribe to ``order_id`` and pass each status to ``show`` once, in seq order, until one is
    final; returns that one. ``headers`` go with the handshake: the API key, which $connect's
    authorizer reads. ``where_hint`` (the `solroute get` to run) ends the timeout's message."""
    in_order, final = InOrder(), None
    try:
        async with session.ws_connect(ws_url, headers=headers, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as socket:
            await socket.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
            deadline = time.monotonic() + timeout_s
            while final is None:
                message = await socket.receive(timeout=max(0.1, deadline - time.monotonic()))
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise CliError("the WebSocket closed before the order was final", EXIT_FAILED)
                for update in in_order.add(updates_from(json.loads(message.data))):
                    show(update)
                    if update["status"] in FINAL:
                        final = update
    except TimeoutError as error:
        raise CliError(f"order {order_id} was not final after {timeout_s:.0f} s; `{where_hint}` shows where it is", EXIT_FAILED) from error
    except aiohttp.WSServerHandshakeError as error:
        refused = " (the API key was refused)" if error.status in (401, 403) else ""
        raise CliError(f"the WebSocket refused the connection: HTTP {error.status}{refused}", EXIT_FAILED) from error
    except aiohttp.ClientConnectionError as error:
        raise CliError(f"could not open the WebSocket at {ws_url}: {error}", EXIT_UNREACHABLE) from error
    return final


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
        raise CliError(f"WebSocket error: {payload['error']['message']}", EXIT_FAILED)
    if payload.get("type") == "snapshot":
        order = payload["order"]
        # A snapshot carries the history; show each step it has with what is known now.
        return [
            {"status": h["status"], "seq": h["seq"], "timestampMs": h.get("timestampMs"), "message": h["message"],
             "data": snapshot_data(order, h["status"])}
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
