"""The order as the domain sees it, and the pieces recorded on it as it moves."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from solroute.models.amounts import Amount
from solroute.models.status import FINAL_STATUSES, OrderStatus  # noqa: F401 - importers of the order find its statuses here too
from solroute.models.strategy import Strategy
from solroute.models.webhooks import WebhookAttempt


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


class RouteLeg(_Model):
    """One swap instruction of a route's transaction, as quoted."""

    dex: str
    poolId: str
    tokenIn: str
    tokenOut: str
    amountIn: Amount
    amountOut: Amount  # quoted, net of the pool fee and this leg's price impact
    fee: Amount  # in this leg's tokenIn
    priceImpact: Amount  # of this leg alone


class RoutingDecision(_Model):
    dex: str  # the venue, or the venues of a route joined by "+" (for example "meteora+raydium")
    amountOut: Amount
    minAmountOut: Amount
    reason: str
    # The route (orders routed before 2026-12-03 have none: one leg on ``dex``).
    kind: str = "direct"  # direct | split | two-hop
    via: list[str] = Field(default_factory=list)  # the intermediate token of a two-hop route
    priceImpact: Amount | None = None  # of the whole route
    legs: list[RouteLeg] = Field(default_factory=list)


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
    # Every leg of the route, in order: all of them are instructions of this one transaction,
    # so the route lands whole or not at all (empty for swaps built before 2026-12-03).
    legs: list[RouteLeg] = Field(default_factory=list)
    # On a Solana chain (the RPC chain): the signed transaction's bytes (base64), the block height
    # after which its blockhash can no longer land, and the wallet that signed it. Stored before
    # the transaction is ever sent, so a later delivery resends these same bytes, never new ones.
    raw: str | None = None
    lastValidBlockHeight: int | None = None
    payer: str | None = None


class ExecutedLeg(RouteLeg):
    """A leg as the chain executed it: ``amountOut`` is what it paid."""

    quotedAmountOut: Amount


class ExecutionResult(_Model):
    txHash: str
    dex: str
    amountOut: Amount
    executedPrice: Amount
    fee: Amount  # in tokenIn (the first hop's legs)
    slippage: Amount  # realised: (quoted - executed) / quoted; negative means better than quoted
    quotedAmountOut: Amount | None = None
    priceImpact: Amount | None = None  # the route's, as quoted
    # On a Solana chain: the network fee (SOL, paid by the engine's fee payer), the slot the
    # transaction landed in, and how the wallet's token balances moved (by symbol).
    networkFee: Amount | None = None
    slot: int | None = None
    balanceChanges: dict[str, Amount] | None = None
    legs: list[ExecutedLeg] = Field(default_factory=list)


class BoundQuote(_Model):
    """The quote an order was sent with: it must route before ``expiresAtMs`` and receive at
    least ``minAmountOut``, or fail without sending anything."""

    minAmountOut: Amount
    expiresAtMs: int


class Order(_Model):
    orderId: str
    type: str = "market"
    tokenIn: str
    tokenOut: str
    amountIn: Amount
    slippage: Amount
    wallet: str | None = None
    # Route limits the client set (None: the engine's defaults; every venue).
    maxPriceImpact: Amount | None = None
    dexes: list[str] | None = None
    quote: BoundQuote | None = None
    # A limit order: the least tokenOut per tokenIn it accepts (it waits ``open`` until the
    # market reaches it, and routes with minAmountOut = limitPrice * amountIn).
    limitPrice: Amount | None = None
    # The order must start routing by then, or it ends ``expired`` (a market order's deadline,
    # a limit order's expiry). None: no deadline.
    expiresAtMs: int | None = None
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
    # The API key that submitted the order (its id: names it, cannot authenticate): its webhook
    # secret signs the order's deliveries, and a limit order is queued under its limits. None on
    # orders placed before 2026-12-07 without a webhook.
    keyId: str | None = None
    # Where every status change is POSTed (the order's own, or its key's default), and each
    # attempt, by the seq of the status change it carried (docs/webhooks.md).
    webhookUrl: str | None = None
    webhookDeliveries: dict[str, list[WebhookAttempt]] | None = None
    # A strategy's parent (type twap or recurring): its plan, progress and children (docs/strategies.md).
    strategy: Strategy | None = None
    # A strategy's child (an ordinary market order): its parent and the slot that started it.
    parentId: str | None = None
    slot: int | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def cycle(self) -> int:
        """Which execution cycle the order is in: how many times it has been queued to execute
        (entered ``pending``). A market order has one; a limit order starts another each time the
        trigger queues it again after it went back to ``open`` (0 while it has never been)."""
        return sum(1 for entry in self.history if entry.status is OrderStatus.PENDING)

    @property
    def is_limit(self) -> bool:
        return self.limitPrice is not None
