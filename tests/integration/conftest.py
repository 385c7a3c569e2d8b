"""Integration tests: real handlers, real template.yaml, moto for every AWS service."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from localcloud.resources import deploy
from localcloud.template import Template
from tests.lambdas import ROOT, Lambda, reset_caches

WS_ENDPOINT = "wss://wsapi123.execute-api.us-east-1.amazonaws.com"

FAST = {
    "QuoteDelayMs": "0",
    "SwapDelayMinMs": "0",
    "SwapDelayMaxMs": "0",
    "FailureRate": "0",
    "SimulationSeed": "11",
}


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "false",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    yield
    reset_caches()


@pytest.fixture
def parameters():
    return dict(FAST)


@pytest.fixture
def cloud(aws_env, parameters, monkeypatch):
    """template.yaml deployed into moto; ``cloud.fn("ApiFunction")`` gives a handler."""
    with mock_aws():
        template = Template(ROOT / "template.yaml", parameters)
        deployed = deploy(
            template, boto3.client("dynamodb"), boto3.client("sqs"), "solroute-test", {"WebSocketApi": WS_ENDPOINT, "HttpApi": "https://http123.execute-api.us-east-1.amazonaws.com"}
        )

        class Cloud:
            def __init__(self):
                self.template, self.deployed = template, deployed
                self.sqs = boto3.client("sqs")
                self.dynamodb = boto3.resource("dynamodb")

            def fn(self, logical_id: str, **env) -> Lambda:
                handler = Lambda(template, deployed, logical_id, monkeypatch)
                handler.env.update(env)
                return handler

            def table(self, logical_id: str):
                return self.dynamodb.Table(deployed.tables[logical_id]["name"])

            def queue_url(self, logical_id: str) -> str:
                return deployed.queues[logical_id]["url"]

        yield Cloud()
