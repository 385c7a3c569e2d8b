"""Each API key's open WebSocket connections: one item of the connections table per key
(``key#<keyId>`` / ``open``) whose ``open`` map holds each connection's id and when it ends for
sure (2 hours after it opened: API Gateway's limit).

Opening is one conditional write: add the connection if the map is under the cap, so the cap is
never passed however many open at once. Closing is one write that removes it. A close API Gateway
never reports ($disconnect is best-effort) leaves its entry behind: at the cap, entries past their
end are removed before a connection is refused (the refused write's answer holds the map: no
read). The item expires (TTL) with its latest connection. A write costs a unit per KB of the
map, about 35 connections: one unit for the few a client normally keeps."""

from __future__ import annotations

from typing import Any, Callable

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.table import WIRE, Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan

OPEN = "open"
MAX_REMOVED_AT_ONCE = 100  # ended entries removed by one write (an expression is at most 4 KB)


def _item_key(key_id: str) -> dict:
    # The connections table's key names; a real connection id never starts with "key#".
    return {"connectionId": f"key#{key_id}", "orderId": OPEN}


class DynamoKeyConnections:
    def __init__(self, table: Any, now_seconds: Callable[[], int], faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)
        self.now_seconds = now_seconds

    def open(self, key_id: str, connection_id: str, expires_at: int, most: int) -> bool:
        for _ in range(3):  # a race lost to another connection (both creating the item), or ended entries removed
            stored = self._add(key_id, connection_id, expires_at, most)
            if stored is None:
                return True
            if OPEN not in stored:  # the key's first connection (or its item expired)
                if self._create(key_id, connection_id, expires_at):
                    return True
                continue
            now = self.now_seconds()
            ended = [c for c, ends in stored[OPEN].items() if int(ends) <= now]
            if not ended:
                return False
            self._remove(key_id, ended[:MAX_REMOVED_AT_ONCE])
        return False

    def close(self, key_id: str, connection_id: str) -> None:
        try:
            self.table.update_item(
                Key=_item_key(key_id),
                UpdateExpression="REMOVE #open.#connection",
                ConditionExpression="attribute_exists(#open.#connection)",  # never creates the item
                ExpressionAttributeNames={"#open": OPEN, "#connection": connection_id},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise

    def _add(self, key_id: str, connection_id: str, expires_at: int, most: int) -> dict | None:
        """None when added; else the item as the refused write saw it ({} when there is none)."""
        try:
            self.table.update_item(
                Key=_item_key(key_id),
                UpdateExpression="SET #open.#connection = :ends, expiresAt = :ends",
                ConditionExpression="attribute_exists(#open) AND (size(#open) < :most OR attribute_exists(#open.#connection))",
                ExpressionAttributeNames={"#open": OPEN, "#connection": connection_id},
                ExpressionAttributeValues={":ends": expires_at, ":most": most},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return {name: WIRE.deserialize(value) for name, value in (error.response.get("Item") or {}).items()}

    def _create(self, key_id: str, connection_id: str, expires_at: int) -> bool:
        try:
            self.table.put_item(
                Item={**_item_key(key_id), OPEN: {connection_id: expires_at}, "expiresAt": expires_at},
                ConditionExpression="attribute_not_exists(connectionId)",
            )
            return True
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise

    def _remove(self, key_id: str, connection_ids: list[str]) -> None:
        names = {f"#c{i}": connection_id for i, connection_id in enumerate(connection_ids)}
        try:  # removing an entry removed meanwhile (its late close) is no change
            self.table.update_item(
                Key=_item_key(key_id),
                UpdateExpression="REMOVE " + ", ".join(f"#open.{name}" for name in names),
                ConditionExpression="attribute_exists(#open)",
                ExpressionAttributeNames={"#open": OPEN, **names},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
