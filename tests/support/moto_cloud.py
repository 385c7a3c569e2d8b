"""template.yaml deployed into moto, as the integration tests drive it: deployed once (per test
module), emptied between tests, and handed to each test as a Cloud whose ``fn("ApiFunction")``
loads a function with its environment resolved from the template."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from localcloud.resources import Deployed, deploy
from localcloud.template import Template
from tests.lambdas import ROOT, Lambda

REGION = "us-east-1"
WS_ENDPOINT = "wss://wsapi123.execute-api.us-east-1.amazonaws.com"
API_ENDPOINTS = {"WebSocketApi": WS_ENDPOINT, "HttpApi": "https://http123.execute-api.us-east-1.amazonaws.com"}
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "false",
}

FAST = {
    "QuoteDelayMs": "0",
    "SwapDelayMinMs": "0",
    "SwapDelayMaxMs": "0",
    "FailureRate": "0",
    "SimulationSeed": "11",
}


class Deployment:
    """The template's tables and queues in moto, and how to empty them all (far cheaper than
    deploying again: one scan and one purge each)."""

    def __init__(self, template: Template, deployed: Deployed) -> None:
        self.template, self.deployed = template, deployed
        self.sqs, self.dynamodb = boto3.client("sqs"), boto3.resource("dynamodb")
        self._keys = {
            t["name"]: [k["AttributeName"] for k in self.dynamodb.meta.client.describe_table(TableName=t["name"])["Table"]["KeySchema"]]
            for t in deployed.tables.values()
        }

    def empty(self) -> None:
        """Every table and queue empty, and nothing posted to any WebSocket connection."""
        for name, keys in self._keys.items():
            table, names = self.dynamodb.Table(name), {f"#k{i}": key for i, key in enumerate(keys)}
            page: dict = {}
            with table.batch_writer() as batch:
                while page == {} or "LastEvaluatedKey" in page:
                    start = {"ExclusiveStartKey": page["LastEvaluatedKey"]} if page else {}
                    page = table.scan(ProjectionExpression=", ".join(names), ExpressionAttributeNames=names, **start)
                    for key in page["Items"]:
                        batch.delete_item(Key=key)
        for queue in self.deployed.queues.values():
            self.sqs.purge_queue(QueueUrl=queue["url"])  # messages waiting, delayed and in flight
        apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION].reset()


@contextmanager
def deployed_in_moto(parameters: dict[str, str]) -> Iterator[Deployment]:
    with pytest.MonkeyPatch.context() as env, mock_aws():
        for key, value in AWS_ENV.items():
            env.setenv(key, value)
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        # AWS refuses a second PurgeQueue within 60 s (moto too, unless told): tests empty at once.
        env.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
        template = Template(ROOT / "template.yaml", parameters)
        deployed = deploy(template, boto3.client("dynamodb"), boto3.client("sqs"), "solroute-test", API_ENDPOINTS)
        yield Deployment(template, deployed)


class Cloud:
    """One test's view of the deployment: a template of its own (``template.override`` changes the
    parameters for this test's functions only) and handlers loaded fresh, as a cold start."""

    def __init__(self, deployment: Deployment, monkeypatch: Any) -> None:
        self.template, self.deployed = copy.deepcopy(deployment.template), deployment.deployed
        self.sqs, self.dynamodb = deployment.sqs, deployment.dynamodb
        self.monkeypatch = monkeypatch

    def fn(self, logical_id: str, **env) -> Lambda:
        handler = Lambda(self.template, self.deployed, logical_id, self.monkeypatch)
        handler.env.update(env)
        return handler

    def table(self, logical_id: str):
        return self.dynamodb.Table(self.deployed.tables[logical_id]["name"])

    def queue_url(self, logical_id: str) -> str:
        return self.deployed.queues[logical_id]["url"]
