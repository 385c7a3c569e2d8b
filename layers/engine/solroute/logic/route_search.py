"""Route search over constant-product pools: direct, split across two venues, and two hops.

Pure arithmetic on what the venues quoted (no I/O), so every rule here is tested exhaustively
and the consumer, the quote endpoint and docs/routing.md all use the same numbers.

A pool trading ``x`` of the input token against ``y`` of the output, with fee ``f``, pays
``out(a) = y * g * a / (x + g * a)`` for ``a`` in, where ``g = 1 - f``. Its rate at zero size
(the *marginal* rate, fees included) is ``y * g / x``, and ``out`` is increasing and concave.

- **Split.** Two pools of the same pair share ``a`` best where their marginal rates meet:
  ``s1 / (x1 + g1 * a1) = s2 / (x2 + g2 * a2)`` with ``s = sqrt(x * y * g)`` and ``a1 + a2 = a``,
  so ``a1 = (s1 * (x2 + g2 * a) - s2 * x1) / (s1 * g2 + s2 * g1)``, clamped to ``[0, a]``
  (the sum of two concave functions: the stationary point is the maximum). The amounts are
  rounded to the input token's smallest unit, and the split is only a split when both parts
  are positive and it pays more than either pool alone.
- **Two hops** through an intermediate token ``m``: the best way (one venue or a split) to turn
  ``a`` into ``m``, then the best way to turn that into the output. The second hop's output
  grows with its input, so making the most of each hop makes the most of the route.
- **Price impact** of a route: how far its output falls short of what the pools it uses would
  pay at their rates at zero size (fees included, so only size counts): per hop, the legs' output
  over the sum of each leg's input times its pool's marginal rate; for a route, one minus the
  product of the hops' ratios. A venue that prices the pair lower is not "impact": it is a worse
  rate, which the route's output already shows.

Each leg's output is rounded down to the output token's smallest unit: what a chain pays. A
split or a second hop adds an instruction to the transaction, so it must pay at least
``MIN_GAIN`` (one basis point) more than the simpler route; a pair with no direct pool takes
the best two-hop route whatever it pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Sequence

from solroute.models.amounts import plain, smallest_unit
from solroute.models.route import ZERO, Curve, Hop, Leg, Route

MIN_GAIN = Decimal("0.0001")  # what a split or an extra hop must pay over the simpler route


# ------------------------------------------------------------------ one hop
def split_amount(first: Curve, second: Curve, amount_in: Decimal) -> Decimal:
    """How much of ``amount_in`` the first pool should take (the closed form above), rounded
    to the input token's smallest unit and clamped to ``[0, amount_in]``."""
    s1 = (first.reserve_in * first.reserve_out * first.keep).sqrt()
    s2 = (second.reserve_in * second.reserve_out * second.keep).sqrt()
    a1 = (s1 * (second.reserve_in + second.keep * amount_in) - s2 * first.reserve_in) / (s1 * second.keep + s2 * first.keep)
    return min(amount_in, max(ZERO, a1.quantize(smallest_unit(first.in_decimals))))


def _hop_options(curves: Sequence[Curve], amount_in: Decimal) -> list[tuple[Leg, ...]]:
    """Each venue alone, and each pair of venues split at its best."""
    options: list[tuple[Leg, ...]] = [(c.leg(amount_in),) for c in curves]
    for i, first in enumerate(curves):
        for second in curves[i + 1 :]:
            a1 = split_amount(first, second, amount_in)
            if ZERO < a1 < amount_in:
                options.append((first.leg(a1), second.leg(amount_in - a1)))
    return options


def _rank(legs: tuple[Leg, ...]) -> tuple:
    """More output wins; then fewer legs (one instruction less), lower fees, then the name."""
    return (sum((leg.amount_out for leg in legs), ZERO), -len(legs), -sum((leg.fee for leg in legs), ZERO), tuple(leg.dex for leg in legs))


def _pays_more(out: Decimal, than: Decimal) -> bool:
    return out > than * (1 + MIN_GAIN)


def best_hop(curves: Sequence[Curve], amount_in: Decimal, allow_split: bool = True) -> Hop | None:
    """The best single venue, or the best split when it pays ``MIN_GAIN`` more."""
    if not curves:
        return None
    options = _hop_options(curves, amount_in) if allow_split else [(c.leg(amount_in),) for c in curves]
    single = max((o for o in options if len(o) == 1), key=_rank)
    splits = [o for o in options if len(o) > 1]
    split = max(splits, key=_rank) if splits else None
    best = split if split is not None and _pays_more(_rank(split)[0], _rank(single)[0]) else single
    return Hop(curves[0].token_in, curves[0].token_out, best)


# ------------------------------------------------------------------ routes
Pools = Callable[[str, str], Sequence[Curve]]  # the curves trading token_in -> token_out (any venue)


@dataclass(frozen=True)
class Search:
    """Every kind of route the search considered, and the one it chose."""

    direct: dict[str, Route]  # by venue
    split: Route | None  # the best split of the direct pair, when it pays more than any venue alone
    two_hop: Route | None  # the best route through an intermediate token
    chosen: Route

    def reason(self) -> str:
        chosen, out = self.chosen, self.chosen.amount_out
        best_direct = max(self.direct.values(), key=lambda r: r.amount_out, default=None)
        if chosen.kind == "direct":
            others = [r for dex, r in self.direct.items() if dex != chosen.legs[0].dex]
            if not others:
                return f"{chosen.describe()} is the only venue with a {chosen.hops[0].token_in}/{chosen.hops[0].token_out} pool"
            runner = max(others, key=lambda r: r.amount_out)
            return f"{chosen.describe()} returns {plain(out)} vs {runner.describe()} {plain(runner.amount_out)} ({_gain(out, runner.amount_out)})"
        if best_direct is None:
            return f"no direct pool: {chosen.describe()} through {chosen.via[0]}"
        return f"{chosen.kind} {chosen.describe()} returns {_gain(out, best_direct.amount_out)} over {best_direct.describe()} alone"


def _gain(out: Decimal, than: Decimal) -> str:
    if not than:
        return "more"
    gain = (out - than) / than * 100
    return f"{'+' if gain >= 0 else ''}{gain.quantize(Decimal('0.001'))}%"


def search(token_in: str, token_out: str, amount_in: Decimal, pools: Pools, intermediates: Sequence[str] = ("USDC", "SOL")) -> Search | None:
    """The best route for ``amount_in`` (None when no route exists or every route pays nothing)."""
    curves = list(pools(token_in, token_out))
    direct = {c.dex: Route((Hop(token_in, token_out, (c.leg(amount_in),)),)) for c in curves}
    whole = best_hop(curves, amount_in)
    split = Route((whole,)) if whole is not None and len(whole.legs) > 1 else None
    two_hop = None
    for middle in intermediates:
        if middle in (token_in, token_out):
            continue
        first = best_hop(list(pools(token_in, middle)), amount_in)
        if first is None or first.amount_out <= 0:
            continue
        second = best_hop(list(pools(middle, token_out)), first.amount_out)
        if second is None:
            continue
        route = Route((first, second))
        if two_hop is None or route.amount_out > two_hop.amount_out:
            two_hop = route
    one_hop = Route((whole,)) if whole is not None else None
    if one_hop is None:
        chosen = two_hop
    elif two_hop is not None and _pays_more(two_hop.amount_out, one_hop.amount_out):
        chosen = two_hop
    else:
        chosen = one_hop
    if chosen is None or chosen.amount_out <= 0:
        return None
    return Search(direct, split, two_hop, chosen)


def best_rate(token_in: str, token_out: str, pools: Pools, intermediates: Sequence[str] = ("USDC", "SOL")) -> Decimal:
    """The most any route could pay per unit in: the best rate at zero size, direct or through
    an intermediate (fees included; size only lowers it)."""

    def best(a: str, b: str) -> Decimal:
        return max((c.marginal() for c in pools(a, b)), default=Decimal(0))

    rates = [best(token_in, token_out)] + [best(token_in, m) * best(m, token_out) for m in intermediates if m not in (token_in, token_out)]
    return max(rates)
