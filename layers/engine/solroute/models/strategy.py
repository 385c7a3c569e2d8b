"""A strategy order (TWAP, recurring): a parent that runs ordinary market orders, its children,
one slot at a time (docs/strategies.md). What the parent records: its plan, where it is, each
child's outcome and each skipped slot, and the running totals a client reads."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from solroute.models.amounts import Amount

STRATEGY_TYPES = ("twap", "recurring", "sniper")
SNIPER_RETRIES = 2  # a sniper whose buy does not confirm fires again (while its condition holds), this many times
MAX_SLOTS = 100  # slices or runs: the parent item is rewritten at each slot, and DynamoDB bills an update by the item's size
MIN_TWAP_INTERVAL_SECONDS = 10
MIN_RECURRING_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 30 * 24 * 3600
MAX_RETRIES = 1000
_CHILD_NAMESPACE = uuid.UUID("6f1d2c56-3b55-4f61-9a43-7e3e8c2b9d10")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ChildFill(_Model):
    """One child order, as the parent records it: started, then its final outcome."""

    slot: int
    orderId: str
    amountIn: Amount
    status: str  # the child's status when last read ("pending" while it runs)
    amountOut: Amount | None = None
    price: Amount | None = None  # tokenOut per tokenIn, as executed
    fee: Amount | None = None  # in tokenIn
    networkFee: Amount | None = None  # SOL, on a Solana chain
    atMs: int  # when the slot started it
    endedAtMs: int | None = None
    reason: str | None = None  # why it did not confirm


class SkippedSlot(_Model):
    slot: int
    atMs: int
    reason: str


class Strategy(_Model):
    kind: str  # twap | recurring | sniper
    slices: int  # the fills it aims for (a TWAP's slices, a recurring order's runs)
    sliceAmount: Amount  # tokenIn a child spends (a TWAP's last slice spends what is left)
    intervalSeconds: int
    startMs: int
    jitterSeconds: int = 0
    limitPrice: Amount | None = None  # TWAP: the least tokenOut per tokenIn a slice accepts
    minPrice: Amount | None = None  # recurring: a run outside [minPrice, maxPrice] is skipped
    maxPrice: Amount | None = None  # recurring: tokenOut per tokenIn, as minPrice; a sniper: the most tokenIn it pays per tokenOut
    minLiquidity: Amount | None = None  # a sniper fires once the pool holds this much of its quote token (None: once it appears)
    maxRetries: int = 0  # TWAP: slots that may go unfilled (skipped, or a child not confirmed) before it ends
    keyRatePerMinute: int = 0  # the key's rate when the parent was placed: each child counts against it
    # Where it is.
    nextSlot: int = 0
    nextAtMs: int | None = None  # when the next slot is due (None: it starts no more)
    retriesUsed: int = 0
    inflight: str | None = None  # the child running now (one at a time)
    cancelRequested: bool = False
    lastSlot: int | None = None  # the slot the latest change is about (its child or skip)
    # Totals, from the confirmed children.
    filled: int = 0
    filledIn: Amount = Decimal(0)
    filledOut: Amount = Decimal(0)
    fees: Amount = Decimal(0)
    networkFees: Amount = Decimal(0)
    arrivalPrice: Amount | None = None  # the best route's zero-size rate when the first slot was judged
    averagePrice: Amount | None = None  # filledOut / filledIn
    shortfallBps: Amount | None = None  # (arrival - average) / arrival, in basis points: positive is worse than arrival
    children: list[ChildFill] = Field(default_factory=list)
    skipped: list[SkippedSlot] = Field(default_factory=list)

    def due_at_ms(self, slot: int) -> int:
        """When ``slot`` is due: on the grid of the interval, plus the slot's jitter."""
        return self.startMs + slot * self.intervalSeconds * 1000 + jitter_ms(self, slot)

    @property
    def is_twap(self) -> bool:
        return self.kind == "twap"

    @property
    def is_sniper(self) -> bool:
        return self.kind == "sniper"

    def child(self, order_id: str | None) -> ChildFill | None:
        return next((c for c in reversed(self.children) if c.orderId == order_id), None) if order_id else None


def jitter_ms(strategy: Strategy, slot: int) -> int:
    """A fixed delay per slot in [0, jitterSeconds] (from the start time and the slot: every
    trigger run computes the same one, so a duplicate tick never starts a slot early)."""
    if not strategy.jitterSeconds or slot == 0:
        return 0
    digest = hashlib.sha256(f"{strategy.startMs}/{slot}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % (strategy.jitterSeconds * 1000 + 1)


def child_order_id(parent_id: str, slot: int) -> str:
    """The id of the child ``slot`` of ``parent_id`` makes: the same every time, so a slot
    started twice (a duplicate tick, a run that crashed between its writes) makes one child."""
    return str(uuid.uuid5(_CHILD_NAMESPACE, f"{parent_id}/{slot}"))
