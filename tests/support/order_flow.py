"""An order through the template's functions on moto: submitted to the API function, received
from the orders queue, delivered to a consumer as the event source would, and read back stored."""

from __future__ import annotations

import json

from localcloud.services.awslambda.event_source_mappings.events import sqs_event
from tests.lambdas import event, stored


def submit(cloud, **fields):
    ev = event("api_execute_order.json")
    ev["body"] = json.dumps({"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", **fields})
    return json.loads(cloud.fn("ApiFunction")(ev)["body"])["orderId"]


def receive(cloud, wait=0):
    url = cloud.queue_url("OrdersQueue")
    result = cloud.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, MessageSystemAttributeNames=["All"]
    )
    return result.get("Messages", [])


def deliver(cloud, consumer, messages):
    return consumer(sqs_event(messages, cloud.deployed.queues["OrdersQueue"]["arn"]))


def order(cloud, order_id):
    return stored(cloud.table("OrdersTable").get_item(Key={"orderId": order_id}, ConsistentRead=True)["Item"])
