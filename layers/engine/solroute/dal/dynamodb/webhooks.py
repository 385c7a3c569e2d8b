"""DynamoDB adapters for webhooks: the deployment's signing master (one item of the API keys
table) and the delivery attempts recorded on an order."""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.dynamodb.table import Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.webhooks import WebhookAttempt

# The master's item in the API keys table. A key's item is keyed by a 64-hex-digit hash, so the
# two can never meet; the sender's policy may read and create this item only (LeadingKeys).
MASTER_KEY = "webhook-signing-master"
DELIVERIES = "webhookDeliveries"  # on the order: seq -> the attempts of that status change


class DynamoWebhookMaster:
    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def get_or_create(self, candidate: bytes) -> bytes:
        item = self.table.get_item(Key={"keyHash": MASTER_KEY}, ConsistentRead=True).get("Item")
        if item is None:
            try:  # the first container (or CLI) to need it makes it; any other loses and reads
                self.table.put_item(
                    Item={"keyHash": MASTER_KEY, "secret": base64.b64encode(candidate).decode()}, ConditionExpression="attribute_not_exists(keyHash)"
                )
                return candidate
            except ClientError as error:
                if not conditional_failed(error):
                    raise
            item = self.table.get_item(Key={"keyHash": MASTER_KEY}, ConsistentRead=True)["Item"]
        return base64.b64decode(str(item["secret"]))


class DynamoDeliveryLog:
    """Attempts on the order's own item, in a map the status writes never touch. Each record sets
    ``lastChange`` to "webhook": not a status change, so the stream filters of the broadcaster
    and of webhooks both pass it by (it is neither broadcast nor delivered)."""

    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def record(self, order_id: str, seq: int, attempt: WebhookAttempt, most: int) -> None:
        entry = attempt.model_dump(exclude_none=True)
        try:
            self.table.update_item(
                Key={"orderId": order_id},
                UpdateExpression=f"SET {DELIVERIES}.#seq = list_append(if_not_exists({DELIVERIES}.#seq, :none), :entry), lastChange = :webhook",
                # Bounded: at most ``most`` attempts a status change (a redelivered message is not a new attempt's licence).
                ConditionExpression=f"attribute_exists({DELIVERIES}) AND (attribute_not_exists({DELIVERIES}.#seq) OR size({DELIVERIES}.#seq) < :most)",
                ExpressionAttributeNames={"#seq": str(seq)},
                ExpressionAttributeValues={":none": [], ":entry": [entry], ":webhook": "webhook", ":most": most},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
