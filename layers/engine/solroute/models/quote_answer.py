"""What GET /api/quote answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from solroute.models.amounts import Amount
from solroute.models.order import Quote, RouteLeg


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)


class RouteView(_Answer):
    kind: str = Field(examples=["split"], description="direct, split or two-hop")
    description: str = Field(examples=["Meteora 94% + Raydium 6%"])
    dexes: str = Field(examples=["meteora+raydium"])
    via: list[str] = Field(description="the intermediate token of a two-hop route")
    amountOut: Amount = Field(description="expected output, net of every fee")
    minAmountOut: Amount = Field(description="the least the order accepts at the request's slippage")
    priceImpact: Amount = Field(description="fraction of the output lost to size: against the rates at zero size of the pools the route uses")
    fees: dict[str, Amount] = Field(description="total fees paid, by the token they are paid in")
    legs: list[RouteLeg]


class QuoteAnswer(_Answer):
    """200 to GET /api/quote."""

    quoteId: str | None = Field(description="send it with the order (quoteId) to be bound to route.minAmountOut; null when the route breaks a limit")
    expiresAt: str | None = Field(description="an order with this quoteId must start routing before this time, or it fails (price moved)")
    expiresAtMs: int | None
    tokenIn: str
    tokenOut: str
    amountIn: Amount
    slippage: Amount
    maxPriceImpact: Amount = Field(description="the limit the route was checked against")
    venues: list[Quote] = Field(description="each venue's direct route (empty when no venue has a pool for the pair)")
    split: RouteView | None = Field(description="the best split of the direct pair across venues, when it pays more than one venue alone")
    twoHop: RouteView | None = Field(description="the best route through USDC or SOL")
    route: RouteView = Field(description="the route an order would take now")
    reason: str = Field(description="why that route won")
    problem: str | None = Field(description="why no quoteId was issued (for example, price impact above the limit)")
