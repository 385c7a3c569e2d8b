"""What DynamoDB would bill for the requests the local moto serves (solroute up --meter).

Measured where the items are, so every write is billed as DynamoDB bills it: a PutItem,
UpdateItem or DeleteItem by the larger of the item before and after (per started KB), a
write whose condition failed by the item as it was, and each global secondary index the
write touches by its own entry (a changed index key costs a delete and a put). Reads per
started 4 KB of what they return (index entries for an index query), strongly consistent at
one unit, eventually consistent at half.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html (writes to an index)
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from typing import Any, Callable

from localcloud.meter import item_size

WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def index_entry(item: dict | None, index: dict, table_keys: list[str]) -> dict | None:
    """The entry ``item`` has in a global secondary index (typed attributes), or None when
    the item lacks the index's key (a sparse index leaves such items out)."""
    if item is None:
        return None
    keys = [k["AttributeName"] for k in index["KeySchema"]]
    if not all(k in item for k in keys):
        return None
    projection = index.get("Projection", {})
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return dict(item)
    wanted = {*keys, *table_keys, *(projection.get("NonKeyAttributes", []) if kind == "INCLUDE" else [])}
    return {k: v for k, v in item.items() if k in wanted}


def index_write_units(before: dict | None, after: dict | None, index: dict, table_keys: list[str]) -> int:
    old, new = index_entry(before, index, table_keys), index_entry(after, index, table_keys)
    if old is None and new is None or old == new:
        return 0
    keys = [k["AttributeName"] for k in index["KeySchema"]]
    if old is not None and new is not None and any(old[k] != new[k] for k in keys):
        return write_units(item_size(old)) + write_units(item_size(new))  # moved: delete + put
    return write_units(max(item_size(old), item_size(new)))


class DynamoDbBill:
    """Request units per table, from each request with the items before and after it."""

    def __init__(self, table_of: Callable[[str], Any]) -> None:
        self.table_of = table_of  # table name -> moto Table
        self.wru: Counter[str] = Counter()
        self.rru: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _item(self, table_name: str, key: dict) -> dict | None:
        table = self.table_of(table_name)
        from moto.dynamodb.models.dynamo_type import DynamoType

        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        found = table.get_item(hash_key, range_key)
        return found.to_json()["Attributes"] if found else None

    def _key(self, table_name: str, item_or_key: dict) -> dict:
        table = self.table_of(table_name)
        names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
        return {n: item_or_key[n] for n in names}

    def _writes(self, operation: str, request: dict) -> list[tuple[str, dict]]:
        if operation in WRITES:
            return [(request["TableName"], self._key(request["TableName"], request.get("Item") or request["Key"]))]
        if operation == "BatchWriteItem":
            out = []
            for name, requests in request.get("RequestItems", {}).items():
                for r in requests:
                    body = r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key")
                    out.append((name, self._key(name, body)))
            return out
        return []

    def before(self, operation: str, request: dict) -> list[tuple[str, dict, dict | None]]:
        """Call before moto serves the request: the items its writes will change, as they are."""
        try:
            return [(name, key, self._item(name, key)) for name, key in self._writes(operation, request)]
        except Exception:  # noqa: BLE001 - a malformed request: moto answers it, we bill nothing
            return []

    def after(self, operation: str, request: dict, olds: list[tuple[str, dict, dict | None]], status: int, response: dict) -> None:
        """Call after moto answered."""
        try:
            if operation in READS:
                if status == 200:
                    self._read(operation, request, response)
                return
            condition_failed = status == 400 and "ConditionalCheckFailed" in str(response.get("__type", ""))
            if status != 200 and not condition_failed:
                return
            for name, key, old in olds:
                if condition_failed:
                    self._add(self.wru, name, write_units(item_size(old)))
                    continue
                new = self._item(name, key)
                units = write_units(max(item_size(old), item_size(new)))
                table = self.table_of(name)
                table_keys = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
                for index in table.global_indexes:
                    units += index_write_units(old, new, {"KeySchema": index.schema, "Projection": index.projection}, table_keys)
                self._add(self.wru, name, units)
        except Exception:  # noqa: BLE001 - measuring must never break the endpoint
            return

    def _read(self, operation: str, request: dict, response: dict) -> None:
        consistent = bool(request.get("ConsistentRead"))
        if operation == "GetItem":
            self._add(self.rru, request["TableName"], read_units(item_size(response.get("Item")), consistent))
        elif operation in ("Query", "Scan"):
            size = sum(item_size(i) for i in response.get("Items", []))
            self._add(self.rru, request["TableName"], read_units(size, consistent))
        elif operation == "BatchGetItem":
            for name, items in response.get("Responses", {}).items():
                consistent = bool(request["RequestItems"].get(name, {}).get("ConsistentRead"))
                for item in items:
                    self._add(self.rru, name, read_units(item_size(item), consistent))

    def _add(self, counter: Counter, table: str, units: float) -> None:
        with self._lock:
            counter[table] += units

    def report(self) -> dict:
        with self._lock:
            return {"wru": dict(self.wru), "rru": dict(self.rru)}
