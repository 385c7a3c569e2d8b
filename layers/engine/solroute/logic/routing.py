"""Routing: ask every venue for its pools in parallel, search the routes, build one transaction.

The search itself (direct, split, two-hop) is pure arithmetic in ``route_search``; this module
turns what the venues quoted into the order's routing decision, enforces the order's limits
(its venues, its price impact) before anything is built, and builds the route's single
transaction: every leg is an instruction of it, so the route lands whole or not at all.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, localcontext
from typing import Sequence

from aws_lambda_powertools import Logger

from solroute.logic.route_search import Search, search
from solroute.models.amounts import plain, quantize_down, smallest_unit
from solroute.models.errors import DexUnavailable, LimitNotMet, NoLiquidity, PermanentOrderError, PriceImpactTooHigh, PriceMoved
from solroute.models.order import Order, OrderStatus, Quote, RouteLeg, RoutingDecision, SignedSwap
from solroute.models.route import Curve, Leg, Route
from solroute.models.tokens import b58encode, resolve_token
from solroute.models.venues import INTERMEDIATES
from solroute.ports import Clock, Venue

logger = Logger(child=True)

DEFAULT_MAX_PRICE_IMPACT = Decimal("0.05")


def display(name: str) -> str:
    return " + ".join(part.capitalize() for part in name.split("+"))


def percent(fraction: Decimal, unlike: Decimal | None = None) -> str:
    """``fraction`` as a percentage with two decimals, or as many more (up to six) as it takes
    not to read as 100% when it is less, or as ``unlike`` when it differs from it."""
    for places in range(2, 7):
        shown = (fraction * 100).quantize(Decimal(1).scaleb(-places))
        if (shown < 100 or fraction >= 1) and (unlike is None or fraction == unlike or shown != (unlike * 100).quantize(shown)):
            break
    return f"{plain(shown)}%"


def route_pairs(token_in: str, token_out: str, intermediates: Sequence[str] = INTERMEDIATES) -> list[tuple[str, str]]:
    """Every pool a route for the pair may use: the pair itself, and into and out of each intermediate."""
    pairs = [(token_in, token_out)]
    for middle in intermediates:
        if middle not in (token_in, token_out):
            pairs += [(token_in, middle), (middle, token_out)]
    return pairs


def route_leg(leg: Leg) -> RouteLeg:
    return RouteLeg(
        dex=leg.dex,
        poolId=leg.pool_id,
        tokenIn=leg.token_in,
        tokenOut=leg.token_out,
        amountIn=leg.amount_in,
        amountOut=leg.amount_out,
        fee=leg.fee,
        priceImpact=leg.price_impact.quantize(Decimal("1e-8")),
    )


def _venue_quote(route: Route, fee_rate: Decimal) -> Quote:
    leg = route.legs[0]
    return Quote(
        dex=leg.dex,
        poolId=leg.pool_id,
        amountIn=leg.amount_in,
        amountOut=leg.amount_out,
        fee=leg.fee,
        feeRate=fee_rate,
        price=(leg.amount_out / leg.amount_in).quantize(Decimal("1e-12")),
        priceImpact=leg.price_impact.quantize(Decimal("1e-8")),
    )


def decide(found: Search, slippage: Decimal, out_decimals: int, unavailable: Sequence[str] = ()) -> RoutingDecision:
    """The order's routing decision for the chosen route."""
    route = found.chosen
    reason = found.reason()
    if unavailable:
        reason += f" ({', '.join(display(n) for n in unavailable)} unavailable)"
    # Never accept less than one base unit: a swap that pays nothing must fail, not confirm.
    min_out = max(quantize_down(route.amount_out * (1 - slippage), out_decimals), smallest_unit(out_decimals))
    venues = list(dict.fromkeys(leg.dex for leg in route.legs))
    return RoutingDecision(
        dex="+".join(venues),
        amountOut=route.amount_out,
        minAmountOut=min_out,
        reason=reason,
        kind=route.kind,
        via=list(route.via),
        priceImpact=route.price_impact.quantize(Decimal("1e-8")),
        legs=[route_leg(leg) for leg in route.legs],
    )


def check_price_impact(decision: RoutingDecision, order: Order, limit: Decimal) -> None:
    """Fail (before anything is built or sent) a route that moves the price more than allowed."""
    if decision.priceImpact is not None and decision.priceImpact > limit:
        raise PriceImpactTooHigh(
            f"price impact {percent(decision.priceImpact, unlike=limit)} is above the {percent(limit)} limit (maxPriceImpact):"
            f" the best route ({display(decision.dex)}, {decision.kind}) would return {plain(decision.amountOut)} {order.tokenOut}"
            f" for {plain(order.amountIn)} {order.tokenIn}"
        )


@dataclass(frozen=True)
class Explored:
    search: Search
    quotes: list[Quote]  # each venue's direct route, as a quote
    failures: tuple[str, ...]  # the venues that did not answer


class Router:
    def __init__(self, venues: Sequence[Venue], max_price_impact: Decimal = DEFAULT_MAX_PRICE_IMPACT, limit_margin: Decimal = Decimal(0)) -> None:
        self.venues = {v.name: v for v in venues}
        self.max_price_impact = max_price_impact
        # A limit order routes only when its route pays the limit with room for the price to move
        # this much before the swap lands (PriceDrift): the trigger's own margin, so an order the
        # trigger queued near its limit goes back to open here instead of failing on chain.
        self.limit_margin = limit_margin
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(venues)), thread_name_prefix="quote")

    def route(self, order: Order, now_ms: int = 0) -> tuple[list[Quote], RoutingDecision]:
        """Every venue's direct quote (for the record) and the decision; raises NoLiquidity,
        PriceImpactTooHigh or PriceMoved (permanent) or DexUnavailable (transient: no venue
        answered, or the ones that did cannot route the order without the ones that did not)."""
        # The quote binds the order if it started routing in time; a retry after a transient error
        # (a venue down) keeps to the quote's minimum, whenever it runs.
        started_ms = next((h.timestampMs for h in order.history if h.status is OrderStatus.ROUTING), now_ms)
        if order.quote is not None and started_ms >= order.quote.expiresAtMs:
            raise PriceMoved(f"price moved: quote expired at {Clock.iso(order.quote.expiresAtMs)}, before the order started routing")
        found = self.explore(order)
        decision = decide(found.search, order.slippage, resolve_token(order.tokenOut).decimals, list(found.failures))
        check_price_impact(decision, order, self.price_impact_limit(order))
        if order.quote is not None:
            if decision.amountOut < order.quote.minAmountOut:
                raise PriceMoved(
                    f"price moved: quote expired: the best route now returns {plain(decision.amountOut)} {order.tokenOut},"
                    f" below the quote's minimum of {plain(order.quote.minAmountOut)}"
                )
            decision = decision.model_copy(update={"minAmountOut": max(decision.minAmountOut, order.quote.minAmountOut)})
        if order.limitPrice is not None:
            decision = self._limit_decision(order, decision)
        return found.quotes, decision

    def _limit_decision(self, order: Order, decision: RoutingDecision) -> RoutingDecision:
        """A limit order's route must pay its limit with the margin to spare (else LimitNotMet:
        it goes back to open, nothing built). Its protection on chain is the limit itself: the
        minimum out is limitPrice x amountIn, whatever its slippage, so a price move within the
        margin can never fail a fill that meets the limit."""
        floor = limit_minimum(order.limitPrice or Decimal(0), order.amountIn, resolve_token(order.tokenOut).decimals)
        if decision.amountOut < floor / (1 - self.limit_margin):
            limit = f"the limit's {plain(floor)} ({plain(order.limitPrice or 0)} {order.tokenOut} per {order.tokenIn})"
            if decision.amountOut < floor:
                raise LimitNotMet(f"the best route now returns {plain(decision.amountOut)} {order.tokenOut}, below {limit}")
            raise LimitNotMet(
                f"the best route now returns {plain(decision.amountOut)} {order.tokenOut}, above {limit} by less than the"
                f" {percent(self.limit_margin)} the price may move before the swap lands"
            )
        return decision.model_copy(update={"minAmountOut": floor})

    def price_impact_limit(self, order: Order) -> Decimal:
        return order.maxPriceImpact if order.maxPriceImpact is not None else self.max_price_impact

    def explore(self, order: Order) -> Explored:
        """Ask the venues (in parallel) and search every route."""
        names = [n for n in self.venues if order.dexes is None or n in order.dexes]
        pairs = route_pairs(order.tokenIn, order.tokenOut)
        futures = {name: self._pool.submit(self.venues[name].quote_pools, order, pairs) for name in names}
        curves: list[Curve] = []
        failures: dict[str, Exception] = {}
        for name, future in futures.items():
            try:
                curves += future.result()
            except (DexUnavailable, PermanentOrderError) as error:
                failures[name] = error
                logger.warning("quote failed", extra={"order_id": order.orderId, "dex": name, "error": str(error)})
        if failures and not curves:
            raise DexUnavailable("no venue returned a quote: " + "; ".join(map(str, failures.values())))
        by_pair: dict[tuple[str, str], list[Curve]] = {}
        for curve in curves:
            by_pair.setdefault((curve.token_in, curve.token_out), []).append(curve)
        found = search(order.tokenIn, order.tokenOut, order.amountIn, lambda a, b: by_pair.get((a, b), []), INTERMEDIATES)
        decimals = resolve_token(order.tokenOut).decimals
        if found is None:
            if failures:  # the venue that is down may hold the route
                raise DexUnavailable("no route without " + ", ".join(display(n) for n in failures) + ": " + "; ".join(map(str, failures.values())))
            if not _has_route(by_pair, order.tokenIn, order.tokenOut):
                raise NoLiquidity(f"no venue can trade {order.tokenIn}->{order.tokenOut}")
            raise NoLiquidity(  # a quote of zero is no liquidity for this size: fail before sending anything
                f"no liquidity for {plain(order.amountIn)} {order.tokenIn}: every route pays less than"
                f" {plain(smallest_unit(decimals))} {order.tokenOut} (the smallest amount of {order.tokenOut})"
            )
        fee_rates = {c.pool_id: c.fee_rate for c in curves}
        quotes = [_venue_quote(route, fee_rates[route.legs[0].pool_id]) for _, route in sorted(found.direct.items())]
        return Explored(found, quotes, tuple(failures))


def limit_minimum(limit_price: Decimal, amount_in: Decimal, out_decimals: int) -> Decimal:
    """The least a limit order accepts: its price times its amount, rounded up to a whole unit
    (computed with enough digits to be exact for any limit and amount a request may carry)."""
    with localcontext() as exact:
        exact.prec = 80
        return (limit_price * amount_in).quantize(smallest_unit(out_decimals), rounding=ROUND_UP)


def _has_route(by_pair: dict[tuple[str, str], list[Curve]], token_in: str, token_out: str) -> bool:
    return bool(by_pair.get((token_in, token_out))) or any(
        by_pair.get((token_in, m)) and by_pair.get((m, token_out)) for m in INTERMEDIATES if m not in (token_in, token_out)
    )


def build_transaction(order: Order, decision: RoutingDecision, quotes: Sequence[Quote] = ()) -> SignedSwap:
    """The signed transaction holding every leg of the route. Its signature depends only on the
    order and the route, so rebuilding after a crash yields the same signature and the chain
    deduplicates it."""
    legs = decision.legs or _legacy_legs(order, decision, quotes)
    # Amounts in one canonical form: a rebuild from the stored order (amounts read back from their
    # JSON strings) must sign the same transaction, or a crash could lead to a second swap.
    material = "|".join([order.orderId, *(f"{leg.poolId}:{leg.tokenIn}:{_canonical(leg.amountIn)}" for leg in legs), _canonical(decision.minAmountOut)])
    if order.cycle > 1:  # a limit order's later cycle signs anew: its earlier transaction may be expired for good
        material += f"|cycle:{order.cycle}"
    return SignedSwap(
        signature=b58encode(hashlib.sha512(material.encode()).digest()),
        dex=decision.dex,
        poolId="+".join(leg.poolId for leg in legs),
        tokenIn=order.tokenIn,
        tokenOut=order.tokenOut,
        amountIn=order.amountIn,
        quotedAmountOut=decision.amountOut,
        minAmountOut=decision.minAmountOut,
        legs=list(legs),
    )


def _canonical(amount: Decimal) -> str:
    return plain(amount.normalize())


def _legacy_legs(order: Order, decision: RoutingDecision, quotes: Sequence[Quote]) -> list[RouteLeg]:
    """An order routed before routes had legs: its one pool, from the chosen venue's quote."""
    quote = next(q for q in quotes if q.dex == decision.dex)
    return [RouteLeg(dex=quote.dex, poolId=quote.poolId, tokenIn=order.tokenIn, tokenOut=order.tokenOut, amountIn=order.amountIn,
                     amountOut=quote.amountOut, fee=quote.fee, priceImpact=quote.priceImpact)]  # fmt: skip
