"""`solroute up --localstack`, with a moto server standing in for LocalStack: LocalStack itself
needs Docker and an auth token, which the machines these tests run on do not have. What is proven
here is the wiring: the endpoint comes from localstack-client (LOCALSTACK_HOST), the template's
tables and queues are created there, the local cloud starts neither moto nor its own SQS, and an
order confirms end to end. LocalStack's own health check is tested in tests/localcloud/test_localstack.py."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3

from tests.support.cloud_client import final_order
from tests.support.cloud_process import FAST, free_port, start_cloud, stop_cloud
from tests.support.moto_server import moto_server


def _aws(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def test_up_localstack_deploys_the_template_where_localstack_client_finds_localstack_and_an_order_confirms():
    with moto_server() as (endpoint, port):  # standing in for LocalStack
        # Given LOCALSTACK_HOST naming the stand-in (and no AWS_ENDPOINT_URL: start_cloud drops it)
        cloud = start_cloud(FAST, "--quiet", "--localstack", env={"LOCALSTACK_HOST": f"127.0.0.1:{port}"})
        try:
            # Then the template's tables and queues are on it
            tables = _aws("dynamodb", endpoint).list_tables()["TableNames"]
            queues = _aws("sqs", endpoint).list_queues().get("QueueUrls", [])
            assert "solroute-dev-OrdersTable" in tables
            assert any(url.endswith("/solroute-dev-OrdersQueue") for url in queues), queues
            # and the local cloud uses it for everything it keeps state in: no moto, no SQS of its own
            assert (cloud.aws, cloud.sqs) == (endpoint, endpoint)
            assert f"--localstack: found {endpoint} (no /_localstack/health: not LocalStack" in cloud.log()

            # When an order is submitted, Then it confirms
            assert final_order(cloud)["status"] == "confirmed"
        finally:
            assert stop_cloud(cloud) == 0, cloud.log()[-3000:]


def test_up_localstack_with_nothing_listening_says_what_to_do_in_one_line_and_exits_1():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"} | {"LOCALSTACK_HOST": f"127.0.0.1:{port}"}
    ports = ["--http-port", "0", "--ws-port", "0", "--lambda-port", "0", "--solana-port", "0"]
    up = subprocess.run([sys.executable, "-m", "solroute_cli", "up", "--localstack", *ports], env=env, capture_output=True, text=True, timeout=60)
    assert up.returncode == 1, up.stdout + up.stderr
    (line,) = up.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith(f"solroute up: nothing answers as LocalStack at http://127.0.0.1:{port}"), line
    assert "LOCALSTACK_AUTH_TOKEN" in line and "LOCALSTACK_HOST" in line
