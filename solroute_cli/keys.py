"""`solroute keys`: issue, list and revoke API keys, in the running local cloud or a deployed stack.

The local cloud's health page names its AWS endpoint and the stack's outputs; a deployed stack
is found with CloudFormation's describe-stacks. Either way the table is `ApiKeysTableName` and a
new key's default rate `KeyRatePerMinute`, and the engine's own KeyAdmin does the work (a key is
stored only as its hash, so it is shown once, when it is created)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from solroute_cli.api import local_cloud_health
from solroute_cli.errors import EXIT_FAILED, EXIT_OK, CliError

if TYPE_CHECKING:
    from solroute.logic.keys import KeyAdmin
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


async def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from solroute.dal.dynamodb import DynamoApiKeyStore
    from solroute.dal.webhooks_dynamodb import DynamoWebhookMaster
    from solroute.logic.clock import Clock
    from solroute.logic.webhooks import WebhookSecrets
    from solroute.logic.keys import KeyAdmin
    from solroute.models.errors import DomainError

    keys = stack_table(args.stack_name, args.region) if args.stack_name else await local_table(args.api)
    admin = KeyAdmin(DynamoApiKeyStore(keys.table), Clock(), keys.default_rate)
    args.webhook_secrets = WebhookSecrets(DynamoWebhookMaster(keys.table))  # the master is made on first use
    commands = {"create": _create, "list": _list, "revoke": _revoke, "webhook-secret": _webhook_secret}
    try:
        return commands[args.keys_command](admin, args, keys.where)
    except DomainError as error:  # a bad name or rate, an unknown key id, the store unreachable
        raise CliError(str(error), EXIT_FAILED) from error
    except (ClientError, BotoCoreError) as error:  # the table missing, no access
        raise CliError(f"{keys.where}: {error}", EXIT_FAILED) from error


def _create(admin: KeyAdmin, args: argparse.Namespace, where: str) -> int:
    issued = admin.create(args.name, args.rate, webhook_url=args.webhook_url)
    record = issued.record
    secret = args.webhook_secrets.secret_for(record.key_id)
    if args.json:
        shown = _public(record)
        del shown["revoked"]  # a new key never is
        print(json.dumps({"apiKey": issued.api_key, **shown, "webhookSecret": secret}))
        return EXIT_OK
    print(issued.api_key)
    print(f"  id {record.key_id}, name {record.name!r}, owner {record.owner}, {record.rate_per_minute} orders a minute, in {where}")
    print("  This is the only time the key is shown (only its hash is stored): keep it now.")
    print(f"  Use it: export SOLROUTE_API_KEY={issued.api_key}   (or --api-key; HTTP header x-api-key)")
    if record.webhook_url:
        print(f"  Its orders' status changes are POSTed to {record.webhook_url} (unless an order names its own webhookUrl)")
    print(f"  Webhook secret {secret}: verify X-Solroute-Signature with it (docs/webhooks.md; `keys webhook-secret {record.key_id}` shows it again)")
    return EXIT_OK


def _webhook_secret(admin: KeyAdmin, args: argparse.Namespace, where: str) -> int:
    from solroute.models.errors import KeyNotFound

    key = admin.keys.find(args.key_id)
    if key is None:
        raise KeyNotFound(f"no key with id {args.key_id}", {"keyId": args.key_id})
    secret = args.webhook_secrets.secret_for(key.key_id)
    print(json.dumps({"keyId": key.key_id, "webhookSecret": secret}) if args.json else secret)
    return EXIT_OK


def _list(admin: KeyAdmin, args: argparse.Namespace, where: str) -> int:
    keys = admin.list()
    if args.json:
        print(json.dumps([_public(k) for k in keys], indent=2))
        return EXIT_OK
    if not keys:
        print(f"no API keys in {where}")
        return EXIT_OK
    print(f"{'KEY ID':<12} {'NAME':<20} {'OWNER':<36} {'RATE':>6}  {'CREATED':<24} REVOKED")
    for k in keys:
        print(f"{k.key_id:<12} {k.name:<20} {k.owner:<36} {k.rate_per_minute:>6}  {k.created_at:<24} {'yes' if k.revoked else 'no'}")
    return EXIT_OK


def _revoke(admin: KeyAdmin, args: argparse.Namespace, where: str) -> int:
    key = admin.revoke(args.key_id)
    if args.json:
        print(json.dumps(_public(key)))
    else:
        print(f"revoked {key.key_id} ({key.name!r}, owner {key.owner}) in {where}")
    return EXIT_OK


def add_keys_command(subcommands: Any, default_api: str) -> argparse.ArgumentParser:
    """Add `keys create|list|revoke|webhook-secret` to ``subcommands`` (what ``add_subparsers()`` returned)."""
    keys = subcommands.add_parser("keys", help="create, list and revoke API keys (the local cloud's, or --stack-name's)",
                                  description="Manage API keys: in the running local cloud (found at --api), or in a deployed "
                                  "stack (--stack-name, with the AWS credentials boto3 finds).")  # fmt: skip
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--api", default=default_api, help=f"the local cloud's HTTP API (default {default_api}; env SOLROUTE_API_URL)")
        sub.add_argument("--stack-name", help="a deployed stack instead: its ApiKeysTableName and KeyRatePerMinute outputs")
        sub.add_argument("--region", help="the stack's region (default: boto3's, e.g. AWS_REGION)")
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        return sub

    create = action("create", "issue a key and print it (once: only its hash is stored)")
    create.add_argument("--name", required=True, help="what the key is for, 1-64 letters, digits, spaces or . @ : / _ -")
    create.add_argument("--rate", type=int, help="orders a minute it may submit (default: the stack's KeyRatePerMinute)")
    create.add_argument("--webhook-url", help="POST its orders' status changes here unless an order names its own (https, or http to localhost)")
    action("list", "list the keys: id, name, owner, rate, created, revoked (never the key)")
    revoke = action("revoke", "refuse a key from now on")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id (its first 11 characters, as `keys list` shows)")
    secret = action("webhook-secret", "print the secret that signs a key's webhooks (X-Solroute-Signature; docs/webhooks.md)")
    secret.add_argument("key_id", metavar="KEY_ID", help="the key's id (its first 11 characters, as `keys list` shows)")
    return keys
