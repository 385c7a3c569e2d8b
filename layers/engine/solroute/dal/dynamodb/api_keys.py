"""API key records, keyed by the key's hash (solroute.ports.ApiKeyStore)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.table import Table, put_if_absent
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.errors import DuplicateKey
from solroute.models.keys import ApiKey

REVOKED_PREFIX = "revoked#"


class DynamoApiKeyStore:
    """API keys, one item per key hash. Listing and finding by key id scan: only the
    administrator does either, on a table of a few keys; the authorizer reads by hash."""

    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def put_new(self, key: ApiKey) -> None:
        if not put_if_absent(self.table, key.model_dump(by_alias=True), "keyHash"):
            raise DuplicateKey(f"a key with id {key.key_id} is stored already")

    def get(self, key_hash: str) -> ApiKey | None:
        item = self.table.get_item(Key={"keyHash": key_hash}, ConsistentRead=True).get("Item")
        return ApiKey.model_validate(item) if item else None

    def find(self, key_id: str) -> ApiKey | None:
        return next(iter(self._scan(FilterExpression="keyId = :id", ExpressionAttributeValues={":id": key_id})), None)

    def list(self) -> list[ApiKey]:
        return sorted(self._scan(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str) -> ApiKey | None:
        key = self.find(key_id)
        if key is None:
            return None
        try:  # both or neither: a key revoked for HTTP is revoked for its WebSockets too
            self.table.transact_write([
                {"Update": {
                    "Key": {"keyHash": key.key_hash}, "UpdateExpression": "SET revoked = :yes",
                    "ConditionExpression": "attribute_exists(keyHash)",  # never recreate a deleted key
                    "ExpressionAttributeValues": {":yes": True},
                }},
                {"Put": {"Item": {"keyHash": REVOKED_PREFIX + key_id}}},
            ])  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":  # deleted meanwhile
                return None
            raise
        return key.model_copy(update={"revoked": True})

    def is_revoked(self, key_id: str) -> bool:
        return "Item" in self.table.get_item(Key={"keyHash": REVOKED_PREFIX + key_id}, ConsistentRead=True)

    def _scan(self, **kwargs: Any) -> list[ApiKey]:
        items: list[dict] = []
        while True:
            result = self.table.scan(ConsistentRead=True, **kwargs)
            items.extend(result.get("Items", []))
            if "LastEvaluatedKey" not in result:
                return [ApiKey.model_validate(i) for i in items if "keyId" in i]  # not the webhook signing master
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]
