"""Per-key quota records on the rate limit table: one item per key, ``key#<keyId>`` (the
table's key attribute is named ``bucket``), beside the global limiter's item."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from solroute.dal.dynamodb.table import Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.key_quota import QuotaState, Step

_wire = TypeDeserializer()


def _item_key(key_id: str) -> dict:
    return {"bucket": f"key#{key_id}"}


def _state(item: dict | None) -> QuotaState:
    if not item:
        return QuotaState()
    return QuotaState(int(item["windowStartMs"]), int(item["count"]), int(item["reachMs"]), int(item["version"]))


class DynamoKeyQuotaStore:
    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def read(self, key_id: str) -> QuotaState:
        return _state(self.table.get_item(Key=_item_key(key_id), ConsistentRead=True).get("Item"))

    def write_if_unchanged(self, key_id: str, state: QuotaState, version: int, expires_at_s: int) -> QuotaState | None:
        condition = Attr("version").not_exists() if version == 0 else Attr("version").eq(version)
        item = {
            **_item_key(key_id),
            "windowStartMs": state.window_start_ms,
            "count": state.count,
            "reachMs": state.reach_ms,
            "version": state.version,
            "expiresAt": expires_at_s,  # a TTL attribute: an idle key's record goes away by itself
        }
        try:
            # On a lost race DynamoDB hands back the item that won, saving a read.
            self.table.put_item(Item=item, ConditionExpression=condition, ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return None
        except ClientError as error:
            if not conditional_failed(error):
                raise
            stored = error.response.get("Item")
            if stored is None:  # nothing stored (deleted by TTL since we wrote), or no item returned
                return self.read(key_id)
            return _state({name: _wire.deserialize(value) for name, value in stored.items()})

    def increment(self, key_id: str, step: Step, expires_at_s: int) -> tuple[bool, QuotaState]:
        conditions = ["windowStartMs = :window"]
        values: dict[str, Any] = {":window": step.window_start_ms, ":one": 1, ":count": step.count, ":step": step.reach_ms, ":expires": expires_at_s}
        if step.not_before_ms is not None:
            conditions.append("reachMs >= :now")
            values[":now"] = step.not_before_ms
        if step.max_count:
            conditions.append("#count < :max")
            values[":max"] = step.max_count
        if step.max_reach_ms is not None:
            conditions.append("reachMs <= :furthest")
            values[":furthest"] = step.max_reach_ms
        try:
            # Atomic: concurrent increments never conflict; the condition (which also keeps a
            # missing item from being created) fails only at a limit, a new minute or an idle record.
            answer = self.table.update_item(
                Key=_item_key(key_id),
                UpdateExpression="SET #count = #count + :count, reachMs = reachMs + :step, version = version + :one, expiresAt = :expires",
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames={"#count": "count"},  # a reserved word
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return True, _state(answer["Attributes"])
        except ClientError as error:
            if not conditional_failed(error):
                raise
            stored = error.response.get("Item")
            return False, _state({name: _wire.deserialize(value) for name, value in stored.items()} if stored else None)

    def decrement(self, key_id: str, reach_ms: int, count: int = 1, window_start_ms: int | None = None) -> None:
        condition, values = "attribute_exists(version)", {":one": 1, ":count": count, ":step": reach_ms}
        if window_start_ms is not None:
            condition += " AND windowStartMs = :window"
            values[":window"] = window_start_ms
        try:
            self.table.update_item(
                Key=_item_key(key_id),
                UpdateExpression="SET #count = #count - :count, reachMs = reachMs - :step, version = version + :one",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not conditional_failed(error):  # gone (TTL), or a new minute: nothing left to give back
                raise
