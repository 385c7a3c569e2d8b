"""`solroute keys`: issue, list and revoke API keys, in the running local cloud or a deployed stack.

The local cloud's health page names its AWS endpoint and the stack's outputs; a deployed stack
is found with CloudFormation's describe-stacks. Either way the table is `ApiKeysTableName` and a
new key's default rate `KeyRatePerMinute`, and the engine's own KeyAdmin does the work (a key is
stored only as its hash, so it is shown once, when it is created)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from solroute_cli.api import hint, local_cloud_health, program
from solroute_cli.errors import EXIT_FAILED, EXIT_OK, CliError
from solroute_cli.views import keys_table, stdout

if TYPE_CHECKING:
    from solroute.logic.keys import KeyAdmin
    from solroute.logic.webhooks import WebhookSecrets
    from solroute.models.keys import ApiKey
# boto3 and the engine are imported when `keys` runs: every other command starts without them.

TABLE_OUTPUT, RATE_OUTPUT = "ApiKeysTableName", "KeyRatePerMinute"
LOCAL_REGION = "us-east-1"  # the local cloud's (localcloud.template.REGION)


@dataclass
class KeyTable:
    """Where the keys are: a DynamoDB table, the default rate of a new key, and what to call it."""

    table: Any  # a boto3 Table
    default_rate: int
    where: str


async def local_table(api: str) -> KeyTable:
    async with aiohttp.ClientSession() as session:
        health = await local_cloud_health(session, api)
    if health is None:
        raise CliError(f"{api} is not a local cloud (no {api}/_localcloud/health): for a deployed stack pass --stack-name", EXIT_FAILED)
    outputs = health.get("outputs") or {}
    if TABLE_OUTPUT not in outputs:
        raise CliError(f"the local cloud at {api} keeps no API keys (its template has no {TABLE_OUTPUT} output)", EXIT_FAILED)
    import boto3

    dynamodb = boto3.resource(
        "dynamodb",
        region_name=LOCAL_REGION,
        endpoint_url=health["endpoints"]["aws"],
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )
    return KeyTable(dynamodb.Table(outputs[TABLE_OUTPUT]), _rate(outputs), f"the local cloud at {api}")


def stack_table(stack: str, region: str | None) -> KeyTable:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.session.Session(region_name=region)
        described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        raise CliError(f"stack {stack}: {error.response['Error'].get('Message', error)}", EXIT_FAILED) from error
    except BotoCoreError as error:  # no credentials, no region, no network
        raise CliError(f"stack {stack}: {error}", EXIT_FAILED) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    if TABLE_OUTPUT not in outputs:
        raise CliError(f"stack {stack} has no {TABLE_OUTPUT} output: deploy a template that keeps API keys", EXIT_FAILED)
    return KeyTable(session.resource("dynamodb").Table(outputs[TABLE_OUTPUT]), _rate(outputs), f"stack {stack}")


def _rate(outputs: dict[str, str]) -> int:
    try:
        return int(outputs[RATE_OUTPUT])
    except (KeyError, ValueError) as error:
        raise CliError(f"no usable {RATE_OUTPUT} output ({outputs.get(RATE_OUTPUT)!r})", EXIT_FAILED) from error


def _public(key: ApiKey) -> dict:
    """A key's record as shown: everything but its hash."""
    return key.model_dump(by_alias=True, exclude={"key_hash"}, exclude_none=True)  # webhookUrl only when it has one


@dataclass(frozen=True)
class Target:
    """Where a `keys` command works (the local cloud at ``api``, or a deployed stack) and how it prints."""

    api: str
    stack_name: str | None = None
    region: str | None = None
    as_json: bool = False

    def hint(self, command: str) -> str:
        """`solroute keys COMMAND` run against the same keys."""
        if not self.stack_name:
            return hint(f"keys {command}", self.api)
        return f"{program()} keys {command} --stack-name {self.stack_name}" + (f" --region {self.region}" if self.region else "")


@dataclass
class Keys:
    admin: KeyAdmin
    webhook_secrets: WebhookSecrets
    where: str


@asynccontextmanager
async def keys_of(target: Target) -> AsyncIterator[Keys]:
    """The keys at ``target``; the errors of working on them as CliError."""
    from botocore.exceptions import BotoCoreError, ClientError
    from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
    from solroute.dal.dynamodb.webhooks import DynamoWebhookMaster
    from solroute.logic.keys import KeyAdmin
    from solroute.logic.webhooks import WebhookSecrets
    from solroute.models.errors import DomainError
    from solroute.ports import Clock

    table = stack_table(target.stack_name, target.region) if target.stack_name else await local_table(target.api)
    admin = KeyAdmin(DynamoApiKeyStore(table.table), Clock(), table.default_rate)
    try:  # the webhook master is made on first use
        yield Keys(admin, WebhookSecrets(DynamoWebhookMaster(table.table)), table.where)
    except DomainError as error:  # a bad name or rate, an unknown key id, the store unreachable
        raise CliError(str(error), EXIT_FAILED) from error
    except (ClientError, BotoCoreError) as error:  # the table missing, no access
        raise CliError(f"{table.where}: {error}", EXIT_FAILED) from error


async def create(target: Target, name: str, rate: int | None, webhook_url: str | None) -> int:
    async with keys_of(target) as keys:
        issued = keys.admin.create(name, rate, webhook_url=webhook_url)
        record = issued.record
        secret = keys.webhook_secrets.secret_for(record.key_id)
    if target.as_json:
        shown = _public(record)
        del shown["revoked"]  # a new key never is
        print(json.dumps({"apiKey": issued.api_key, **shown, "webhookSecret": secret}))
        return EXIT_OK
    print(issued.api_key)
    print(f"  id {record.key_id}, name {record.name!r}, owner {record.owner}, {record.rate_per_minute} orders a minute, in {keys.where}")
    print("  This is the only time the key is shown (only its hash is stored): keep it now.")
    print(f"  Use it: export SOLROUTE_API_KEY={issued.api_key}   (or --api-key; HTTP header x-api-key)")
    if record.webhook_url:
        print(f"  Its orders' status changes are POSTed to {record.webhook_url} (unless an order names its own webhookUrl)")
    again = target.hint(f"webhook-secret {record.key_id}")
    print(f"  Webhook secret {secret}: verify X-Solroute-Signature with it (docs/webhooks.md; `{again}` shows it again)")
    print(f"  Revoke it: {target.hint(f'revoke {record.key_id}')}")
    return EXIT_OK


async def webhook_secret(target: Target, key_id: str) -> int:
    from solroute.models.errors import KeyNotFound

    async with keys_of(target) as keys:
        key = keys.admin.keys.find(key_id)
        if key is None:
            raise KeyNotFound(f"no key with id {key_id}", {"keyId": key_id})
        secret = keys.webhook_secrets.secret_for(key.key_id)
    print(json.dumps({"keyId": key.key_id, "webhookSecret": secret}) if target.as_json else secret)
    return EXIT_OK


async def list_keys(target: Target) -> int:
    async with keys_of(target) as keys:
        listed = keys.admin.list()
    if target.as_json:
        print(json.dumps([_public(k) for k in listed], indent=2))
    elif not listed:
        print(f"no API keys in {keys.where}")
    else:
        stdout().print(keys_table(listed))
    return EXIT_OK


async def revoke(target: Target, key_id: str) -> int:
    async with keys_of(target) as keys:
        key = keys.admin.revoke(key_id)
    print(json.dumps(_public(key)) if target.as_json else f"revoked {key.key_id} ({key.name!r}, owner {key.owner}) in {keys.where}")
    return EXIT_OK
