"""Quotes without execution: every kind of route the engine would consider, and a quoteId that
binds an order to the chosen route's minimum output until it expires (solroute.models.quote)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Callable

from solroute.logic.routing import Router, check_price_impact, decide, route_leg
from solroute.models.amounts import quantize_down, smallest_unit
from solroute.models.errors import PriceImpactTooHigh
from solroute.models.order import Order
from solroute.models.quote import QuoteTerms
from solroute.models.quote_answer import QuoteAnswer, RouteView
from solroute.models.requests import TradeRequest
from solroute.models.route import Route
from solroute.models.tokens import resolve_token
from solroute.ports import Clock

DEFAULT_QUOTE_TTL_MS = 30_000


def new_nonce() -> str:
    return uuid.uuid4().hex[:16]


class QuoteService:
    def __init__(self, router: Router, clock: Clock, ttl_ms: int = DEFAULT_QUOTE_TTL_MS, nonce: Callable[[], str] = new_nonce) -> None:
        self.router = router
        self.clock = clock
        self.ttl_ms = ttl_ms
        self.nonce = nonce

    def quote(self, request: TradeRequest) -> QuoteAnswer:
        """Raises NoLiquidity (nothing routes this amount) or DexUnavailable (no venue answered)."""
        now_ms, nonce = self.clock.now_ms(), self.nonce()
        stamp = self.clock.iso(now_ms)
        probe = Order(
            orderId=f"quote-{nonce}", tokenIn=request.tokenIn, tokenOut=request.tokenOut, amountIn=request.amountIn,
            slippage=request.slippage, maxPriceImpact=request.maxPriceImpact, dexes=request.allowed_venues,
            createdAt=stamp, updatedAt=stamp, statusAtMs=now_ms,
        )  # fmt: skip
        explored = self.router.explore(probe)
        decimals = resolve_token(request.tokenOut).decimals
        decision = decide(explored.search, request.slippage, decimals, list(explored.failures))
        limit = self.router.price_impact_limit(probe)
        problem, quote_id, expires_at_ms = None, None, None
        try:
            check_price_impact(decision, probe, limit)
            expires_at_ms = self.clock.now_ms() + self.ttl_ms  # from the answer: asking the venues takes time
            terms = QuoteTerms(request.tokenIn, request.tokenOut, request.amountIn, decision.minAmountOut, expires_at_ms, nonce)
            quote_id = terms.encode()
        except PriceImpactTooHigh as error:
            problem = error.message  # shown, not issued: an order for it would fail before sending

        def view(route: Route | None) -> RouteView | None:
            if route is None:
                return None
            min_out = max(quantize_down(route.amount_out * (1 - request.slippage), decimals), smallest_unit(decimals))
            return route_view(route, min_out)

        found = explored.search
        return QuoteAnswer(
            quoteId=quote_id,
            expiresAt=self.clock.iso(expires_at_ms) if expires_at_ms else None,
            expiresAtMs=expires_at_ms,
            tokenIn=request.tokenIn,
            tokenOut=request.tokenOut,
            amountIn=request.amountIn,
            slippage=request.slippage,
            maxPriceImpact=limit,
            venues=explored.quotes,
            split=view(found.split),
            twoHop=view(found.two_hop),
            route=view(found.chosen),  # type: ignore[arg-type]
            reason=decision.reason,
            problem=problem,
        )



def route_view(route: Route, min_amount_out: Decimal) -> RouteView:
    fees: dict[str, Decimal] = {}
    for leg in route.legs:
        fees[leg.token_in] = fees.get(leg.token_in, Decimal(0)) + leg.fee
    return RouteView(
        kind=route.kind,
        description=route.describe(),
        dexes="+".join(dict.fromkeys(leg.dex for leg in route.legs)),
        via=list(route.via),
        amountOut=route.amount_out,
        minAmountOut=min_amount_out,
        priceImpact=route.price_impact.quantize(Decimal("1e-8")),
        fees=fees,
        legs=[route_leg(leg) for leg in route.legs],
    )
