"""What a trader sends, validated. Amounts are Decimal from the JSON text, never float."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from solroute.models.amounts import decimal_places
from solroute.models.tokens import UNKNOWN_MINT_DECIMALS, is_solana_address, resolve_token

MAX_AMOUNT_IN = Decimal("1000000000000")  # 1e12 tokens: beyond any pool we hold
MAX_SLIPPAGE = Decimal("0.5")
DEFAULT_SLIPPAGE = Decimal("0.01")
SLIPPAGE_DECIMALS = 6
SUPPORTED_ORDER_TYPES = ("market",)


class ExecuteOrderRequest(BaseModel):
    """Body of POST /api/orders/execute."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tokenIn: Annotated[str, Field(min_length=1, max_length=64, examples=["SOL"])]
    tokenOut: Annotated[str, Field(min_length=1, max_length=64, examples=["USDC"])]
    amountIn: Annotated[Decimal, Field(examples=["1.5"], description="number or decimal string; at most the token's decimals")]
    slippage: Annotated[Decimal, Field(examples=["0.01"], description="fraction, 0 < s <= 0.5")] = DEFAULT_SLIPPAGE
    type: Annotated[str, Field(examples=["market"])] = "market"
    wallet: Annotated[str | None, Field(examples=["9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"])] = None

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

    @field_validator("type")
    @classmethod
    def _market_only(cls, value: str) -> str:
        if value not in SUPPORTED_ORDER_TYPES:
            raise ValueError(f"order type '{value}' is not supported yet; only 'market' orders are accepted")
        return value

    @field_validator("wallet")
    @classmethod
    def _wallet_address(cls, value: str | None) -> str | None:
        if value is not None and not is_solana_address(value):
            raise ValueError("must be a base58 Solana address (32 bytes)")
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
    def _distinct_pair(self) -> "ExecuteOrderRequest":
        if self.tokenIn == self.tokenOut:
            raise ValueError("tokenIn and tokenOut must differ")
        return self


class ListOrdersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    wallet: str | None = None  # only this wallet's orders (of the caller's own)
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: str | None = None

    @field_validator("wallet")
    @classmethod
    def _wallet_address(cls, value: str | None) -> str | None:
        if value is not None and not is_solana_address(value):
            raise ValueError("must be a base58 Solana address (32 bytes)")
        return value
