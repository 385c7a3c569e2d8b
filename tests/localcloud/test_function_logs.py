"""The real functions, run as Lambda runs them (own process, env set before import), log
JSON lines that carry the order id as correlation id through every step."""

import asyncio
import json

import boto3
import pytest
from moto.server import ThreadedMotoServer

from localcloud.resources import deploy
from localcloud.services.awslambda.event_source_mappings.events import sqs_event
from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.template import Template
from tests.support.cloud_process import free_port
from tests.lambdas import ROOT, event

FAST = {"QuoteDelayMs": "0", "SwapDelayMinMs": "0", "SwapDelayMaxMs": "0", "FailureRate": "0"}


@pytest.fixture
def endpoint(monkeypatch):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for key, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_every_step_logs_json_with_the_order_id_as_correlation_id(endpoint):
    template = Template(ROOT / "template.yaml", FAST)
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    deployed = deploy(template, boto3.client("dynamodb", endpoint_url=endpoint), sqs, "logs", {"WebSocketApi": "ws://127.0.0.1:9"})
    lines: list[tuple[str, str]] = []

    def local(logical_id):
        spec = template.functions()[logical_id]
        env = deployed.environment(template, spec.environment)
        return LocalFunction(spec, env, endpoint, logical_id, lambda fn, rid, line: lines.append((fn, line)))

    async def scenario():
        api, consumer = local("ApiFunction"), local("OrderConsumerFunction")
        try:
            accepted = await api.invoke(event("api_execute_order.json"))
            order_id = json.loads(accepted.result["body"])["orderId"]
            queue = deployed.queues["OrdersQueue"]
            messages = sqs.receive_message(QueueUrl=queue["url"], MessageSystemAttributeNames=["All"])["Messages"]
            await consumer.invoke(sqs_event(messages, queue["arn"]))
            return order_id
        finally:
            await asyncio.gather(api.stop(), consumer.stop())

    order_id = asyncio.run(scenario())
    records = [(fn, json.loads(line)) for fn, line in lines if line.startswith("{") and '"level"' in line]
    mine = [(fn, r) for fn, r in records if r.get("correlation_id") == order_id]
    messages = [r["message"] for _, r in mine]
    assert "order accepted" in messages
    (summary,) = [r for _, r in mine if r["message"].startswith("order confirmed: Confirmed: ")]
    assert summary["timeline"].startswith("pending+0ms routing+") and " confirmed+" in summary["timeline"]
    assert summary["dex"] in ("raydium", "meteora") and summary["tx"] and summary["attempts"] == 1
    assert {fn for fn, _ in mine} == {"ApiFunction", "OrderConsumerFunction"}
    assert all(r["service"] == "solroute" and r["level"] == "INFO" and "function_request_id" in r for _, r in mine)
    # Routine steps log at DEBUG. At INFO: the API's acceptance, the consumer's swap sent (what
    # `solroute ops order` shows of it when the settler confirms) and the final line.
    assert [(r["message"][:9], r.get("status")) for _, r in mine] == [("order acc", None), ("Swap sent", "submitted"), ("order con", "confirmed")]
