"""Turn an order's status change into the message its WebSocket subscribers receive."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from solroute.dal.ports import ConnectionGone, ConnectionRepository, Notifier
from solroute.models.order import Order, OrderStatus

logger = Logger(child=True)
S = OrderStatus


def status_data(order: Order) -> dict:
    """What is new at this status, in JSON form (amounts as decimal strings)."""
    dump = order.model_dump(mode="json")
    if order.status is S.PENDING:
        return {k: dump[k] for k in ("tokenIn", "tokenOut", "amountIn", "slippage", "type")}
    if order.status is S.BUILDING:
        return {"quotes": dump["quotes"], "routing": dump["routing"]}
    if order.status is S.SUBMITTED:
        tx = dump["transaction"] or {}
        return {"txSignature": tx.get("signature"), "dex": tx.get("dex"), "minAmountOut": tx.get("minAmountOut")}
    if order.status is S.CONFIRMED:
        return dict(dump["execution"] or {})
    if order.status is S.FAILED:
        return {"reason": order.failureReason, "attempts": order.attempts, "execution": dump["execution"]}
    return {}


def status_update(order: Order) -> dict:
    last = order.history[-1]
    return {
        "type": "status_update",
        "orderId": order.orderId,
        "status": order.status.value,
        "seq": order.seq,
        "timestamp": last.timestamp,
        "timestampMs": last.timestampMs,
        "message": last.message,
        "data": status_data(order),
    }


def snapshot(order: Order) -> dict:
    dump = order.model_dump(mode="json", exclude={"lastChange"})
    return {
        "type": "snapshot",
        "orderId": order.orderId,
        "status": order.status.value,
        "seq": order.seq,
        "history": dump["history"],
        "order": dump,
    }


@dataclass
class BroadcastReport:
    sent: int = 0
    gone: int = 0
    errors: int = 0


class Broadcaster:
    def __init__(self, connections: ConnectionRepository, notifier: Notifier, max_parallel: int = 8) -> None:
        self.connections = connections
        self.notifier = notifier
        self._pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="post")

    def broadcast(self, order: Order) -> BroadcastReport:
        message = status_update(order)
        report = BroadcastReport()
        connection_ids = self.connections.connections_for(order.orderId)
        for connection_id, outcome in zip(connection_ids, self._pool.map(lambda c: self._post(c, message), connection_ids)):
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "gone":
                self.connections.remove_connection(connection_id)
        logger.info(
            "status broadcast",
            extra={"order_id": order.orderId, "status": order.status.value, "seq": order.seq, **report.__dict__},
        )
        return report

    def _post(self, connection_id: str, message: dict) -> str:
        try:
            self.notifier.send(connection_id, message)
            return "sent"
        except ConnectionGone:
            logger.info("connection gone; removing it", extra={"connection_id": connection_id})
            return "gone"
        except Exception:  # one bad connection must never fail or stall the batch
            logger.exception("post to connection failed", extra={"connection_id": connection_id})
            return "errors"
