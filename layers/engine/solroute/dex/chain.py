"""The simulated chain the venues settle on.

Like Solana it deduplicates by signature: sending the same signed swap twice lands it once.
Landed transactions are kept in a ledger (a port: DynamoDB in Lambda, a dict in unit tests) so
any consumer instance can look a transaction up after another one crashed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from solroute.dex.pools import quantize_down
from solroute.dex.randomness import Randomness
from solroute.dex.simulation import SimulationConfig
from solroute.logic.clock import Clock
from solroute.dal.ports import ChainLedger
from solroute.models.errors import RpcError
from solroute.models.order import SignedSwap
from solroute.models.tokens import resolve_token


class ChainReceipt(BaseModel):
    model_config = ConfigDict(frozen=True)

    signature: str
    status: Literal["success", "failed"]
    dex: str
    amountIn: Decimal
    amountOut: Decimal  # what the swap delivers (or would have, when it failed)
    executedPrice: Decimal
    fee: Decimal
    slippage: Decimal  # realised vs. the quote
    error: str | None = None
    landedAtMs: int
    confirmAfterMs: int  # simulated time from landing to finality

    @property
    def final_at_ms(self) -> int:
        return self.landedAtMs + self.confirmAfterMs


class SimulatedChain:
    def __init__(self, ledger: ChainLedger, config: SimulationConfig, randomness: Randomness, clock: Clock) -> None:
        self.ledger = ledger
        self.config = config
        self.randomness = randomness
        self.clock = clock

    def lookup(self, signature: str) -> ChainReceipt | None:
        record = self.ledger.get(signature)
        return ChainReceipt.model_validate(record) if record else None

    def send(self, swap: SignedSwap, fee_rate: Decimal, attempt: int) -> ChainReceipt:
        """Land the swap (once per signature). Its receipt says when it will be final."""
        attempt_rng = self.randomness.rng(swap.signature, "send", attempt)
        if Randomness.chance(attempt_rng, self.config.failure_rate):
            raise RpcError("RPC node rejected sendTransaction (blockhash not found); nothing landed")
        receipt = self._execute(swap, fee_rate)
        if self.ledger.put_if_absent(swap.signature, receipt.model_dump(mode="json")):
            return receipt
        return self.lookup(swap.signature) or receipt  # sent before: the first landing stands

    def _execute(self, swap: SignedSwap, fee_rate: Decimal) -> ChainReceipt:
        rng = self.randomness.rng(swap.signature, "execute")
        drift = Randomness.uniform(rng, -self.config.price_drift, self.config.price_drift)
        confirm_ms = Randomness.uniform(rng, Decimal(self.config.swap_delay_min_ms), Decimal(self.config.swap_delay_max_ms))
        out = quantize_down(swap.quotedAmountOut * (1 + drift), resolve_token(swap.tokenOut).decimals)
        slippage = ((swap.quotedAmountOut - out) / swap.quotedAmountOut).quantize(Decimal("1e-8")) if swap.quotedAmountOut else Decimal(0)
        failed = out < swap.minAmountOut
        return ChainReceipt(
            signature=swap.signature,
            status="failed" if failed else "success",
            dex=swap.dex,
            amountIn=swap.amountIn,
            amountOut=out,
            executedPrice=(out / swap.amountIn).quantize(Decimal("1e-12")),
            fee=swap.amountIn * fee_rate,
            slippage=slippage,
            error=f"slippage exceeded: would receive {out}, minimum {swap.minAmountOut}" if failed else None,
            landedAtMs=self.clock.now_ms(),
            confirmAfterMs=int(confirm_ms),
        )
