"""The World of tests/world.py on the RPC chain: the local validator on the World's clock (so
confirmations and blockhash expiry follow simulated time), the engine's RPC client without a
socket, each JSON-RPC call a step the fault matrix can hit (``rpc.<method>``: a throttle is the
client's RpcError, a crash before or after the call dies there), and the chain's own truth for
the guarantees: what landed, read from the validator, never through the engine."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping

from localcloud.services.solana import LocalValidator
from localcloud.services.solana.ledger import Landed
from solroute.dal.solana.chain import RpcChain
from solroute.dal.solana.wallets import ChainWallets
from solroute.dex.faults import FaultPlan
from solroute.dex.simulation import SimulationConfig
from solroute.dex.solana.programs import MEMO_PROGRAM
from solroute.models.order import Order, OrderStatus
from solroute.ports import PricedVenue
from tests.fakes import TEST_CALLER, FakeClock
from tests.support.rpc_engine import InProcessRpc, local_chain

if TYPE_CHECKING:
    from tests.world import Calls

S = OrderStatus
FUNDS = {"SOL": Decimal(1_000), "USDC": Decimal(100_000)}
MEMO = "solroute order "


class CountedRpc(InProcessRpc):
    """The in-process client, each call a step of ``counted`` once it is set (after the bootstrap)."""

    counted: "Calls | None" = None

    def call(self, method: str, *params: Any) -> Any:
        if self.counted is None:
            return super().call(method, *params)
        operation = f"rpc.{method}"
        nth = self.counted.before(operation)
        result = super().call(method, *params)
        self.counted.after(operation, nth)
        return result


@dataclass
class RpcSide:
    validator: LocalValidator
    rpc: CountedRpc
    chain: RpcChain
    wallets: ChainWallets

    def landed(self) -> dict[str, dict]:
        """The engine's transactions that landed, by signature, as the ledger's ``landed()``
        shapes them: status, the order its memo names, what the wallet received."""
        wallet = self.chain.wallet_address(TEST_CALLER.key_id)
        mints = {symbol: str(mint.address) for symbol, mint in self.chain.mints().items()}
        out = {}
        for signature, record in self.validator.landed.items():
            order_id = memo_order(record)
            if order_id is not None:
                # What the order received: the one token of the wallet's that grew (a two-hop's middle nets to zero).
                grew = sum((d for d in (received(record, wallet, m) for m in mints.values()) if d > 0), Decimal(0))
                out[str(signature)] = {"status": "success" if record.err is None else "failed", "orderId": order_id, "record": record, "amountOut": grew}
        return out

    def status(self, signature: str) -> dict | None:
        """getSignatureStatuses, asked of the validator itself (no fault, no step)."""
        return self.validator.dispatch("getSignatureStatuses", [[signature], {"searchTransactionHistory": True}])["value"][0]

    def height_at(self, ms: int) -> int:
        """The chain's block height at an instant of the World's clock (a block every slot)."""
        clock = self.validator.clock
        return int((ms - clock.genesis_ms) // clock.slot_ms)


def rpc_side(clock: FakeClock, calls: "Calls", config: SimulationConfig, venues: Mapping[str, PricedVenue], faults: FaultPlan) -> RpcSide:
    """Deterministic (a fixed root, the validator seeded), so a clean run's steps are every run's."""
    validator, rpc, chain, wallets = local_chain(clock, config, venues, faults, FUNDS, rpc_type=CountedRpc, root=bytes(range(32)))
    rpc.counted = calls
    return RpcSide(validator, rpc, chain, wallets)


def memo_order(record: Landed) -> str | None:
    message = record.transaction.message
    for ix in message.instructions:
        if message.account_keys[ix.program_id_index] == MEMO_PROGRAM:
            text = bytes(ix.data).decode(errors="replace")
            if text.startswith(MEMO):
                return text.removeprefix(MEMO)
    return None


def received(record: Landed, owner: str, mint: str) -> Decimal:
    """How much of ``mint`` the owner's token accounts gained in the transaction."""
    total = Decimal(0)
    for side, sign in ((record.pre_token_balances, -1), (record.post_token_balances, 1)):
        for balance in side:
            if balance["owner"] == owner and balance["mint"] == mint:
                total += sign * Decimal(balance["uiTokenAmount"]["amount"]).scaleb(-balance["uiTokenAmount"]["decimals"])
    return total


def check_chain_truth(side: RpcSide, orders: dict[str, Order], story) -> None:
    """G1 and G2 against the chain itself: at most one transaction of each order landed (counted
    by the memos of what the validator executed), and each order's final status is what
    getSignatureStatuses says of its signature."""
    landed = side.landed()
    per_order: dict[str, list[str]] = {}
    for signature, entry in landed.items():
        per_order.setdefault(entry["orderId"], []).append(signature)
    for order_id, signatures in per_order.items():
        assert len(signatures) == 1, f"G2: {len(signatures)} transactions of order {order_id} landed: {signatures}"
        assert order_id in orders, f"G2: a transaction landed for an order the engine never stored: {order_id}"
        stored = orders[order_id].transaction
        assert stored is not None and stored.signature == signatures[0], f"G2: what landed is not the signature the order stored: {story(orders[order_id])}"
    for order in orders.values():
        if order.transaction is None:
            assert order.status is not S.CONFIRMED, f"G1: confirmed with nothing signed: {story(order)}"
            continue
        status = side.status(order.transaction.signature)
        if order.status is S.CONFIRMED:
            assert status is not None and status["err"] is None, f"G1: confirmed, the chain says {status}: {story(order)}"
            record = landed[order.transaction.signature]["record"]
            assert record.confirmed_ms <= order.statusAtMs, f"G1: confirmed before the cluster confirmed it: {story(order)}"
        elif order.status is S.FAILED and status is None:
            last_valid = order.transaction.lastValidBlockHeight
            assert last_valid is not None and side.height_at(order.statusAtMs) > last_valid, (
                f"G1: failed while its transaction could still land (height {side.height_at(order.statusAtMs)} <= {last_valid}): {story(order)}"
            )
        elif order.status is S.FAILED:
            assert status["err"] is not None, f"G1: failed, but its transaction landed successfully: {story(order)}"
            assert "failed on chain" in (order.failureReason or ""), f"G1: failed without the chain's reason: {story(order)}"
        else:
            assert status is None, f"G1: {order.status.value} but its transaction landed: {story(order)}"
