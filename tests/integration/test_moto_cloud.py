"""The integration tests share one deployment per module (tests/support/moto_cloud.py): what a
test leaves behind in any table, queue or WebSocket connection is gone before the next starts."""

from __future__ import annotations

import json

from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from tests.lambdas import event
from tests.support.order_flow import submit


def everything_in(cloud) -> dict:
    tables = {lid: cloud.table(lid).scan()["Count"] for lid in cloud.deployed.tables}
    queues = {lid: cloud.sqs.get_queue_attributes(QueueUrl=cloud.queue_url(lid), AttributeNames=["All"])["Attributes"] for lid in cloud.deployed.queues}
    counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
    messages = {lid: sum(int(attributes[c]) for c in counts) for lid, attributes in queues.items()}
    connections = apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections
    return {"items": sum(tables.values()), "messages": sum(messages.values()), "connections": len(connections)}


def test_what_a_test_leaves_in_tables_queues_and_connections_is_gone_before_the_next(cloud, deployment):
    submit(cloud)  # an order stored, and queued
    cloud.sqs.send_message(QueueUrl=cloud.queue_url("SettleQueue"), MessageBody=json.dumps({"orderId": "x"}), DelaySeconds=60)
    cloud.sqs.receive_message(QueueUrl=cloud.queue_url("OrdersQueue"))  # one in flight
    cloud.fn("WebSocketFunction")(event("websocket_default.json"))  # an error frame posted to a connection
    left = everything_in(cloud)
    assert left["items"] >= 2 and left["messages"] == 2 and left["connections"] == 1, left

    deployment.empty()  # what the `cloud` fixture does before each test
    assert everything_in(cloud) == {"items": 0, "messages": 0, "connections": 0}
