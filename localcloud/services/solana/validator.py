"""LocalValidator: a Solana cluster of one, in memory, over LiteSVM (solders.litesvm).

LiteSVM runs the transactions (the System, SPL Token, Associated Token Account and Memo programs
are built in); this class adds what a cluster adds around it: time (slots, blockhashes that
expire, confirmations that take a while, see slots.py and ledger.py), the rules for what lands
(a signature that verifies, a recent blockhash, once per signature), preflight, and the
transaction history the RPC reads. `dispatch(method, params)` answers one JSON-RPC call (the
methods are in methods/), under one lock: LiteSVM is not thread-safe and a call must see one state.

LiteSVM's own blockhash check and signature verification are off: it accepts only its single
latest blockhash, where a cluster accepts any of the last 150 blocks', and a simulation must be
able to skip signatures (simulateTransaction's sigVerify is off by default). Both are checked here."""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Any, Callable

from solders.account import Account
from solders.clock import Clock
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from localcloud.services.solana.balances import snapshot
from localcloud.services.solana.base58 import b58encode
from localcloud.services.solana.constants import (
    DEFAULT_CONFIRM_MAX_MS,
    DEFAULT_CONFIRM_MIN_MS,
    DEFAULT_SLOT_MS,
    FAUCET_LAMPORTS,
    FINALIZE_AFTER_SLOTS,
    MEMO_PROGRAM,
    SYSTEM_PROGRAM,
)
from localcloud.services.solana.errors import describe, error_json, method_not_found, preflight_failure, signature_verification_failure
from localcloud.services.solana.ledger import Landed
from localcloud.services.solana.methods import METHODS
from localcloud.services.solana.simulation import Simulation
from localcloud.services.solana.slots import SlotClock

Log = Callable[[str, str], None]  # (text, level)


def wall_ms() -> float:
    return time.time() * 1000


class LocalValidator:
    def __init__(
        self,
        *,
        now_ms: Callable[[], float] = wall_ms,
        slot_ms: int = DEFAULT_SLOT_MS,
        confirm_min_ms: float = DEFAULT_CONFIRM_MIN_MS,
        confirm_max_ms: float = DEFAULT_CONFIRM_MAX_MS,
        seed: bytes | None = None,
        rng: random.Random | None = None,
        log: Log | None = None,
    ) -> None:
        if not 0 <= confirm_min_ms <= confirm_max_ms:
            raise ValueError(f"the confirmation delay wants 0 <= min <= max, got {confirm_min_ms}..{confirm_max_ms} ms")
        self.clock = SlotClock(now_ms, slot_ms, seed if seed is not None else os.urandom(32))
        self.confirm_ms = (confirm_min_ms, confirm_max_ms)
        self._rng = rng or random.Random()
        self._log = log or (lambda text, level: None)
        self._lock = threading.Lock()
        self.svm = LiteSVM().with_blockhash_check(False).with_sigverify(False)
        self._clock_slot = -1  # the slot LiteSVM's Clock sysvar was last set to
        self.faucet = Keypair()
        self.svm.set_account(self.faucet.pubkey(), Account(lamports=FAUCET_LAMPORTS, data=b"", owner=SYSTEM_PROGRAM, executable=False, rent_epoch=0))
        self._airdrops = 0
        self.landed: dict[Signature, Landed] = {}

    # ------------------------------------------------------------ JSON-RPC
    def dispatch(self, method: str, params: Any = None) -> Any:
        """The result of one JSON-RPC call; raises RpcError with Solana's code and message."""
        handler = METHODS.get(method)
        if handler is None:
            raise method_not_found()
        with self._lock:
            return handler(self, params)

    # ------------------------------------------------------------ time
    def now_ms(self) -> float:
        return self.clock.now_ms()

    def bank_slot(self, commitment: str) -> int:
        """The newest slot at a commitment: the tip for processed and confirmed, the last rooted
        slot (FINALIZE_AFTER_SLOTS behind) for finalized."""
        tip = self.clock.tip()
        return max(0, tip - FINALIZE_AFTER_SLOTS) if commitment == "finalized" else tip

    # ------------------------------------------------------------ transactions
    def submit(self, tx: VersionedTransaction, *, preflight: bool) -> Signature:
        """sendTransaction: with preflight, anything that cannot land is an error and nothing is
        sent; without, the signature is returned whatever happens, as a leader would (it drops
        what cannot land). A transaction that fails in execution lands failed: its fee is paid."""
        signature = tx.signatures[0]
        recent = self.clock.slot_of(tx.message.recent_blockhash) is not None
        verified = all(tx.verify_with_results())
        if preflight:
            if not verified:
                raise signature_verification_failure()
            # A bank checks the blockhash's age before its status cache (Agave's check_transactions).
            for refused, err in ((not recent, "BlockhashNotFound"), (signature in self.landed, "AlreadyProcessed")):
                if refused:
                    raise preflight_failure(Simulation.refused(err).as_json())
            simulation = self.simulate(tx)
            if simulation.err is not None:
                raise preflight_failure(simulation.as_json())
        elif signature in self.landed:
            return signature  # a duplicate: the status cache drops it
        elif not verified or not recent:
            why = "its signatures do not verify" if not verified else "its blockhash is unknown or expired"
            self._log(f"dropped {signature}: {why} (sent with skipPreflight; it never lands)", "WARNING")
            return signature
        self._execute(tx)
        return signature

    def simulate(self, tx: VersionedTransaction, *, check_blockhash: bool = True) -> Simulation:
        if check_blockhash and self.clock.slot_of(tx.message.recent_blockhash) is None:
            return Simulation.refused("BlockhashNotFound")
        self._sync_clock()
        return Simulation.of(self.svm.simulate_transaction(tx))

    def _execute(self, tx: VersionedTransaction) -> None:
        signature, keys = tx.signatures[0], list(tx.message.account_keys)
        slot = self._sync_clock()
        pre_lamports, pre_tokens = snapshot(self.svm, keys)
        result = self.svm.send_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            meta, err = result.meta(), error_json(result.err())
            if self.svm.get_transaction(signature) is None:  # refused before it ran (no fee payer...): no fee, no record
                self._log(f"dropped {signature}: {describe(err)} (sent with skipPreflight; it never lands)", "WARNING")
                return
        else:
            meta, err = result, None
        post_lamports, post_tokens = snapshot(self.svm, keys)
        now = self.clock.now_ms()
        confirmed_ms = now + self._rng.uniform(*self.confirm_ms)
        self.landed[signature] = Landed(
            transaction=tx,
            slot=slot,
            block_time=self.clock.block_time(slot),
            err=err,
            fee=meta.fee(),
            logs=list(meta.logs()),
            compute_units=meta.compute_units_consumed(),
            pre_balances=pre_lamports,
            post_balances=post_lamports,
            pre_token_balances=pre_tokens,
            post_token_balances=post_tokens,
            confirmed_ms=confirmed_ms,
            finalized_ms=confirmed_ms + FINALIZE_AFTER_SLOTS * self.clock.slot_ms,
            inner_instructions=_inner_instructions(meta.inner_instructions()),
        )
        outcome = "ok" if err is None else f"failed: {describe(err)} (fee charged)"
        self._log(f"landed {signature} in slot {slot}: {outcome}", "INFO" if err is None else "WARNING")

    def _sync_clock(self) -> int:
        """Set LiteSVM's Clock sysvar to the tip, so programs see the chain's slot and time."""
        slot = self.clock.tip()
        if slot != self._clock_slot:
            self.svm.set_clock(Clock(slot=slot, epoch_start_timestamp=self.clock.block_time(0), epoch=0, leader_schedule_epoch=0, unix_timestamp=self.clock.block_time(slot)))
            self._clock_slot = slot
        return slot

    def airdrop(self, to: Pubkey, lamports: int) -> Signature:
        """requestAirdrop: a real System transfer from the faucet, so it has a signature, a status
        and a history entry. A memo numbers each one: two equal airdrops in one slot would
        otherwise be the same transaction, and the second would be refused as AlreadyProcessed."""
        self._airdrops += 1
        payer = self.faucet.pubkey()
        instructions = [
            transfer(TransferParams(from_pubkey=payer, to_pubkey=to, lamports=lamports)),
            Instruction(MEMO_PROGRAM, f"airdrop {self._airdrops}".encode(), []),
        ]
        blockhash: Hash = self.clock.blockhash(self.clock.tip())
        return self.submit(VersionedTransaction(Message.new_with_blockhash(instructions, payer, blockhash), [self.faucet]), preflight=True)


def _inner_instructions(per_instruction: list) -> list[dict]:
    return [
        {
            "index": index,
            "instructions": [
                {
                    "programIdIndex": inner.instruction().program_id_index,
                    "accounts": list(inner.instruction().accounts),
                    "data": b58encode(bytes(inner.instruction().data)),
                    "stackHeight": inner.stack_height(),
                }
                for inner in inners
            ],
        }
        for index, inners in enumerate(per_instruction)
        if inners
    ]
