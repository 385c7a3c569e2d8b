"""A strategy parent as the API shows it (docs/api.md, the issue 27 contract): built step by step,
each step one status change (the parent stays "active", seq+1, one history entry). At any seq:
the order GET /api/orders/{id} answers and the subscription's snapshot carries (children and
skipped included), and the push of that step ({"strategy": <without children/skipped>, "child",
"skip"})."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

PARENT_ID = "5b1f9c1e-2f0a-4c1d-9e57-0a1b2c3d4e5f"
START_MS = 1_767_225_600_000


def child_id(slot: int) -> str:
    return f"c0c0c0c0-0000-5000-8000-{slot:012d}"


@dataclass
class Parent:
    """A parent and its steps; ``at(seq)`` is the order as it was after step ``seq``."""

    kind: str = "twap"
    token_in: str = "SOL"
    token_out: str = "USDC"
    amount_in: str = "3"
    slices: int = 3
    slice_amount: str = "1"
    interval_s: int = 10
    start_ms: int = START_MS
    extra: dict = field(default_factory=dict)  # limitPrice, minPrice, maxPrice, maxRetries, jitterSeconds
    steps: list[tuple[dict, dict]] = field(default_factory=list)  # (order, push) after each step

    def __post_init__(self) -> None:
        strategy = {
            "kind": self.kind, "slices": self.slices, "sliceAmount": self.slice_amount, "intervalSeconds": self.interval_s,
            "startMs": self.start_ms, "jitterSeconds": 0, "limitPrice": None, "minPrice": None, "maxPrice": None,
            "maxRetries": self.slices if self.kind == "twap" else 0, "nextSlot": 0, "nextAtMs": self.start_ms, "retriesUsed": 0,
            "inflight": None, "filled": 0, "filledIn": "0", "filledOut": "0", "fees": "0", "networkFees": "0",
            "arrivalPrice": None, "averagePrice": None, "shortfallBps": None, "cancelRequested": False, "children": [], "skipped": [],
        }  # fmt: skip
        strategy.update(self.extra)
        order = {
            "orderId": PARENT_ID, "type": self.kind, "tokenIn": self.token_in, "tokenOut": self.token_out, "amountIn": self.amount_in,
            "slippage": "0.01", "wallet": None, "maxPriceImpact": None, "dexes": None, "quote": None, "limitPrice": None,
            "expiresAtMs": None, "owner": "owner-a", "status": "active", "seq": 0, "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z", "statusAtMs": self.start_ms, "history": [], "attempts": 0,
            "attemptStartedAtMs": [], "quotes": None, "routing": None, "transaction": None, "execution": None,
            "failureReason": None, "strategy": strategy,
        }  # fmt: skip
        pair = f"{self.token_in} -> {self.token_out}"
        plan = (f"TWAP active: {self.amount_in} {pair} in {self.slices} slices, one every {self.interval_s} s" if self.kind == "twap"
                else f"Recurring active: {self.slice_amount} {pair} every {self.interval_s} s, {self.slices} runs")  # fmt: skip
        self._step(order, plan)

    @property
    def last(self) -> dict:
        return self.steps[-1][0]

    def at(self, seq: int) -> dict:
        return copy.deepcopy(self.steps[seq - 1][0])

    def push(self, seq: int) -> dict:
        return copy.deepcopy(self.steps[seq - 1][1])

    def snapshot(self, seq: int) -> dict:
        order = self.at(seq)
        return {"type": "snapshot", "orderId": PARENT_ID, "status": order["status"], "seq": seq, "history": order["history"], "order": order}

    def _label(self, slot: int) -> str:
        """As the engine words it (solroute.logic.strategies): a TWAP counts slices, not slots."""
        if self.kind == "twap":
            return f"Slice {min(self.last['strategy']['filled'] + 1, self.slices)}/{self.slices}"
        return f"Run {slot + 1}/{self.slices}"

    def _retried(self, strategy: dict) -> str:
        return f"; retried at the next interval ({strategy['retriesUsed']} of {strategy['maxRetries']} retries used)" if self.kind == "twap" else ""

    def _step(self, order: dict, message: str, status: str = "active", child: dict | None = None, skip: dict | None = None) -> None:
        order = copy.deepcopy(order)
        seq = order["seq"] + 1
        at_ms = self.start_ms + 1000 * seq
        order.update(status=status, seq=seq, statusAtMs=at_ms)
        order["history"].append({"status": status, "seq": seq, "timestamp": f"2026-01-01T00:00:{seq:02d}.000Z", "timestampMs": at_ms, "message": message})
        public = {name: value for name, value in order["strategy"].items() if name not in ("children", "skipped")}
        push = {"type": "status_update", "orderId": PARENT_ID, "status": status, "seq": seq, "timestamp": order["history"][-1]["timestamp"],
                "timestampMs": at_ms, "message": message, "data": {"strategy": public, "child": child, "skip": skip}}  # fmt: skip
        self.steps.append((order, push))

    def start(self, slot: int, amount_in: str | None = None) -> Parent:
        order = copy.deepcopy(self.last)
        strategy = order["strategy"]
        amount = amount_in or self.slice_amount
        entry = {"slot": slot, "orderId": child_id(slot), "amountIn": amount, "status": "pending", "amountOut": None, "price": None,
                 "fee": None, "atMs": self.start_ms + slot * self.interval_s * 1000, "reason": None}  # fmt: skip
        strategy["children"].append(entry)
        strategy.update(inflight=entry["orderId"], nextSlot=slot + 1, nextAtMs=self.start_ms + (slot + 1) * self.interval_s * 1000)
        if strategy["arrivalPrice"] is None:
            strategy["arrivalPrice"] = "150.2"
        self._step(order, f"{self._label(slot)} started: child {entry['orderId']} sells {amount} {self.token_in}", child=entry)
        return self

    def land(self, slot: int, price: str = "150.1", status: str = "confirmed", reason: str | None = None) -> Parent:
        order = copy.deepcopy(self.last)
        strategy = order["strategy"]
        entry = next(c for c in strategy["children"] if c["slot"] == slot)
        entry["status"] = status
        strategy["inflight"] = None
        if status == "confirmed":
            amount_in = Decimal(entry["amountIn"])
            out = amount_in * Decimal(price)
            entry.update(amountOut=str(out), price=price, fee=str(amount_in * Decimal("0.003")))
            filled_in, filled_out = Decimal(strategy["filledIn"]) + amount_in, Decimal(strategy["filledOut"]) + out
            average = filled_out / filled_in
            strategy.update(filled=strategy["filled"] + 1, filledIn=str(filled_in), filledOut=str(filled_out),
                            fees=str(Decimal(strategy["fees"]) + Decimal(entry["fee"])), networkFees=str(Decimal(strategy["networkFees"]) + Decimal("0.000005")),
                            averagePrice=str(average.quantize(Decimal("0.000001"))),
                            shortfallBps=str(((Decimal(strategy["arrivalPrice"]) - average) / Decimal(strategy["arrivalPrice"]) * 10000).quantize(Decimal("0.1"))))  # fmt: skip
            message = (f"{self._label(slot)} filled: {entry['amountIn']} {self.token_in} -> {entry['amountOut']} {self.token_out} at {price};"
                       f" filled {filled_in}/{self.amount_in} {self.token_in}, average {strategy['averagePrice']}")  # fmt: skip
        else:
            entry["reason"] = reason
            strategy["retriesUsed"] += 1
            message = f"{self._label(slot)} not filled: child {entry['orderId']} {status} ({reason}){self._retried(strategy)}"
        self._step(order, message, child=entry)
        return self

    def skip(self, slot: int, reason: str) -> Parent:
        order = copy.deepcopy(self.last)
        strategy = order["strategy"]
        entry = {"slot": slot, "atMs": self.start_ms + slot * self.interval_s * 1000, "reason": reason}
        strategy["skipped"].append(entry)
        strategy.update(nextSlot=slot + 1, nextAtMs=self.start_ms + (slot + 1) * self.interval_s * 1000, retriesUsed=strategy["retriesUsed"] + 1)
        self._step(order, f"{self._label(slot)} skipped: {reason}{self._retried(strategy)}", skip=entry)
        return self

    def request_cancel(self) -> Parent:
        order = copy.deepcopy(self.last)
        order["strategy"].update(cancelRequested=True, nextAtMs=None)
        inflight = order["strategy"]["inflight"]
        self._step(order, f"Cancel requested: no slot starts again; child {inflight} has started and finishes truthfully (its fill counts)")
        return self

    def end(self, status: str) -> Parent:
        order = copy.deepcopy(self.last)
        strategy = order["strategy"]
        strategy.update(nextAtMs=None, inflight=None)
        self._step(order, f"Nothing left to start. {status.replace('_', ' ').capitalize()}: {strategy['filled']}/{self.slices} filled", status=status)
        return self


def completed_twap() -> Parent:
    """3 slices of 1 SOL with a limit: slice 2's first slot skipped below it, filled at the next."""
    parent = Parent(extra={"limitPrice": "140"})
    parent.start(0).land(0, "150.1").skip(1, "the best price 139.8 is below the limit 140")
    return parent.start(2).land(2, "150.3").start(3).land(3, "149.9").end("completed")
