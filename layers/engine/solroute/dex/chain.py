"""The simulated chain the venues settle on.

Like Solana it deduplicates by signature: sending the same signed swap twice lands it once.
Landed transactions are kept in a ledger (a port: DynamoDB in Lambda, a dict in unit tests) so
any consumer instance can look a transaction up after another one crashed.

A transaction that has not landed can be expired: from then on it never lands. On Solana this
is waiting until the transaction's blockhash is too old (lastValidBlockHeight, about a minute);
here a tombstone in the ledger does it at once and atomically: whichever of "land" and "expire"
writes the signature first wins, so the engine can always learn the one true outcome.
"""

from __future__ import annotations

from decimal import Decimal

from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.dex.randomness import Randomness
from solroute.dex.simulation import SimulationConfig
from solroute.models.amounts import plain, quantize_down
from solroute.models.chain import ChainReceipt
from solroute.models.errors import RpcError, TransactionExpired
from solroute.models.order import ExecutedLeg, Order, RouteLeg, SignedSwap
from solroute.models.tokens import resolve_token
from solroute.ports import ChainLedger, Clock

EXPIRED = "expired"  # the ledger's tombstone status: this signature never lands


class SimulatedChain:
    def __init__(
        self, ledger: ChainLedger, config: SimulationConfig, randomness: Randomness, clock: Clock, faults: FaultPlan = NO_FAULTS
    ) -> None:
        self.ledger = ledger
        self.config = config
        self.randomness = randomness
        self.clock = clock
        self.faults = faults

    def sign(self, order: Order, swap: SignedSwap) -> SignedSwap:
        """The simulated chain executes the swap as built (its signature is the build's hash)."""
        return swap

    def lookup(self, swap: SignedSwap) -> ChainReceipt | None:
        """The landed transaction's receipt; None if it has not landed (or never will)."""
        return self._lookup(swap.signature)

    def _lookup(self, signature: str) -> ChainReceipt | None:
        return _receipt(self.ledger.get(signature))

    def send(self, swap: SignedSwap, fee_rate: Decimal, attempt: int) -> ChainReceipt:
        """Land the swap (once per signature). Its receipt says when it will be final."""
        self.faults.crash_if("crash-before-send", swap.signature, attempt)
        attempt_rng = self.randomness.rng(swap.signature, "send", attempt)
        if Randomness.chance(attempt_rng, self.config.failure_rate) or self.faults.fires("send-rpc-error", swap.signature, attempt):
            raise RpcError("RPC node rejected sendTransaction (blockhash not found); nothing landed")
        receipt = self._execute(swap, fee_rate)
        if not self.ledger.put_if_absent(swap.signature, receipt.model_dump(mode="json")):
            receipt = self._first_landing(swap.signature)  # sent before: the first landing stands
        self.faults.crash_if("crash-after-send", swap.signature, attempt)
        return receipt

    def expire(self, swap: SignedSwap, now_ms: int) -> ChainReceipt | None:
        """Make sure the transaction can never land from now on. Returns its receipt if it
        had already landed (that outcome stands), None if it never landed and now never will."""
        if self.ledger.put_if_absent(swap.signature, {"status": EXPIRED, "expiredAtMs": now_ms}):
            return None
        return self._lookup(swap.signature)

    def _first_landing(self, signature: str) -> ChainReceipt:
        receipt = self._lookup(signature)
        if receipt is None:
            raise TransactionExpired("the swap's transaction expired before it landed; nothing was swapped")
        return receipt

    def _execute(self, swap: SignedSwap, fee_rate: Decimal) -> ChainReceipt:
        """The transaction executes whole: one price move (``drift``) for all its legs, and the
        order receives what the legs into ``tokenOut`` pay."""
        rng = self.randomness.rng(swap.signature, "execute")
        drift = Randomness.uniform(rng, -self.config.price_drift, self.config.price_drift)
        confirm_ms = Randomness.uniform(rng, Decimal(self.config.swap_delay_min_ms), Decimal(self.config.swap_delay_max_ms))
        legs = _execute_legs(swap, drift)
        if legs:
            out = sum((leg.amountOut for leg in legs if leg.tokenOut == swap.tokenOut), Decimal(0))
            fee = sum((leg.fee for leg in legs if leg.tokenIn == swap.tokenIn), Decimal(0))
        else:  # a swap built before routes: one pool, the venue's fee rate
            out = quantize_down(swap.quotedAmountOut * (1 + drift), resolve_token(swap.tokenOut).decimals)
            fee = swap.amountIn * fee_rate
        slippage = ((swap.quotedAmountOut - out) / swap.quotedAmountOut).quantize(Decimal("1e-8")) if swap.quotedAmountOut else Decimal(0)
        failed = out < swap.minAmountOut
        return ChainReceipt(
            signature=swap.signature,
            status="failed" if failed else "success",
            dex=swap.dex,
            amountIn=swap.amountIn,
            amountOut=out,
            executedPrice=(out / swap.amountIn).quantize(Decimal("1e-12")),
            fee=fee,
            slippage=slippage,
            error=f"slippage exceeded: would receive {plain(out)}, minimum {plain(swap.minAmountOut)}" if failed else None,
            landedAtMs=self.clock.now_ms(),
            confirmAfterMs=int(confirm_ms),
            legs=legs,
        )


def _execute_legs(swap: SignedSwap, drift: Decimal) -> list[ExecutedLeg]:
    """Each leg as executed, hop by hop: the first hop's legs pay their quote moved by ``drift``;
    a later hop spends what the hop before it really paid (its quoted input scaled by that), so
    what a two-hop route delivers moves by ``drift`` too."""
    hops: list[list[RouteLeg]] = []
    for leg in swap.legs:  # a hop: consecutive legs of one token pair (a split has two)
        if hops and (hops[-1][0].tokenIn, hops[-1][0].tokenOut) == (leg.tokenIn, leg.tokenOut):
            hops[-1].append(leg)
        else:
            hops.append([leg])
    executed: list[ExecutedLeg] = []
    scale = Decimal(1)  # what the previous hop really paid over what it was quoted to pay
    for index, hop in enumerate(hops):
        moved = (1 + drift) if index == 0 else scale
        done = [
            ExecutedLeg(
                **leg.model_dump(exclude={"amountIn", "amountOut", "fee"}),
                amountIn=leg.amountIn if index == 0 else quantize_down(leg.amountIn * scale, resolve_token(leg.tokenIn).decimals),
                # fee rates have three decimals: the quoted fee has at most three more than the token
                fee=leg.fee if index == 0 else quantize_down(leg.fee * scale, resolve_token(leg.tokenIn).decimals + 3),
                quotedAmountOut=leg.amountOut,
                amountOut=quantize_down(leg.amountOut * moved, resolve_token(leg.tokenOut).decimals),
            )
            for leg in hop
        ]
        quoted_out = sum((leg.amountOut for leg in hop), Decimal(0))
        scale = sum((leg.amountOut for leg in done), Decimal(0)) / quoted_out if quoted_out else Decimal(0)
        executed += done
    return executed


def _receipt(record: dict | None) -> ChainReceipt | None:
    if not record or record.get("status") == EXPIRED:
        return None
    return ChainReceipt.model_validate(record)
