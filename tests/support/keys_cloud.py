"""A local cloud of tests/localcloud's fixture template that keeps API keys (on free ports, no
prewarm), and the key store behind it."""

from __future__ import annotations

from pathlib import Path

import boto3

from localcloud.cloud import CloudConfig
from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
from tests.support.cloud_process import free_port

FIXTURE = Path(__file__).resolve().parents[1] / "localcloud" / "fixture_keys_template.yaml"


def keys_cloud_config(**parameters: str) -> CloudConfig:
    return CloudConfig(
        template=FIXTURE, http_port=0, ws_port=0, sqs_port=0, lambda_port=0, solana_port=0, aws_port=free_port(), parameters=parameters, prewarm=False
    )


def key_store(cloud) -> DynamoApiKeyStore:
    dynamodb = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=cloud.endpoint, aws_access_key_id="test", aws_secret_access_key="test")
    return DynamoApiKeyStore(dynamodb.Table(cloud.outputs["ApiKeysTableName"]))
