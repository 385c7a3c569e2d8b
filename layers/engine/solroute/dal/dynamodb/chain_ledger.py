"""The simulated chain's ledger of landed swaps (solroute.ports.ChainLedger)."""

from __future__ import annotations

from typing import Any

from solroute.dal.dynamodb.table import Table, put_if_absent
from solroute.dex.faults import NO_FAULTS, FaultPlan


class DynamoChainLedger:
    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def put_if_absent(self, signature: str, record: dict) -> bool:
        return put_if_absent(self.table, {**record, "signature": signature}, "signature")

    def get(self, signature: str) -> dict | None:
        return self.table.get_item(Key={"signature": signature}, ConsistentRead=True).get("Item")


# A revoked key's id, as an item of the keys table (``revoked#<keyId>``): the WebSocket side knows a
# connection's key by id, not hash, and reads this (its policy allows no other item).
