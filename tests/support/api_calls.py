"""Calls to the API function with the sample events (events/api_*.json), and what it queued on the
orders queue."""

from __future__ import annotations

import json

from tests.lambdas import event

WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"


def body(response):
    return json.loads(response["body"])


def post(api, payload, headers=None):
    ev = event("api_execute_order.json")
    ev["body"] = payload if isinstance(payload, str) else json.dumps(payload)
    ev["headers"].update(headers or {})
    return api(ev)


def queued(cloud):
    messages = cloud.sqs.receive_message(QueueUrl=cloud.queue_url("OrdersQueue"), MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"])["orderId"] for m in messages]
