"""Where `solroute ops` works: the running local cloud (found at --api by its health page) or a
deployed stack (--stack-name, its resources from CloudFormation's ListStackResources). Either way
the resources are named by the template's logical ids, and AWS clients reach them."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from solroute_cli.api import HEALTH_PATH, unreachable
from solroute_cli.errors import EXIT_FAILED, CliError

LOCAL_REGION = "us-east-1"  # the local cloud's (localcloud.template.REGION)
QUEUE, TABLE, FUNCTION, ALARM = "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::CloudWatch::Alarm"
# Queues whose messages wait for an operator: what `ops status` calls out and `ops redrive` takes.
DEAD_LETTER_QUEUES = ("OrdersDeadLetterQueue", "WebhookDeadLetterQueue", "WebhookStreamFailureQueue")


@dataclass
class Stack:
    where: str  # "the local cloud at URL" or "stack NAME"
    resources: dict[str, tuple[str, str]]  # logical id -> (type, physical id)
    local: str | None = None  # the local cloud's HTTP API (its /_localcloud/* pages); None on AWS
    name: str = ""  # the stack's name (alarm names start with it)
    endpoints: dict[str, str] = field(default_factory=dict)  # the local cloud's AWS endpoints
    session: Any = None  # a boto3 Session (AWS)

    def of_type(self, kind: str) -> dict[str, str]:
        return {logical: physical for logical, (t, physical) in self.resources.items() if t == kind}

    def physical(self, logical_id: str, kind: str) -> str:
        found = self.of_type(kind).get(logical_id)
        if found is None:
            raise CliError(f"{self.where} has no {kind} {logical_id}", EXIT_FAILED)
        return found

    def client(self, service: str) -> Any:
        if self.local is None:
            return self.session.client(service)
        import boto3

        endpoint = self.endpoints.get({"sqs": "sqs", "lambda": "lambda"}.get(service, "aws")) or self.endpoints["aws"]
        return boto3.client(
            service, region_name=LOCAL_REGION, endpoint_url=endpoint,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"), aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        )  # fmt: skip

    def local_page(self, method: str, path: str, body: dict | None = None) -> dict | None:
        """A /_localcloud/ page of the local cloud as JSON; None when this cloud has no such page (404)."""
        assert self.local is not None
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.local}{path}", data=data, method=method, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            if error.code in (404, 405):
                return None
            raise CliError(f"{self.where}{path} answered {error.code}", EXIT_FAILED) from error
        except (OSError, ValueError) as error:
            raise unreachable(self.local) from error


def find(api: str, stack_name: str | None, region: str | None) -> Stack:
    return aws_stack(stack_name, region) if stack_name else local_stack(api)


def local_stack(api: str) -> Stack:
    api = api.rstrip("/")
    try:
        with urllib.request.urlopen(f"{api}{HEALTH_PATH}", timeout=10) as answer:
            health = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        if error.code == 503:
            raise CliError(f"the local cloud at {api} is still starting: try again in a moment", EXIT_FAILED) from error
        raise CliError(f"{api} is not a local cloud (no {api}{HEALTH_PATH}): for a deployed stack pass --stack-name", EXIT_FAILED) from error
    except (OSError, ValueError) as error:
        raise unreachable(api) from error
    if "resources" not in health:
        raise CliError(f"the local cloud at {api} does not name its resources (an older version): restart it", EXIT_FAILED)
    resources = {k: (r["type"], r["physicalId"]) for k, r in health["resources"].items()}
    return Stack(f"the local cloud at {api}", resources, local=api, name="local", endpoints=health["endpoints"])


def aws_stack(stack_name: str, region: str | None) -> Stack:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.session.Session(region_name=region)
        pages = session.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_name)
        resources = {r["LogicalResourceId"]: (r["ResourceType"], r.get("PhysicalResourceId", "")) for page in pages for r in page["StackResourceSummaries"]}
    except ClientError as error:
        raise CliError(f"stack {stack_name}: {error.response['Error'].get('Message', error)}", EXIT_FAILED) from error
    except BotoCoreError as error:  # no credentials, no region, no network
        raise CliError(f"stack {stack_name}: {error}", EXIT_FAILED) from error
    return Stack(f"stack {stack_name}", resources, name=stack_name, session=session)


def queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
