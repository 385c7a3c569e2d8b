"""A route as value objects: the pools a quote saw (Curve), the legs, hops and route a search
builds from them. The arithmetic of one pool lives here; the search over pools is
solroute.logic.route_search, whose docstring gives the formulas."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solroute.models.amounts import quantize_down

ZERO = Decimal(0)




@dataclass(frozen=True)
class Curve:
    """One pool in one direction, as a quote saw it."""

    dex: str
    pool_id: str
    token_in: str
    token_out: str
    reserve_in: Decimal
    reserve_out: Decimal
    fee_rate: Decimal
    in_decimals: int
    out_decimals: int

    @property
    def keep(self) -> Decimal:
        """The share of the input that reaches the curve (1 - fee)."""
        return 1 - self.fee_rate

    def exact_out(self, amount_in: Decimal) -> Decimal:
        if amount_in <= 0:
            return ZERO
        net = amount_in * self.keep
        return self.reserve_out * net / (self.reserve_in + net)

    def out(self, amount_in: Decimal) -> Decimal:
        """What the pool pays, in whole units of the output token."""
        return quantize_down(self.exact_out(amount_in), self.out_decimals)

    def marginal(self) -> Decimal:
        """The rate at zero size, fees included."""
        return self.reserve_out * self.keep / self.reserve_in

    def leg(self, amount_in: Decimal) -> Leg:
        net = amount_in * self.keep
        impact = net / (self.reserve_in + net) if amount_in > 0 else ZERO
        return Leg(
            self.dex, self.pool_id, self.token_in, self.token_out, amount_in, self.out(amount_in), amount_in * self.fee_rate, impact,
            amount_in * self.marginal(),
        )


@dataclass(frozen=True)
class Leg:
    """One swap instruction of a route's transaction."""

    dex: str
    pool_id: str
    token_in: str
    token_out: str
    amount_in: Decimal
    amount_out: Decimal
    fee: Decimal  # in the input token
    price_impact: Decimal  # of this leg alone
    ideal_out: Decimal  # at the pool's rate at zero size (after its fee): what no impact would pay


@dataclass(frozen=True)
class Hop:
    """From one token to the next: one leg, or two legs on two venues side by side (a split)."""

    token_in: str
    token_out: str
    legs: tuple[Leg, ...]

    @property
    def amount_in(self) -> Decimal:
        return sum((leg.amount_in for leg in self.legs), ZERO)

    @property
    def amount_out(self) -> Decimal:
        return sum((leg.amount_out for leg in self.legs), ZERO)


@dataclass(frozen=True)
class Route:
    hops: tuple[Hop, ...]

    @property
    def kind(self) -> str:
        if len(self.hops) > 1:
            return "two-hop"
        return "split" if len(self.hops[0].legs) > 1 else "direct"

    @property
    def legs(self) -> tuple[Leg, ...]:
        return tuple(leg for hop in self.hops for leg in hop.legs)

    @property
    def amount_in(self) -> Decimal:
        return self.hops[0].amount_in

    @property
    def amount_out(self) -> Decimal:
        return self.hops[-1].amount_out

    @property
    def via(self) -> tuple[str, ...]:
        return tuple(hop.token_out for hop in self.hops[:-1])

    @property
    def price_impact(self) -> Decimal:
        kept = Decimal(1)
        for hop in self.hops:
            ideal = sum((leg.ideal_out for leg in hop.legs), ZERO)
            kept *= hop.amount_out / ideal if ideal > 0 else ZERO
        return min(Decimal(1), max(ZERO, 1 - kept))

    def describe(self) -> str:
        """For example "Meteora 62% + Raydium 38%", "Raydium", "Raydium -> USDC -> Meteora"."""
        parts = []
        for hop in self.hops:
            if len(hop.legs) == 1:
                parts.append(_display(hop.legs[0].dex))
            else:
                legs = sorted(hop.legs, key=lambda leg: -leg.amount_in)  # the larger share first
                parts.append(" + ".join(f"{_display(leg.dex)} {_percent(leg.amount_in, hop.amount_in)}%" for leg in legs))
        return f" -> {self.via[0]} -> ".join(parts) if self.via else parts[0]


def _display(dex: str) -> str:
    return dex.capitalize()


def _percent(part: Decimal, whole: Decimal) -> int:
    return int((part / whole * 100).to_integral_value()) if whole else 0
