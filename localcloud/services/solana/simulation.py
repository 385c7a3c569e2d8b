"""What a simulation found (simulateTransaction's value, and the `data` of a failed preflight),
read from LiteSVM's result, in Solana's shape (RpcSimulateTransactionResult)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.transaction_metadata import FailedTransactionMetadata, SimulatedTransactionInfo, TransactionMetadata

from localcloud.services.solana.errors import error_json


@dataclass
class Simulation:
    err: Any  # Solana's JSON of the error, None when it would succeed
    logs: list[str] = field(default_factory=list)
    units_consumed: int = 0
    return_data: dict | None = None
    post_accounts: dict[Pubkey, Account] = field(default_factory=dict)

    @classmethod
    def refused(cls, err: str) -> Simulation:
        """A transaction the bank refuses before running it (BlockhashNotFound, AlreadyProcessed)."""
        return cls(err=err)

    @classmethod
    def of(cls, result: SimulatedTransactionInfo | FailedTransactionMetadata) -> Simulation:
        if isinstance(result, FailedTransactionMetadata):
            meta, err, accounts = result.meta(), error_json(result.err()), {}
        else:
            meta, err, accounts = result.meta(), None, dict(result.post_accounts())
        return cls(err, list(meta.logs()), meta.compute_units_consumed(), return_data_json(meta), accounts)

    def as_json(self, accounts: list | None = None, replacement_blockhash: dict | None = None) -> dict:
        return {
            "err": self.err,
            "logs": self.logs,
            "accounts": accounts,
            "unitsConsumed": self.units_consumed,
            "loadedAccountsDataSize": None,
            "returnData": self.return_data,
            "innerInstructions": None,
            "replacementBlockhash": replacement_blockhash,
        }


def return_data_json(meta: TransactionMetadata) -> dict | None:
    """A program's return data ({programId, data: [base64, "base64"]}), or null when none set any."""
    returned = meta.return_data()
    if returned is None or not bytes(returned.data):
        return None
    return {"programId": str(returned.program_id), "data": [base64.b64encode(bytes(returned.data)).decode(), "base64"]}
