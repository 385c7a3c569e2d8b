"""What the chain says about a transaction: landed (and how it went), or not."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from solroute.models.amounts import Amount
from solroute.models.order import ExecutedLeg


class ChainReceipt(BaseModel):
    model_config = ConfigDict(frozen=True)

    signature: str
    status: Literal["success", "failed"]
    dex: str
    amountIn: Amount
    amountOut: Amount  # what the swap delivers (or would have, when it failed)
    executedPrice: Amount
    fee: Amount
    slippage: Amount  # realised vs. the quote
    error: str | None = None
    landedAtMs: int
    confirmAfterMs: int  # simulated time from landing to finality
    legs: list[ExecutedLeg] = Field(default_factory=list)  # each instruction of the route, as executed
    networkFee: Amount | None = None  # a Solana chain's: in SOL
    slot: int | None = None
    balanceChanges: dict[str, Amount] | None = None  # the wallet's, by token symbol

    @property
    def final_at_ms(self) -> int:
        return self.landedAtMs + self.confirmAfterMs
