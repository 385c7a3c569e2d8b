"""What a trader sends, validated. Amounts are Decimal from the JSON text, never float."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from solroute.models.amounts import decimal_places, plain
from solroute.models.quote import QuoteTerms
from solroute.models.tokens import UNKNOWN_MINT_DECIMALS, is_solana_address, resolve_token

MAX_AMOUNT_IN = Decimal("1000000000000")  # 1e12 tokens: beyond any pool we hold
MAX_SLIPPAGE = Decimal("0.5")
DEFAULT_SLIPPAGE = Decimal("0.01")
SLIPPAGE_DECIMALS = 6
SUPPORTED_ORDER_TYPES = ("market",)
PRICE_IMPACT_DECIMALS = 6
VENUES = ("meteora", "raydium")  # the simulated venues' names (solroute.dex.seeds)


def venue_names(value: object) -> list[str] | None:
    """A list of venue names, or one comma-separated string of them (as in a query string)."""
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError("must be a list of venue names")
    cleaned = [n.strip().lower() for n in names if n.strip()]
    unknown = sorted(set(cleaned) - set(VENUES))
    if unknown:
        raise ValueError(f"unknown venue {', '.join(repr(n) for n in unknown)}; the venues are {', '.join(VENUES)}")
    return sorted(set(cleaned))


def check_price_impact(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not Decimal(0) < value <= 1:
        raise ValueError("must be a fraction with 0 < maxPriceImpact <= 1 (0.05 is 5%)")
    if decimal_places(value) > PRICE_IMPACT_DECIMALS:
        raise ValueError(f"has more than {PRICE_IMPACT_DECIMALS} decimal places")
    return value


def wallet_address(value: str | None) -> str | None:
    if value is not None and not is_solana_address(value):
        raise ValueError("must be a base58 Solana address (32 bytes)")
    return value


class RouteLimits(BaseModel):
    """What a client may say about the route: the venues to use and the price impact it accepts."""

    if TYPE_CHECKING:  # the fields are declared by each request, after its own (so they list in that order)
        maxPriceImpact: Decimal | None
        dexes: list[str] | None
        excludeDexes: list[str] | None

    @field_validator("dexes", "excludeDexes", mode="before", check_fields=False)
    @classmethod
    def _venues(cls, value: object) -> list[str] | None:
        return venue_names(value)

    @field_validator("maxPriceImpact", mode="before", check_fields=False)
    @classmethod
    def _impact_not_float(cls, value: object) -> object:
        if isinstance(value, (bool, float)):
            raise ValueError("must be a decimal number or a decimal string")
        return value

    @field_validator("maxPriceImpact", check_fields=False)
    @classmethod
    def _impact_range(cls, value: Decimal | None) -> Decimal | None:
        return check_price_impact(value)

    @property
    def allowed_venues(self) -> list[str] | None:
        """The venues the route may use (None: every venue)."""
        if self.dexes is None and self.excludeDexes is None:
            return None
        return [v for v in (self.dexes or VENUES) if v not in (self.excludeDexes or ())]

    def check_route_exists(self, token_in: str, token_out: str) -> None:
        from solroute.dex.market import MARKET  # the one table every function routes on

        allowed = self.allowed_venues
        if allowed == []:
            raise ValueError("dexes and excludeDexes leave no venue to trade on")
        if not MARKET.tradeable(token_in, token_out, allowed):
            where = f" on {', '.join(allowed)}" if allowed is not None else ""
            raise ValueError(
                f"no route trades {token_in}->{token_out}{where}: the pair needs a pool, or a pool into USDC or SOL"
                " and one out of it (docs/routing.md lists the pools)"
            )


class TradeRequest(RouteLimits):
    """A trade to quote or execute: the pair, the amount, the slippage and the route's limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tokenIn: Annotated[str, Field(min_length=1, max_length=64, examples=["SOL"])]
    tokenOut: Annotated[str, Field(min_length=1, max_length=64, examples=["USDC"])]
    amountIn: Annotated[Decimal, Field(examples=["1.5"], description="number or decimal string; at most the token's decimals")]
    slippage: Annotated[Decimal, Field(examples=["0.01"], description="fraction, 0 < s <= 0.5")] = DEFAULT_SLIPPAGE
    maxPriceImpact: Annotated[
        Decimal | None, Field(examples=["0.05"], description="fraction, 0 < p <= 1: a route with more price impact fails before sending")
    ] = None
    dexes: Annotated[list[str] | None, Field(examples=[["meteora", "raydium"]], description="only these venues")] = None
    excludeDexes: Annotated[list[str] | None, Field(examples=[["raydium"]], description="never these venues")] = None

    @field_validator("amountIn", "slippage", mode="before")
    @classmethod
    def _no_float_or_bool(cls, value: object) -> object:
        # JSON numbers arrive as Decimal (the API parses with parse_float=Decimal); a float
        # here would mean a caller already lost precision, and True would be read as 1.
        if isinstance(value, (bool, float)):
            raise ValueError("must be a decimal number or a decimal string")
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("tokenIn", "tokenOut")
    @classmethod
    def _known_or_mint(cls, value: str) -> str:
        return resolve_token(value).symbol

    @field_validator("slippage")
    @classmethod
    def _slippage_range(cls, value: Decimal) -> Decimal:
        if not Decimal(0) < value <= MAX_SLIPPAGE:
            raise ValueError(f"must be a fraction with 0 < slippage <= {MAX_SLIPPAGE} (0.01 is 1%)")
        if decimal_places(value) > SLIPPAGE_DECIMALS:
            raise ValueError(f"has more than {SLIPPAGE_DECIMALS} decimal places (0.000001 is 0.0001%)")
        return value

    @field_validator("amountIn")
    @classmethod
    def _amount_range(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        if amount <= 0:
            raise ValueError("must be greater than 0")
        if amount > MAX_AMOUNT_IN:
            raise ValueError(f"must be at most {MAX_AMOUNT_IN}")
        token_in = info.data.get("tokenIn")
        decimals = resolve_token(token_in).decimals if token_in else UNKNOWN_MINT_DECIMALS
        if decimal_places(amount) > decimals:
            raise ValueError(f"has more than {decimals} decimal places, the most {token_in} allows")
        return amount

    @model_validator(mode="after")
    def _distinct_pair(self) -> "TradeRequest":
        if self.tokenIn == self.tokenOut:
            raise ValueError("tokenIn and tokenOut must differ")
        self.check_route_exists(self.tokenIn, self.tokenOut)
        return self


class ExecuteOrderRequest(TradeRequest):
    """Body of POST /api/orders/execute."""

    type: Annotated[str, Field(examples=["market"])] = "market"
    wallet: Annotated[str | None, Field(examples=["9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"])] = None
    quoteId: Annotated[
        str | None,
        Field(max_length=512, description="from GET /api/quote: the order receives at least the quote's minAmountOut, or fails (price moved)"),
    ] = None

    @field_validator("quoteId")
    @classmethod
    def _quote_id(cls, value: str | None) -> str | None:
        if value is not None:
            QuoteTerms.decode(value)
        return value

    @property
    def quote_terms(self) -> QuoteTerms | None:
        return QuoteTerms.decode(self.quoteId) if self.quoteId else None

    @field_validator("type")
    @classmethod
    def _market_only(cls, value: str) -> str:
        if value not in SUPPORTED_ORDER_TYPES:
            raise ValueError(f"order type '{value}' is not supported yet; only 'market' orders are accepted")
        return value

    _wallet_address = field_validator("wallet")(wallet_address)

    @model_validator(mode="after")
    def _quote_matches(self) -> "ExecuteOrderRequest":
        terms = self.quote_terms
        if terms is not None and (terms.token_in, terms.token_out, terms.amount_in) != (self.tokenIn, self.tokenOut, self.amountIn):
            raise ValueError(
                f"quoteId is a quote for {plain(terms.amount_in)} {terms.token_in}->{terms.token_out}, not for this order;"
                " send the same tokenIn, tokenOut and amountIn as the quote"
            )
        return self


class ListOrdersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    wallet: str | None = None  # only this wallet's orders (of the caller's own)
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: str | None = None

    _wallet_address = field_validator("wallet")(wallet_address)
