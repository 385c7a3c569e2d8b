"""The chain port on a Solana cluster, over JSON-RPC (solroute.ports.Chain).

The rules:
- ``sign`` builds the route as one transaction (solroute.dex.solana.swap), with the venues'
  firm prices of that moment, a recent blockhash and its ``lastValidBlockHeight``; the executor
  stores it (signature, bytes, height) before anything is sent.
- ``send`` sends those bytes (skipPreflight: a transaction that fails lands failed, as on any
  cluster, and the chain's reason is recorded) and answers what the chain says: the outcome
  once ``confirmed``; NotFinalYet while it is only processed or not seen yet.
- ``lookup`` answers the outcome of a landed transaction; None when the chain has not seen it
  (the executor then resends the same bytes, which lands them at most once: a signature is
  processed once).
- ``expire`` never forces anything: a transaction nobody has seen can still land until the
  chain's block height passes its ``lastValidBlockHeight``. Until then it raises NotFinalYet
  (the order waits); after, the signature still unknown, it answers None: it never lands.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Callable, Mapping

from solders.hash import Hash

from solroute.dal.solana.rpc import RpcFailure, SolanaRpc
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.dex.randomness import Randomness
from solroute.dex.simulation import SimulationConfig
from solroute.dex.solana.keys import ChainKeys
from solroute.dex.solana.programs import TOKEN_ERRORS
from solroute.dex.solana.swap import Mint, firm_legs, swap_transaction
from solroute.models.chain import ChainReceipt
from solroute.models.errors import NotFinalYet, NoWallet, RpcError, TransactionExpired
from solroute.models.order import ExecutedLeg, Order, SignedSwap
from solroute.models.launches import find_token, tokens_with_launches
from solroute.models.tokens import resolve_token
from solroute.ports import Clock, PricedVenue

SLOT_MS = 400  # Solana's target slot time: how long a block height takes to pass
LAMPORTS = Decimal(10) ** 9
FINAL = ("confirmed", "finalized")  # the engine records an outcome at commitment "confirmed"


class RpcChain:
    def __init__(
        self,
        rpc: SolanaRpc,
        keys: Callable[[], ChainKeys],
        venues: Mapping[str, PricedVenue],
        clock: Clock,
        config: SimulationConfig = SimulationConfig(),
        faults: FaultPlan = NO_FAULTS,
    ) -> None:
        self.rpc = rpc
        self._keys = keys  # the root is opened on first use (one KMS call a process)
        self.venues = venues
        self.clock = clock
        self.config = config
        self.faults = faults

    # ------------------------------------------------------------ the catalogue
    def keys(self) -> ChainKeys:
        return self._keys()

    def mints(self) -> dict[str, Mint]:
        keys = self._keys()
        return {symbol: Mint(keys.mint(symbol).pubkey(), token.decimals) for symbol, token in tokens_with_launches().items()}

    def symbols(self) -> dict[str, str]:
        return {str(mint.address): symbol for symbol, mint in self.mints().items()}

    def wallet_address(self, key_id: str) -> str:
        return str(self._keys().wallet(key_id).pubkey())

    def balances(self, address: str) -> dict[str, Decimal]:
        """The wallet's token balances read from the chain, by symbol (the static tokens and the launched ones this process knows)."""
        symbols = self.symbols()
        out: dict[str, Decimal] = {}
        for mint, units in self.rpc.token_accounts(address).items():
            if mint in symbols:
                out[symbols[mint]] = Decimal(units).scaleb(-resolve_token(symbols[mint]).decimals)
        return out

    # ------------------------------------------------------------ the port
    def sign(self, order: Order, swap: SignedSwap) -> SignedSwap:
        if not order.keyId:
            raise NoWallet("the order has no API key, so no wallet to pay from; nothing was sent")
        keys = self._keys()
        legs = firm_legs(swap.legs, self.venues, self.clock.now_ms(), swap.minAmountOut, order.tokenOut)
        wallet = keys.wallet(order.keyId)
        have = set(self.rpc.token_accounts(str(wallet.pubkey())))
        blockhash, last_valid = self.rpc.latest_blockhash()
        if self.faults.fires("blockhash-expired", order.orderId, order.attempts):
            # A lagging RPC node hands out a blockhash that has already expired: it never lands.
            blockhash, last_valid = str(Hash.new_unique()), self.rpc.block_height() - 1
        # A launched pool's vaults are its own (ChainKeys.pool); the static pools share their venue's.
        venue_keys = {leg.poolId: keys.vault_owner(leg.dex, leg.poolId, leg.tokenIn, leg.tokenOut) for leg in legs}
        tx = swap_transaction(order.orderId, legs, wallet, keys.fee_payer(), venue_keys, self.mints(), have, Hash.from_string(blockhash))
        return swap.model_copy(
            update={
                "signature": str(tx.signatures[0]),
                "raw": base64.b64encode(bytes(tx)).decode(),
                "lastValidBlockHeight": last_valid,
                "payer": str(wallet.pubkey()),
                "legs": legs,
            }
        )

    def send(self, swap: SignedSwap, fee_rate: Decimal, attempt: int) -> ChainReceipt:
        assert swap.raw is not None, "a swap for the RPC chain is signed before it is sent"
        self.faults.crash_if("crash-before-send", swap.signature, attempt)
        if self.faults.fires("send-rpc-error", swap.signature, attempt):
            raise RpcError("RPC node rejected sendTransaction; nothing landed")
        if self.faults.fires("rpc-drop", swap.signature, attempt):
            pass  # the node answers the signature and never forwards the transaction
        elif self.faults.fires("rpc-timeout", swap.signature, attempt):
            if Randomness.chance(self.faults.randomness.rng("rpc-timeout", "landed", swap.signature, attempt), Decimal("0.5")):
                self._send(swap)  # it reached the leader; only the answer was lost
            raise RpcError("sendTransaction timed out; the transaction may or may not have landed")
        else:
            self._send(swap)
        self.faults.crash_if("crash-after-send", swap.signature, attempt)
        # A cluster confirms a transaction the seed's swap delay after it lands (2-3 s by default):
        # look it up then, from the settle queue, rather than hold this invocation.
        first_look_ms = self.clock.now_ms() + max(1000, self.config.swap_delay_min_ms)
        try:
            receipt = self.lookup(swap)
        except NotFinalYet:
            raise NotFinalYet("sent and landed; waiting for the cluster to confirm it", first_look_ms) from None
        if receipt is None:  # not seen yet: look again shortly (the executor resends then)
            self._raise_if_expired(swap)
            raise NotFinalYet("sent; the chain has not seen the transaction yet", first_look_ms)
        return receipt

    def _send(self, swap: SignedSwap) -> None:
        try:
            self.rpc.send_transaction(swap.raw or "", skip_preflight=True)
        except RpcFailure as failure:  # the node refused it: nothing landed
            raise RpcError(f"RPC node refused sendTransaction: {failure.rpc_message}") from None

    def lookup(self, swap: SignedSwap) -> ChainReceipt | None:
        status = self.rpc.signature_status(swap.signature)
        if status is None:
            return None
        # A node that predates confirmationStatus answers null for it, and null confirmations for
        # a rooted (finalized) transaction: that is final too.
        rooted = status.get("confirmationStatus") is None and status.get("confirmations") is None
        if status.get("confirmationStatus") not in FINAL and not rooted:  # processed: look again a slot later
            raise NotFinalYet("landed; waiting for the cluster to confirm it", self.clock.now_ms() + SLOT_MS)
        transaction = self.rpc.transaction(swap.signature)
        if transaction is None:  # confirmed a moment ago: the ledger is one step behind
            raise NotFinalYet("confirmed; the transaction is not readable yet", self.clock.now_ms() + 1000)
        return self._receipt(swap, transaction)

    def expire(self, swap: SignedSwap, now_ms: int) -> ChainReceipt | None:
        receipt = self.lookup(swap)
        if receipt is not None:
            return receipt
        self._raise_if_expired(swap, wait=True)
        return None

    def _raise_if_expired(self, swap: SignedSwap, wait: bool = False) -> None:
        """TransactionExpired (or, with ``wait``, nothing) once the chain's block height has passed
        the transaction's last valid one; with ``wait``, NotFinalYet until then."""
        height = self.rpc.block_height()
        last_valid = swap.lastValidBlockHeight if swap.lastValidBlockHeight is not None else height
        if height > last_valid:
            if self.rpc.signature_status(swap.signature) is not None:  # it landed in the meantime
                raise NotFinalYet("landed as its blockhash expired; reading its outcome", self.clock.now_ms())
            if not wait:
                raise TransactionExpired(f"the transaction's blockhash expired at block height {last_valid} before it landed; nothing was swapped")
            return
        if wait:
            blocks = last_valid - height + 1
            raise NotFinalYet(f"not landed; it can still land for {blocks} more blocks", self.clock.now_ms() + blocks * SLOT_MS)

    # ------------------------------------------------------------ reading the outcome
    def _receipt(self, swap: SignedSwap, transaction: dict) -> ChainReceipt:
        meta = transaction.get("meta") or {}
        for leg in swap.legs:  # a launched token this process never met (a settler's order): meet it, so its mint has a symbol
            find_token(leg.tokenIn), find_token(leg.tokenOut)
        changes = self._changes(swap.payer, meta)
        err = meta.get("err")
        delivered = sum((leg.amountOut for leg in swap.legs if leg.tokenOut == swap.tokenOut), Decimal(0))
        out = changes.get(swap.tokenOut, Decimal(0)) if err is None else delivered
        amount_in = -changes.get(swap.tokenIn, Decimal(0)) if err is None else swap.amountIn
        legs = [ExecutedLeg(**leg.model_dump(), quotedAmountOut=leg.amountOut) for leg in swap.legs]
        fee = sum((leg.fee for leg in swap.legs if leg.tokenIn == swap.tokenIn), Decimal(0))
        slippage = ((swap.quotedAmountOut - out) / swap.quotedAmountOut).quantize(Decimal("1e-8")) if swap.quotedAmountOut else Decimal(0)
        block_time = transaction.get("blockTime")
        return ChainReceipt(
            signature=swap.signature,
            status="failed" if err is not None else "success",
            dex=swap.dex,
            amountIn=amount_in,
            amountOut=out,
            executedPrice=(out / amount_in).quantize(Decimal("1e-12")) if amount_in else Decimal(0),
            fee=fee,
            slippage=slippage,
            error=explain(err, meta.get("logMessages") or [], transaction) if err is not None else None,
            landedAtMs=int(block_time * 1000) if block_time else self.clock.now_ms(),
            confirmAfterMs=0,
            legs=legs,
            networkFee=Decimal(meta.get("fee", 0)) / LAMPORTS,
            slot=transaction.get("slot"),
            balanceChanges=changes,
        )

    def _changes(self, owner: str | None, meta: dict) -> dict[str, Decimal]:
        """How the wallet's token balances moved, by symbol (nothing moved: empty)."""
        symbols = self.symbols()
        moved: dict[str, Decimal] = {}
        for side, sign in (("preTokenBalances", -1), ("postTokenBalances", 1)):
            for balance in meta.get(side) or []:
                if balance.get("owner") != owner or balance.get("mint") not in symbols:
                    continue
                symbol = symbols[balance["mint"]]
                amount = Decimal(balance["uiTokenAmount"]["amount"]).scaleb(-balance["uiTokenAmount"]["decimals"])
                moved[symbol] = moved.get(symbol, Decimal(0)) + sign * amount
        # Spent first, then received (a fixed order for every client that shows them)
        return {symbol: delta for symbol, delta in sorted(moved.items(), key=lambda kv: (kv[1] > 0, kv[0])) if delta != 0}


def explain(err: object, logs: list[str], transaction: dict | None = None) -> str:
    """The chain's reason in words: the failing instruction and what its program said."""
    said = next((line.removeprefix("Program log: Error: ") for line in logs if line.startswith("Program log: Error: ")), None)
    if isinstance(err, dict) and "InstructionError" in err:
        index, detail = err["InstructionError"]
        if said is None and isinstance(detail, dict) and "Custom" in detail:
            said = TOKEN_ERRORS.get(detail["Custom"], f"custom program error {detail['Custom']:#x}")
        said = said or (detail if isinstance(detail, str) else str(detail))
        return f"the transaction failed on chain at instruction {index + 1}: {said}; nothing was swapped (the network fee was paid)"
    return f"the transaction failed on chain: {said or err}; nothing was swapped"

