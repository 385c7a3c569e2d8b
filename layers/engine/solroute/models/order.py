"""The order as the domain sees it, and the pieces recorded on it as it moves."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from solroute.models.amounts import Amount


class OrderStatus(str, Enum):
    PENDING = "pending"
    ROUTING = "routing"
    BUILDING = "building"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class HistoryEntry(_Model):
    status: OrderStatus
    seq: int
    timestamp: str  # ISO-8601 UTC, millisecond precision
    timestampMs: int
    message: str


class Quote(_Model):
    dex: str
    poolId: str
    amountIn: Amount
    amountOut: Amount  # net: after the pool fee and price impact
    fee: Amount  # in tokenIn
    feeRate: Amount
    price: Amount  # amountOut / amountIn
    priceImpact: Amount  # fraction of the spot price lost to size


class RoutingDecision(_Model):
    dex: str
    amountOut: Amount
    minAmountOut: Amount
    reason: str


class SignedSwap(_Model):
    """The transaction as built: its signature is stored before it is ever sent."""

    signature: str
    dex: str
    poolId: str
    tokenIn: str
    tokenOut: str
    amountIn: Amount
    quotedAmountOut: Amount
    minAmountOut: Amount


class ExecutionResult(_Model):
    txHash: str
    dex: str
    amountOut: Amount
    executedPrice: Amount
    fee: Amount
    slippage: Amount  # realised: (quoted - executed) / quoted; negative means better than quoted


class Order(_Model):
    orderId: str
    type: str = "market"
    tokenIn: str
    tokenOut: str
    amountIn: Amount
    slippage: Amount
    wallet: str | None = None
    # Whose order it is: the owner of the API key that submitted it (from the authorizer's
    # context, never from the request). Only that owner can read or follow it.
    owner: str | None = None
    status: OrderStatus = OrderStatus.PENDING
    seq: int = 1
    createdAt: str
    updatedAt: str
    statusAtMs: int
    history: list[HistoryEntry] = Field(default_factory=list)
    attempts: int = 0
    attemptStartedAtMs: list[int] = Field(default_factory=list)  # one entry per attempt: shows the backoff
    quotes: list[Quote] = Field(default_factory=list)
    routing: RoutingDecision | None = None
    transaction: SignedSwap | None = None
    execution: ExecutionResult | None = None
    failureReason: str | None = None
    # While pending: if the order has not started by then, the sweeper fails it (it was never
    # queued, or its queue message is gone). Cleared when the order leaves pending.
    startDeadlineMs: int | None = None
    # "status" when the last write changed the status: the stream filter keys on it.
    lastChange: str = "status"

    @property
    def is_final(self) -> bool:
        return self.status in (OrderStatus.CONFIRMED, OrderStatus.FAILED)
