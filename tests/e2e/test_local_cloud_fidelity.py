"""The local cloud behaves like the AWS services it stands in for."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.cloud_client import CLOSED, final_order, json_frame, receive_until, run, submit, wait_final
from tests.support.cloud_process import FAST, start_cloud, stop_cloud
from tests.support.moto_server import moto_server

WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
ROOT = Path(__file__).resolve().parents[2]


def _aws(cloud, service, **kwargs):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t", **kwargs)


def test_the_management_api_answers_like_api_gateway_including_410(cloud):
    management = _aws(cloud, "apigatewaymanagementapi", endpoint_url=cloud.ws.replace("ws://", "http://") + "/dev")

    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http)
            await wait_final(session, cloud.http, accepted["orderId"])  # fewer broadcasts to race with
            socket = await session.ws_connect(f"{accepted['websocketUrl']}?orderId={accepted['orderId']}")
            # Subscribed at $connect, unless a broadcast came during the $connect (a 410 there, as
            # on AWS, deletes the subscription): the subscribe action subscribes for sure.
            await socket.send_str(json.dumps({"action": "subscribe"}))
            await receive_until(socket, lambda f: json_frame(f).get("type") == "snapshot")
            await socket.send_str(json.dumps({"action": "dance"}))
            # A status update of the order may still come before any answer, or between them.
            unknown_action = json_frame(await receive_until(socket, lambda f: "error" in json_frame(f)))
            connections = boto3.resource(
                "dynamodb", endpoint_url=cloud.aws, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
            ).Table("solroute-dev-ConnectionsTable")  # fmt: skip
            rows = connections.scan()["Items"]  # the id a client never sees
            connection_id = next(r["connectionId"] for r in rows if r["orderId"] == accepted["orderId"])
            info = await asyncio.to_thread(management.get_connection, ConnectionId=connection_id)
            await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b'{"hello": 1}')
            message = json_frame(await receive_until(socket, lambda f: "hello" in json_frame(f)))
            await asyncio.to_thread(management.delete_connection, ConnectionId=connection_id)
            closed = await receive_until(socket, lambda f: f.type in CLOSED)
            with pytest.raises(ClientError) as gone:
                await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b"{}")
            return unknown_action, info, message, closed, gone.value

    unknown_action, info, message, closed, gone = run(scenario())
    assert unknown_action["error"]["code"] == "UNKNOWN_ACTION"
    assert "ConnectedAt" in info and info["Identity"]["SourceIp"] == "127.0.0.1"
    assert message == {"hello": 1}
    assert closed.type in CLOSED
    assert gone.response["Error"]["Code"] == "GoneException" and gone.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_the_cli_lists_a_wallets_orders_and_explains_itself(cloud):
    order = final_order(cloud, wallet=WALLET)
    listed = subprocess.run([sys.executable, "-m", "solroute_cli", "list", "--wallet", WALLET, "--api", cloud.http], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0 and order["orderId"] in listed.stdout
    for args in (["--help"], ["up", "--help"], ["submit", "--help"]):
        shown = subprocess.run([sys.executable, "-m", "solroute_cli", *args], capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0 and "usage: solroute" in shown.stdout
    assert "--param KEY=VALUE" in subprocess.run([sys.executable, "-m", "solroute_cli", "up", "--help"], capture_output=True, text=True).stdout
    bad = subprocess.run([sys.executable, "-m", "solroute_cli", "submit", "SOL", "SOL", "1", "--api", cloud.http], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "must differ" in bad.stderr


def test_an_existing_aws_endpoint_is_used_instead_of_starting_moto():
    with moto_server() as (endpoint, _):
        cloud = start_cloud(FAST, "--quiet", env={"AWS_ENDPOINT_URL": endpoint})
        try:
            tables = _aws(None, "dynamodb", endpoint_url=endpoint).list_tables()["TableNames"]
            assert "solroute-dev-OrdersTable" in tables
            assert f"using the AWS endpoint at {endpoint}" in cloud.log()
            assert final_order(cloud)["status"] == "confirmed"
        finally:
            assert stop_cloud(cloud) == 0


def test_the_lambda_api_runs_any_function_of_the_template_on_demand(cloud):
    client = _aws(cloud, "lambda", endpoint_url=cloud.lambda_endpoint)
    health = (ROOT / "events" / "api_health.json").read_text()
    for name in ("solroute-dev-ApiFunction", "ApiFunction", "arn:aws:lambda:us-east-1:123456789012:function:solroute-dev-ApiFunction"):
        answer = client.invoke(FunctionName=name, Payload=health)
        assert answer["StatusCode"] == 200 and "FunctionError" not in answer, name
        assert json.loads(answer["Payload"].read())["statusCode"] == 200, name
    with pytest.raises(ClientError) as missing:
        client.invoke(FunctionName="solroute-dev-NoSuchFunction")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_schedules_run_as_eventbridge_rules_and_their_functions_can_be_run_at_once():
    cloud = start_cloud([], "--template", str(ROOT / "tests" / "localcloud" / "fixture_template.yaml"))
    try:
        log = cloud.log()
        assert "event source: Schedule rate(1 minute) -> CountFunction (Scheduled Event every 60 s)" in log
        assert "event source: ScheduleV2 rate(2 hours) -> CountFunction (its Input every 7200 s)" in log
        assert "event source: Schedule rate(5 minutes) -> CountFunction (disabled)" in log
        assert "WARNING event source: Schedule cron(0 3 * * ? *) -> CountFunction (NOT RUN:" in log
        client = _aws(cloud, "lambda", endpoint_url=cloud.lambda_endpoint)
        accepted = client.invoke(FunctionName="CountFunction", InvocationType="Event", Payload=b"{}")
        assert accepted["StatusCode"] == 202
        deadline = time.monotonic() + 30
        while cloud.stats()["functions"]["CountFunction"]["invocations"] < 1:
            assert time.monotonic() < deadline, "the Event invocation never ran"
            time.sleep(0.1)
    finally:
        assert stop_cloud(cloud) == 0, cloud.log()[-3000:]


def test_a_body_that_is_not_utf8_is_passed_on_never_a_local_cloud_500(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            body = b'{"tokenIn": "\xff\xfe", "tokenOut": "USDC", "amountIn": "1"}'
            async with session.post(f"{cloud.http}/api/orders/execute", data=body, headers={"content-type": "application/json"}) as r:
                return r.status, r.content_type, await r.read()

    status, content_type, body = run(scenario())
    assert content_type == "application/json", body  # the function answered (base64 body), not the local cloud
    assert status < 500, body
