"""Webhooks through the template's functions on moto: an order submitted with a webhook, its item,
the stream record of its last write (as Lambda hands it to the webhook function), and what that
function queued for the sender."""

from __future__ import annotations

import base64
import json

from boto3.dynamodb.types import TypeSerializer

from tests.lambdas import event


def submit(cloud, context_update=None, **fields):
    ev = event("api_execute_order.json")
    ev["body"] = json.dumps({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", **fields})
    ev["requestContext"]["authorizer"]["lambda"].update(context_update or {})
    return cloud.fn("ApiFunction")(ev)


def item_of(cloud, order_id):
    return cloud.table("OrdersTable").get_item(Key={"orderId": order_id}, ConsistentRead=True)["Item"]


def stream_event(item: dict) -> dict:
    """The orders table's stream record of this item's last write (as Lambda hands it over)."""
    serialize = TypeSerializer().serialize
    image = {k: serialize(v) for k, v in item.items()}
    image["doc"] = {"B": base64.b64encode(bytes(item["doc"].value)).decode()}
    record = {"eventName": "MODIFY", "eventSource": "aws:dynamodb", "dynamodb": {"NewImage": image, "SequenceNumber": "100", "StreamViewType": "NEW_IMAGE"}}
    return {"Records": [record]}


def queued(cloud) -> list[dict]:
    url = cloud.queue_url("WebhookQueue")
    messages = cloud.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageSystemAttributeNames=["All"]).get("Messages", [])
    return messages
