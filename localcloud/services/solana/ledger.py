"""The transactions that landed, and how far the cluster has confirmed each.

A landed transaction is `processed` at once, `confirmed` after its own delay (drawn when it
lands, as a cluster's votes take their time), and `finalized` FINALIZE_AFTER_SLOTS slots after
that. A transaction that failed in execution lands too (its fee is charged): its status carries
the error. Records are kept while the validator runs (the status cache of a real cluster forgets
a signature once its blockhash expires, but a history node still answers getTransaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from solders.signature import Signature
from solders.transaction import VersionedTransaction

from localcloud.services.solana.constants import MAX_CONFIRMATIONS

COMMITMENTS = ("processed", "confirmed", "finalized")
RANK = {name: rank for rank, name in enumerate(COMMITMENTS)}


@dataclass
class Landed:
    transaction: VersionedTransaction
    slot: int
    block_time: int
    err: Any  # Solana's JSON of the error, None when it succeeded
    fee: int
    logs: list[str]
    compute_units: int
    pre_balances: list[int]
    post_balances: list[int]
    pre_token_balances: list[dict]
    post_token_balances: list[dict]
    confirmed_ms: float
    finalized_ms: float
    inner_instructions: list[dict] = field(default_factory=list)

    @property
    def signature(self) -> Signature:
        return self.transaction.signatures[0]

    def commitment(self, now_ms: float) -> str:
        if now_ms >= self.finalized_ms:
            return "finalized"
        return "confirmed" if now_ms >= self.confirmed_ms else "processed"

    def reached(self, commitment: str, now_ms: float) -> bool:
        return RANK[self.commitment(now_ms)] >= RANK[commitment]

    def status(self, now_ms: float, tip: int) -> dict:
        """getSignatureStatuses' entry: confirmations 0 while processed, null once rooted."""
        commitment = self.commitment(now_ms)
        confirmations = {"processed": 0, "confirmed": min(max(1, tip - self.slot), MAX_CONFIRMATIONS), "finalized": None}[commitment]
        return {
            "slot": self.slot,
            "confirmations": confirmations,
            "err": self.err,
            "status": {"Ok": None} if self.err is None else {"Err": self.err},
            "confirmationStatus": commitment,
        }
