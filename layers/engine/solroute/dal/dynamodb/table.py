"""The table wrapper every DynamoDB adapter uses: DynamoDB's throttling and connection errors
arrive as StoreBusy (a transient domain error), the chaos fault ``dynamodb-throttle`` fires
when told to, and the helpers for conditional writes."""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from solroute.dex.faults import FaultPlan
from solroute.models.errors import StoreBusy

WIRE = TypeDeserializer()  # an item in a refused write's answer comes in DynamoDB's wire form
# Error codes DynamoDB answers when it sheds load; boto3 has already retried them.
THROTTLING = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}


def conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def put_if_absent(table: Any, item: dict, key: str) -> bool:
    """Store a new item; False (nothing written) when one with its key is stored already."""
    try:
        table.put_item(Item=item, ConditionExpression=f"attribute_not_exists({key})")
        return True
    except ClientError as error:
        if conditional_failed(error):
            return False
        raise


class Table:
    """A boto3 Table whose throttling and connection errors arrive as StoreBusy (a transient
    domain error), and which raises the chaos fault ``dynamodb-throttle`` when told to."""

    def __init__(self, table: Any, faults: FaultPlan) -> None:
        self._table, self._faults = table, faults
        self.name = getattr(table, "name", "table")

    def __getattr__(self, operation: str) -> Any:
        call = getattr(self._table, operation)
        if operation == "batch_writer":
            return call
        return lambda **kwargs: self._call(operation, call, kwargs)

    def _call(self, operation: str, call: Any, kwargs: dict) -> Any:
        try:
            if self._faults.fires("dynamodb-throttle", self.name, operation):
                raise ClientError(
                    {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "chaos: dynamodb-throttle"}}, operation
                )
            return call(**kwargs)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in THROTTLING:
                raise StoreBusy(f"DynamoDB is throttling {operation} on {self.name}; try again shortly") from error
            raise
        except BotoCoreError as error:
            raise StoreBusy(f"DynamoDB did not answer {operation}: {error}") from error

    def batch_get(self, keys: list[dict]) -> list[dict]:
        """The items with these keys (at most 100), strongly consistent, in no set order; keys
        DynamoDB leaves unprocessed (it sheds load per batch) are asked for again."""
        # A resource's client takes and gives plain Python values, as the Table does.
        client = self._table.meta.client
        items: list[dict] = []
        wanted: dict = {"Keys": keys, "ConsistentRead": True}
        for backoff_s in (0.05, 0.1, 0.2, 0.4, None):
            result = self._call("batch_get_item", client.batch_get_item, {"RequestItems": {self.name: wanted}})
            items += result.get("Responses", {}).get(self.name, [])
            wanted = result.get("UnprocessedKeys", {}).get(self.name) or {}
            if not wanted.get("Keys"):
                return items
            if backoff_s:
                time.sleep(backoff_s)  # AWS: retry unprocessed keys with exponential backoff
        raise StoreBusy(f"DynamoDB left {len(wanted['Keys'])} keys of a BatchGetItem on {self.name} unprocessed; try again shortly")

    def transact_write(self, items: list[dict]) -> None:
        """TransactWriteItems on this table: every write or none (each item names its operation)."""
        client = self._table.meta.client
        self._call("transact_write_items", client.transact_write_items, {"TransactItems": [
            {operation: {"TableName": self.name, **write}} for item in items for operation, write in item.items()
        ]})  # fmt: skip
