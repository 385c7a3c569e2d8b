"""Best-venue routing: quote every DEX in parallel, pick the larger net output."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Protocol, Sequence

from aws_lambda_powertools import Logger

from solroute.models.amounts import plain, quantize_down, smallest_unit
from solroute.models.errors import DexUnavailable, NoLiquidity, PermanentOrderError
from solroute.models.order import Order, Quote, RoutingDecision, SignedSwap
from solroute.models.tokens import resolve_token

logger = Logger(child=True)


class Venue(Protocol):
    name: str

    def quote(self, order: Order) -> Quote: ...

    def build_swap(self, order: Order, decision: RoutingDecision, quote: Quote) -> SignedSwap: ...


def _display(name: str) -> str:
    return name.capitalize()


def choose_route(quotes: Sequence[Quote], slippage: Decimal, out_decimals: int, unavailable: Sequence[str] = ()) -> RoutingDecision:
    """The quote with the larger net output wins (ties go to the lower fee, then the name)."""
    if not quotes:
        raise ValueError("choose_route needs at least one quote")
    best = max(quotes, key=lambda q: (q.amountOut, -q.feeRate, q.dex))
    others = [q for q in quotes if q is not best]
    if others:
        runner_up = max(others, key=lambda q: q.amountOut)
        edge = (best.amountOut - runner_up.amountOut) / runner_up.amountOut * 100 if runner_up.amountOut else Decimal(0)
        reason = (
            f"{_display(best.dex)} returns {plain(best.amountOut)} vs {_display(runner_up.dex)} {plain(runner_up.amountOut)}"
            f" (+{edge.quantize(Decimal('0.001'))}%) after fees and price impact"
        )
    else:
        missing = ", ".join(_display(n) for n in unavailable) or "no other venue"
        reason = f"only {_display(best.dex)} quoted ({missing} unavailable)"
    # Never accept less than one base unit: a swap that pays nothing must fail, not confirm.
    min_out = max(quantize_down(best.amountOut * (1 - slippage), out_decimals), smallest_unit(out_decimals))
    return RoutingDecision(dex=best.dex, amountOut=best.amountOut, minAmountOut=min_out, reason=reason)


class Router:
    def __init__(self, venues: Sequence[Venue]) -> None:
        self.venues = {v.name: v for v in venues}
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(venues)), thread_name_prefix="quote")

    def venue(self, name: str) -> Venue:
        return self.venues[name]

    def route(self, order: Order) -> tuple[list[Quote], RoutingDecision]:
        futures = {name: self._pool.submit(v.quote, order) for name, v in self.venues.items()}
        quotes: list[Quote] = []
        failures: dict[str, Exception] = {}
        for name, future in futures.items():
            try:
                quotes.append(future.result())
            except (DexUnavailable, PermanentOrderError) as error:
                failures[name] = error
                logger.warning("quote failed", extra={"order_id": order.orderId, "dex": name, "error": str(error)})
        if not quotes:
            if all(isinstance(e, PermanentOrderError) for e in failures.values()):
                raise NoLiquidity(f"no venue can trade {order.tokenIn}->{order.tokenOut}: " + "; ".join(map(str, failures.values())))
            raise DexUnavailable("no venue returned a quote: " + "; ".join(map(str, failures.values())))
        decimals = resolve_token(order.tokenOut).decimals
        usable = [q for q in quotes if q.amountOut >= smallest_unit(decimals)]
        if not usable:  # a quote of zero is no liquidity for this size: fail before sending anything
            raise NoLiquidity(
                f"no liquidity for {plain(order.amountIn)} {order.tokenIn}: every venue quotes less than"
                f" {plain(smallest_unit(decimals))} {order.tokenOut} (the smallest amount of {order.tokenOut})"
            )
        unavailable = [*failures, *(q.dex for q in quotes if q not in usable)]
        return quotes, choose_route(usable, order.slippage, decimals, unavailable)
