"""What a trader sends, validated. Amounts are Decimal from the JSON text, never float."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from solroute.models.amounts import decimal_places, plain
from solroute.models.quote import QuoteTerms
from solroute.models.strategy import (
    MAX_INTERVAL_SECONDS,
    MAX_RETRIES,
    MAX_SLOTS,
    MIN_RECURRING_INTERVAL_SECONDS,
    MIN_TWAP_INTERVAL_SECONDS,
    STRATEGY_TYPES,
)
from solroute.models.tokens import UNKNOWN_MINT_DECIMALS, is_solana_address, resolve_token
from solroute.models.venues import POOLS, VENUES
from solroute.models.webhooks import webhook_url

MAX_AMOUNT_IN = Decimal("1000000000000")  # 1e12 tokens: beyond any pool we hold
MAX_SLIPPAGE = Decimal("0.5")
DEFAULT_SLIPPAGE = Decimal("0.01")
SLIPPAGE_DECIMALS = 6
SUPPORTED_ORDER_TYPES = ("market", "limit", "twap", "recurring")
DEFAULT_LIMIT_SECONDS = 24 * 3600  # how long a limit order stays open unless it says
MAX_OPEN_SECONDS = 30 * 24 * 3600  # the furthest a deadline or an expiry may be
MAX_LIMIT_PRICE = Decimal("1000000000000")
# limitPrice x amountIn: the least output a limit order accepts, in whole tokenOut. Far above any
# pool's depth, and small enough to be exact in any token's smallest unit.
MAX_LIMIT_OUTPUT = Decimal("1000000000000")
LIMIT_PRICE_DECIMALS = 18
PRICE_IMPACT_DECIMALS = 6


# A decimal as a client writes it: ASCII digits, one point, an optional exponent. Python's Decimal
# also reads "1_000" and other scripts' digits ("１.５"): a typo there must be a 400, never an
# order for a thousand times the amount.
_NOT_FINITE = ("nan", "snan", "inf", "infinity")  # let through: the field says it must be finite
_DECIMAL_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


def decimal_input(value: object) -> object:
    """A before-validator for decimal fields: a JSON number (already a Decimal) or a plain decimal
    string; never a float (precision already lost), a bool (read as 1) or an odd spelling."""
    if isinstance(value, (bool, float)):
        raise ValueError("must be a decimal number or a decimal string")
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        if not _DECIMAL_TEXT.fullmatch(value) and value.strip().lstrip("+-").lower() not in _NOT_FINITE:
            raise ValueError('must be a decimal number, such as 1.5 or "1.5"')  # the words the API uses for any bad number
    return value


# A decimal exactly as the client wrote it: JSON numbers arrive as Decimal (the API parses with
# parse_float=Decimal), so a float here means precision was lost already, and True would be read as 1.
# Constraints (gt, le) go before NOT_FLOAT in an Annotated: after it, pydantic still checks them,
# but the OpenAPI document loses them.
NOT_FLOAT = BeforeValidator(decimal_input)
ExactDecimal = Annotated[Decimal, NOT_FLOAT]


def bounded(high: Decimal, out_of_range: str, places: int, places_note: str = "") -> AfterValidator:
    """0 < value <= high, with at most ``places`` decimal places (``out_of_range`` says the range
    in the field's own words, which pydantic's gt/le messages cannot)."""

    def check(value: Decimal) -> Decimal:
        if not Decimal(0) < value <= high:
            raise ValueError(out_of_range)
        if decimal_places(value) > places:
            raise ValueError(f"has more than {places} decimal places{places_note}")
        return value

    return AfterValidator(check)


def _known_symbol(text: object) -> str | None:
    try:
        return resolve_token(text).symbol if isinstance(text, str) else None
    except ValueError:
        return None  # tokenIn's own error says what is wrong with it


def amount_in_range(amount: Decimal, token_in: str | None) -> Decimal:
    """At most MAX_AMOUNT_IN, and no more decimal places than the token has."""
    if amount > MAX_AMOUNT_IN:
        raise ValueError(f"must be at most {MAX_AMOUNT_IN}")
    decimals = resolve_token(token_in).decimals if token_in else UNKNOWN_MINT_DECIMALS
    if decimal_places(amount) > decimals:
        raise ValueError(f"has more than {decimals} decimal places, the most {token_in} allows")
    return amount


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


def wallet_address(value: str) -> str:
    if not is_solana_address(value):
        raise ValueError("must be a base58 Solana address (32 bytes)")
    return value


Slippage = Annotated[
    ExactDecimal,
    bounded(MAX_SLIPPAGE, f"must be a fraction with 0 < slippage <= {MAX_SLIPPAGE} (0.01 is 1%)", SLIPPAGE_DECIMALS, " (0.000001 is 0.0001%)"),
]
PriceImpact = Annotated[ExactDecimal, bounded(Decimal(1), "must be a fraction with 0 < maxPriceImpact <= 1 (0.05 is 5%)", PRICE_IMPACT_DECIMALS)]
LimitPrice = Annotated[
    ExactDecimal,
    bounded(MAX_LIMIT_PRICE, f"must be a price with 0 < limitPrice <= {MAX_LIMIT_PRICE} (tokenOut per tokenIn)", LIMIT_PRICE_DECIMALS),
]
Venues = Annotated[list[str] | None, BeforeValidator(venue_names)]
# A recurring order's band (tokenOut per tokenIn, as limitPrice) and a sniper's worst price (tokenIn
# per tokenOut: the most it pays per token bought), each named in its own words when out of range.
BandPrice = Annotated[
    ExactDecimal,
    bounded(MAX_LIMIT_PRICE, f"must be a price with 0 < price <= {MAX_LIMIT_PRICE} (tokenOut per tokenIn)", LIMIT_PRICE_DECIMALS),
]
SniperPrice = Annotated[
    ExactDecimal,
    bounded(MAX_LIMIT_PRICE, f"must be a price with 0 < maxPrice <= {MAX_LIMIT_PRICE} (tokenIn per tokenOut: the most paid per token bought)",
            LIMIT_PRICE_DECIMALS),
]


def whole_seconds(value: object) -> object:
    if isinstance(value, (bool, float)) or (isinstance(value, str) and not value.strip().isascii()):
        raise ValueError("must be a whole number of seconds")
    return value


WholeSeconds = Annotated[int, Field(ge=1, le=MAX_OPEN_SECONDS), BeforeValidator(whole_seconds)]
Wallet = Annotated[str, AfterValidator(wallet_address)]


class RouteLimits(BaseModel):
    """What a client may say about the route: the venues to use and the price impact it accepts."""

    if TYPE_CHECKING:  # the fields are declared by each request, after its own (so they list in that order)
        maxPriceImpact: Decimal | None
        dexes: list[str] | None
        excludeDexes: list[str] | None

    @property
    def allowed_venues(self) -> list[str] | None:
        """The venues the route may use (None: every venue)."""
        if self.dexes is None and self.excludeDexes is None:
            return None
        return [v for v in (self.dexes or VENUES) if v not in (self.excludeDexes or ())]

    def check_route_exists(self, token_in: str, token_out: str) -> None:
        allowed = self.allowed_venues
        if allowed == []:
            raise ValueError("dexes and excludeDexes leave no venue to trade on")
        if not POOLS.tradeable(token_in, token_out, allowed):
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
    # gt=0 answers in the API's own words ("must be greater than 0"); the ceiling says "at most" and
    # the decimal places depend on tokenIn, below.
    amountIn: Annotated[
        Decimal, Field(gt=0), NOT_FLOAT,
        Field(examples=["1.5"], description="number or decimal string; at most the token's decimals"),
    ]  # fmt: skip
    slippage: Annotated[Slippage, Field(examples=["0.01"], description="fraction, 0 < s <= 0.5")] = DEFAULT_SLIPPAGE
    maxPriceImpact: Annotated[
        PriceImpact | None, Field(examples=["0.05"], description="fraction, 0 < p <= 1: a route with more price impact fails before sending")
    ] = None
    dexes: Annotated[Venues, Field(examples=[["meteora", "raydium"]], description="only these venues")] = None
    excludeDexes: Annotated[Venues, Field(examples=[["raydium"]], description="never these venues")] = None

    @field_validator("tokenIn", "tokenOut")
    @classmethod
    def _known_or_mint(cls, value: str) -> str:
        return resolve_token(value).symbol

    @field_validator("amountIn")
    @classmethod
    def _amount_range(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        return amount_in_range(amount, info.data.get("tokenIn"))

    @model_validator(mode="after")
    def _distinct_pair(self) -> "TradeRequest":
        if self.tokenIn == self.tokenOut:
            raise ValueError("tokenIn and tokenOut must differ")
        self.check_route_exists(self.tokenIn, self.tokenOut)
        return self


class ExecuteOrderRequest(TradeRequest):
    """Body of POST /api/orders/execute."""

    type: Annotated[str, Field(examples=["market"])] = "market"
    wallet: Annotated[Wallet | None, Field(examples=["9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"])] = None
    quoteId: Annotated[
        str | None,
        Field(max_length=512, description="from GET /api/quote: the order receives at least the quote's minAmountOut, or fails (price moved)"),
    ] = None
    webhookUrl: Annotated[
        str | None,
        Field(max_length=2048, examples=["https://example.com/solroute"],
              description="every status change is POSTed here, signed (docs/webhooks.md); default: the API key's webhook URL, if it has one"),
    ] = None

    limitPrice: Annotated[
        LimitPrice | None,
        Field(examples=["150.5"], description="type limit: the least tokenOut per tokenIn to accept; the order waits open until the market reaches it"),
    ] = None
    expiresAt: Annotated[
        str | None, Field(examples=["2026-12-31T12:00:00Z"], description="type limit: when the order expires if the market has not reached its price (ISO-8601 with a time zone); default 24 h")
    ] = None
    timeInForceSeconds: Annotated[
        WholeSeconds | None, Field(examples=[600], description="type limit: instead of expiresAt, how many seconds the order stays open")
    ] = None
    deadline: Annotated[
        str | Decimal | None,
        Field(examples=["30"], description="type market: the order must start routing by then, or it ends expired: an ISO-8601 time, or seconds from now"),
    ] = None

    # A TWAP (type twap): amountIn is the total, sliced over time; a recurring order (type
    # recurring): amountPerRun on a schedule (docs/strategies.md).
    slices: Annotated[int | None, Field(ge=2, le=MAX_SLOTS), BeforeValidator(whole),
                      Field(examples=[10], description="type twap: how many slices (or send sliceAmount)")] = None
    sliceAmount: Annotated[Decimal | None, Field(gt=0), NOT_FLOAT, Field(examples=["1"], description="type twap: tokenIn per slice, instead of slices")] = None
    intervalSeconds: Annotated[int | None, Field(ge=1, le=MAX_INTERVAL_SECONDS), BeforeValidator(whole_seconds),
                               Field(examples=[30], description="twap: seconds between slices (>= 10); recurring: between runs (>= 60)")] = None
    durationSeconds: Annotated[int | None, Field(ge=1, le=MAX_INTERVAL_SECONDS * MAX_SLOTS), BeforeValidator(whole_seconds),
                               Field(examples=[300], description="type twap: the whole schedule, instead of intervalSeconds")] = None
    jitterSeconds: Annotated[int | None, Field(ge=0), BeforeValidator(whole),
                             Field(examples=[3], description="type twap: each slice starts up to this much later (at most a quarter of the interval)")] = None
    maxRetries: Annotated[int | None, Field(ge=0, le=MAX_RETRIES), BeforeValidator(whole),
                          Field(description="type twap: slots that may go unfilled before it ends (default: slices)")] = None
    amountPerRun: Annotated[Decimal | None, Field(gt=0), NOT_FLOAT, Field(examples=["50"], description="type recurring: tokenIn each run spends")] = None
    runs: Annotated[int | None, Field(ge=1, le=MAX_SLOTS), BeforeValidator(whole),
                    Field(examples=[24], description="type recurring: how many runs (or send endsAt)")] = None
    endsAt: Annotated[str | None, Field(examples=["2026-12-31T12:00:00Z"], description="type recurring: no run starts after this (ISO-8601)")] = None
    minPrice: Annotated[BandPrice | None, Field(description="type recurring: a run whose price (tokenOut per tokenIn) is below this is skipped")] = None
    maxPrice: Annotated[BandPrice | None, Field(description="type recurring: a run whose price is above this is skipped")] = None

    @model_validator(mode="before")
    @classmethod
    def _per_run_amount(cls, data: Any) -> Any:
        """A recurring order names the amount of one run; the trade checks (decimals, range) apply to it."""
        if isinstance(data, dict) and data.get("type") == "recurring":
            if "amountIn" in data:
                raise ValueError("a recurring order spends amountPerRun at each run: send amountPerRun, not amountIn")
            if data.get("amountPerRun") is None:
                raise ValueError("a recurring order needs amountPerRun: the tokenIn each run spends")
            try:  # checked here so that a bad one is named as itself, not as the amountIn it stands for
                amount = Decimal(str(decimal_input(data["amountPerRun"])).strip())
                if not amount > 0:
                    raise ValueError("must be greater than 0")
                amount_in_range(amount, _known_symbol(data.get("tokenIn")))
            except (ValueError, ArithmeticError, TypeError) as error:
                raise ValueError(f"amountPerRun: {error}" if str(error) else "amountPerRun: must be a decimal number, such as 1.5 or \"1.5\"") from None
            return {**data, "amountIn": data["amountPerRun"]}
        return data

    @field_validator("expiresAt", "endsAt")
    @classmethod
    def _expires_at(cls, value: str | None) -> str | None:
        if value is not None:
            _instant_ms(value)
        return value

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, (bool, float)) or not isinstance(value, (str, Decimal, int)):
            raise ValueError("must be an ISO-8601 time or a number of seconds from now")
        if isinstance(value, str):
            if not _DECIMAL_TEXT.fullmatch(value):
                _instant_ms(value)  # not seconds: an ISO-8601 time, or a 400 that says so
                return value
            value = Decimal(value.strip())
        seconds = Decimal(value)
        if not (seconds.is_finite() and 0 < seconds <= MAX_OPEN_SECONDS and decimal_places(seconds) <= 3):
            raise ValueError(f"in seconds must be more than 0 and at most {MAX_OPEN_SECONDS} (30 days), to the millisecond")
        return seconds

    def expires_at_ms(self, now_ms: int) -> int | None:
        """When the order must have started routing by (a market order's deadline, a limit
        order's expiry), as epoch milliseconds; None: no deadline. Raises InvalidRequest when it
        has already passed or lies more than 30 days ahead."""
        from solroute.models.errors import InvalidRequest

        field, at_ms = None, None
        if self.type == "limit":
            field = "expiresAt" if self.expiresAt else "timeInForceSeconds"
            if self.expiresAt:
                at_ms = _instant_ms(self.expiresAt)
            else:
                at_ms = now_ms + 1000 * (self.timeInForceSeconds or DEFAULT_LIMIT_SECONDS)
        elif self.deadline is not None:
            field = "deadline"
            at_ms = now_ms + int(self.deadline * 1000) if isinstance(self.deadline, Decimal) else _instant_ms(self.deadline)
        if at_ms is None:
            return None
        if at_ms <= now_ms:
            raise InvalidRequest(f"invalid request: {field}: has already passed", [{"field": field, "message": "has already passed"}])
        if at_ms > now_ms + MAX_OPEN_SECONDS * 1000:
            problem = "is more than 30 days ahead"
            raise InvalidRequest(f"invalid request: {field}: {problem}", [{"field": field, "message": problem}])
        return at_ms

    @model_validator(mode="after")
    def _type_fields(self) -> "ExecuteOrderRequest":
        given = {name for name in _STRATEGY_FIELDS if getattr(self, name) is not None}
        if self.type in STRATEGY_TYPES:
            self._strategy_fields(given)
            return self
        if given:
            raise ValueError(f"{', '.join(sorted(given))} belong to strategy orders: send type \"twap\" or \"recurring\" (docs/strategies.md)")
        if self.type == "limit":
            if self.limitPrice is None:
                raise ValueError("a limit order needs limitPrice: the least tokenOut per tokenIn it accepts")
            if self.quoteId is not None:
                raise ValueError("quoteId binds a market order to a quote; a limit order is bound by its limitPrice")
            if self.deadline is not None:
                raise ValueError("a limit order expires at expiresAt (or after timeInForceSeconds), not at a deadline")
            if self.expiresAt is not None and self.timeInForceSeconds is not None:
                raise ValueError("send expiresAt or timeInForceSeconds, not both")
            if self.limitPrice * self.amountIn > MAX_LIMIT_OUTPUT:
                raise ValueError(
                    f"limitPrice x amountIn is the least {self.tokenOut} the order accepts and must be at most {MAX_LIMIT_OUTPUT};"
                    " no pool holds that much"
                )
        else:
            extra = [name for name in ("limitPrice", "expiresAt", "timeInForceSeconds") if getattr(self, name) is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)} belong to limit orders: send type \"limit\" (a market order may carry a deadline)")
        return self

    def _strategy_fields(self, given: set[str]) -> None:
        twap = self.type == "twap"
        own = {"slices", "sliceAmount", "durationSeconds", "jitterSeconds", "maxRetries"} if twap else {"amountPerRun", "runs", "endsAt", "minPrice", "maxPrice"}
        others = sorted(given - own - {"intervalSeconds"})
        if others:
            raise ValueError(f"{', '.join(others)} {'does' if len(others) == 1 else 'do'} not belong to a {self.type} order (docs/strategies.md)")
        foreign = [n for n in ("quoteId", "deadline", "expiresAt", "timeInForceSeconds") if getattr(self, n) is not None]
        if not twap and self.limitPrice is not None:
            foreign.insert(0, "limitPrice")
        if foreign:
            raise ValueError(f"{', '.join(foreign)} {'does' if len(foreign) == 1 else 'do'} not belong to a {self.type} order (docs/strategies.md)")
        if twap:
            if (self.slices is None) == (self.sliceAmount is None):
                raise ValueError("a twap order needs slices or sliceAmount (one of them)")
            if (self.intervalSeconds is None) == (self.durationSeconds is None):
                raise ValueError("a twap order needs intervalSeconds or durationSeconds (one of them)")
            slices = self.twap_slices
            if slices < 2 or slices > MAX_SLOTS:
                raise ValueError(f"amountIn / sliceAmount makes {slices} slices; a twap has 2 to {MAX_SLOTS}")
            interval = self.interval_seconds
            if interval < MIN_TWAP_INTERVAL_SECONDS:
                raise ValueError(f"a twap's slices must be at least {MIN_TWAP_INTERVAL_SECONDS} s apart (this one: {interval} s)")
            if self.jitterSeconds and self.jitterSeconds * 4 > interval:
                raise ValueError(f"jitterSeconds may be at most a quarter of the interval ({interval // 4} s)")
            if self.limitPrice is not None and self.limitPrice * self.amountIn > MAX_LIMIT_OUTPUT:
                raise ValueError(f"limitPrice x amountIn must be at most {MAX_LIMIT_OUTPUT}; no pool holds that much")
            return
        if self.amountPerRun is None:
            raise ValueError("a recurring order needs amountPerRun: the tokenIn each run spends")
        if self.intervalSeconds is None or self.intervalSeconds < MIN_RECURRING_INTERVAL_SECONDS:
            raise ValueError(f"a recurring order needs intervalSeconds of at least {MIN_RECURRING_INTERVAL_SECONDS}")
        if (self.runs is None) == (self.endsAt is None):
            raise ValueError("a recurring order needs runs or endsAt (one of them)")
        if self.minPrice is not None and self.maxPrice is not None and self.minPrice > self.maxPrice:
            raise ValueError("minPrice must not be above maxPrice")

    @property
    def twap_slices(self) -> int:
        if self.slices is not None:
            return self.slices
        assert self.sliceAmount is not None
        return int((self.amountIn / self.sliceAmount).to_integral_value(rounding=ROUND_CEILING))  # the last slice spends what is left

    @property
    def interval_seconds(self) -> int:
        if self.intervalSeconds is not None:
            return self.intervalSeconds
        return (self.durationSeconds or 0) // self.twap_slices

    def recurring_runs(self, now_ms: int) -> int:
        """How many runs a recurring order makes: ``runs``, or those that start by ``endsAt``.
        Raises InvalidRequest when endsAt leaves none, or more than the most."""
        from solroute.models.errors import InvalidRequest

        if self.runs is not None:
            return self.runs
        assert self.endsAt is not None and self.intervalSeconds is not None
        ends_ms = _instant_ms(self.endsAt)
        if ends_ms <= now_ms:
            raise InvalidRequest("invalid request: endsAt: has already passed", [{"field": "endsAt", "message": "has already passed"}])
        runs = (ends_ms - now_ms) // (self.intervalSeconds * 1000) + 1
        if runs > MAX_SLOTS:
            problem = f"leaves room for {runs} runs; a recurring order makes at most {MAX_SLOTS}"
            raise InvalidRequest(f"invalid request: endsAt: {problem}", [{"field": "endsAt", "message": problem}])
        return int(runs)

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
            raise ValueError(f"order type '{value}' is not supported; the types are {', '.join(SUPPORTED_ORDER_TYPES)} and sniper")
        return value

    _webhook_url = field_validator("webhookUrl")(webhook_url)

    @model_validator(mode="after")
    def _quote_matches(self) -> "ExecuteOrderRequest":
        terms = self.quote_terms
        if terms is not None and (terms.token_in, terms.token_out, terms.amount_in) != (self.tokenIn, self.tokenOut, self.amountIn):
            raise ValueError(
                f"quoteId is a quote for {plain(terms.amount_in)} {terms.token_in}->{terms.token_out}, not for this order;"
                " send the same tokenIn, tokenOut and amountIn as the quote"
            )
        return self


_STRATEGY_FIELDS = (
    "slices", "sliceAmount", "intervalSeconds", "durationSeconds", "jitterSeconds", "maxRetries", "amountPerRun", "runs", "endsAt",
    "minPrice", "maxPrice",
)  # fmt: skip


def whole(value: object) -> object:
    if isinstance(value, (bool, float)) or (isinstance(value, str) and not value.strip().isascii()):
        raise ValueError("must be a whole number")
    return value


def _instant_ms(text: str) -> int:
    """An ISO-8601 time with a time zone, as epoch milliseconds."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("must be an ISO-8601 time with a time zone, such as 2026-12-31T12:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("must carry a time zone, such as 2026-12-31T12:00:00Z")
    try:
        return int(moment.timestamp() * 1000)
    except (OverflowError, ValueError, OSError):
        raise ValueError("is not a time this API can hold") from None


class ListOrdersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    wallet: Wallet | None = None  # only this wallet's orders (of the caller's own)
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: str | None = None


_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}$")


def future_token(value: str) -> str:
    """A known token, or one that may be launched later: a symbol (2-10 letters and digits) or a mint."""
    try:
        return resolve_token(value).symbol
    except ValueError:
        if not _SYMBOL.match(value.strip()):
            raise ValueError("must be a token symbol (2 to 10 letters and digits, such as NEWT) or a base58 mint address") from None
        return value.strip().upper()


class SniperRequest(RouteLimits):
    """Body of POST /api/orders/execute with type "sniper": buy ``tokenOut`` the moment its pool
    appears on a venue (or its liquidity reaches ``minLiquidity``), paying at most ``maxPrice``
    (docs/strategies.md). ``tokenOut`` may not exist yet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["sniper"]
    tokenIn: Annotated[str, Field(min_length=1, max_length=64, examples=["USDC"])]
    tokenOut: Annotated[str, Field(min_length=1, max_length=64, examples=["NEWT"], description="the token to buy: it may be launched later")]
    amountIn: Annotated[Decimal, Field(gt=0), NOT_FLOAT, Field(examples=["100"], description="what to spend, in tokenIn")]
    maxPrice: Annotated[SniperPrice, Field(examples=["0.5"], description="the most tokenIn paid per tokenOut (the buy's worst price)")]
    minLiquidity: Annotated[
        Decimal | None, Field(gt=0), NOT_FLOAT,
        Field(examples=["50000"], description="fire only once the pool holds at least this much of its quote token (default: as soon as it appears)"),
    ] = None  # fmt: skip
    slippage: Annotated[Slippage, Field(examples=["0.01"])] = DEFAULT_SLIPPAGE
    maxPriceImpact: Annotated[PriceImpact | None, Field(examples=["0.05"])] = None
    dexes: Annotated[Venues, Field(examples=[["raydium"]], description="watch only these venues")] = None
    excludeDexes: Annotated[Venues, Field(description="never these venues")] = None
    wallet: Annotated[Wallet | None, Field()] = None
    webhookUrl: Annotated[str | None, Field(max_length=2048)] = None
    expiresAt: Annotated[str | None, Field(description="when it stops watching (ISO-8601); default 24 h")] = None
    timeInForceSeconds: Annotated[WholeSeconds | None, Field(description="instead of expiresAt, how many seconds it watches")] = None

    @field_validator("tokenIn")
    @classmethod
    def _known(cls, value: str) -> str:
        return resolve_token(value).symbol

    @field_validator("tokenOut")
    @classmethod
    def _known_or_future(cls, value: str) -> str:
        return future_token(value)
    _webhook_url = field_validator("webhookUrl")(webhook_url)

    @field_validator("expiresAt")
    @classmethod
    def _expires_at(cls, value: str | None) -> str | None:
        if value is not None:
            _instant_ms(value)
        return value

    @field_validator("amountIn")
    @classmethod
    def _amount(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        return amount_in_range(amount, info.data.get("tokenIn"))

    @model_validator(mode="after")
    def _fields(self) -> "SniperRequest":
        if self.tokenIn == self.tokenOut:
            raise ValueError("tokenIn and tokenOut must differ")
        if self.expiresAt is not None and self.timeInForceSeconds is not None:
            raise ValueError("send expiresAt or timeInForceSeconds, not both")
        if self.allowed_venues == []:
            raise ValueError("dexes and excludeDexes leave no venue to watch")
        return self

    @property
    def quote_terms(self) -> None:
        return None  # never bound to a quote: the market it buys into may not exist yet

    def expires_at_ms(self, now_ms: int) -> int:
        limit_like = ExecuteOrderRequest.model_construct(type="limit", expiresAt=self.expiresAt, timeInForceSeconds=self.timeInForceSeconds)
        at_ms = limit_like.expires_at_ms(now_ms)
        assert at_ms is not None
        return at_ms
