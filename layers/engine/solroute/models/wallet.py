"""A wallet as the HTTP API shows it (GET /api/wallet), and funding it from the local chain's
faucet (POST /api/wallet/fund). Amounts are Decimal, written as plain decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from solroute.models.amounts import Amount, decimal_places
from solroute.models.requests import NOT_FLOAT
from solroute.models.tokens import KNOWN_TOKENS

# The most one request may mint: the faucet is for trying the engine, not for making any amount
# a pool could never absorb (the largest pools hold a few million of a token).
MAX_FUND_AMOUNT = Decimal("1000000")


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)


class TokenBalance(_Answer):
    token: str = Field(examples=["SOL"])
    mint: str = Field(description="the token's mint address on this chain")
    amount: Amount = Field(examples=["10"], description="whole tokens, a decimal string")
    decimals: int = Field(examples=[9])


class WalletAnswer(_Answer):
    """200 to GET /api/wallet: the API key's wallet and its balance of every known token, read from the chain."""

    address: str = Field(description="the wallet's base58 address (it signs the key's orders)")
    chain: str = Field(examples=["local"], description='where the wallet lives: "local" (the local validator) or the cluster\'s RPC node as scheme://host[:port] (never its path or query)')
    balances: list[TokenBalance]


class FundRequest(BaseModel):
    """Body of POST /api/wallet/fund: mint this much of a token to the caller's wallet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: Annotated[str, Field(min_length=1, max_length=64, examples=["SOL"], description="a known token's symbol")]
    amount: Annotated[
        Decimal, Field(gt=0), NOT_FLOAT,
        Field(examples=["10"], description=f"number or decimal string; at most {MAX_FUND_AMOUNT} and the token's decimals"),
    ]  # fmt: skip

    @field_validator("token")
    @classmethod
    def _known(cls, value: str) -> str:
        symbol = value.strip().upper()
        if symbol not in KNOWN_TOKENS:
            raise ValueError(f"unknown token '{value}': the faucet mints {', '.join(KNOWN_TOKENS)}")
        return symbol

    @field_validator("amount")
    @classmethod
    def _amount_range(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        if amount > MAX_FUND_AMOUNT:
            raise ValueError(f"must be at most {MAX_FUND_AMOUNT}")
        token = info.data.get("token")
        if token and decimal_places(amount) > KNOWN_TOKENS[token].decimals:
            raise ValueError(f"has more than {KNOWN_TOKENS[token].decimals} decimal places, the most {token} allows")
        return amount


class Funded(_Answer):
    """200 to POST /api/wallet/fund: the faucet's transaction and the wallet's balances after it."""

    signature: str = Field(description="the funding transaction's signature")
    token: str = Field(examples=["SOL"])
    amount: Amount = Field(examples=["10"])
    balances: list[TokenBalance]
