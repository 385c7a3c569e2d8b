"""The local cloud behaves like the AWS services it stands in for."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import aiohttp
import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import FAST, free_port, run, start_cloud, stop_cloud, submit, wait_final

WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"


def _aws(cloud, service, **kwargs):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t", **kwargs)


def test_the_management_api_answers_like_api_gateway_including_410(cloud):
    management = _aws(cloud, "apigatewaymanagementapi", endpoint_url=cloud.ws.replace("ws://", "http://") + "/dev")

    async def scenario():
        async with aiohttp.ClientSession() as session:
            accepted = await submit(session, cloud.http)
            socket = await session.ws_connect(accepted["websocketUrl"])
            await socket.send_str(json.dumps({"action": "dance"}))
            unknown_action = json.loads((await socket.receive(timeout=10)).data)
            table = boto3.resource("dynamodb", endpoint_url=cloud.aws, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
            rows = table.Table("solroute-dev-ConnectionsTable").scan()["Items"]  # the id a client never sees
            connection_id = next(r["connectionId"] for r in rows if r["orderId"] == accepted["orderId"])
            info = await asyncio.to_thread(management.get_connection, ConnectionId=connection_id)
            await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b'{"hello": 1}')
            while (message := json.loads((await socket.receive(timeout=10)).data)).get("hello") is None:
                pass  # status updates may come first
            await asyncio.to_thread(management.delete_connection, ConnectionId=connection_id)
            closed = await socket.receive(timeout=10)
            with pytest.raises(ClientError) as gone:
                await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b"{}")
            await asyncio.sleep(0.3)  # $disconnect runs
            remaining = [r for r in table.Table("solroute-dev-ConnectionsTable").scan()["Items"] if r["connectionId"] == connection_id]
            return unknown_action, info, message, closed, gone.value, remaining

    unknown_action, info, message, closed, gone, remaining = run(scenario())
    assert unknown_action["error"]["code"] == "UNKNOWN_ACTION"
    assert "ConnectedAt" in info and info["Identity"]["SourceIp"] == "127.0.0.1"
    assert message == {"hello": 1}
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    assert gone.response["Error"]["Code"] == "GoneException" and gone.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert remaining == [], "$disconnect removes the connection's subscriptions"


def test_the_cli_lists_a_wallets_orders_and_explains_itself(cloud):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            accepted = await submit(session, cloud.http, wallet=WALLET)
            return await wait_final(session, cloud.http, accepted["orderId"])

    order = run(scenario())
    listed = subprocess.run([sys.executable, "-m", "localcloud.cli", "list", "--wallet", WALLET, "--api", cloud.http], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0 and order["orderId"] in listed.stdout
    for args in (["--help"], ["up", "--help"], ["submit", "--help"]):
        shown = subprocess.run([sys.executable, "-m", "localcloud.cli", *args], capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0 and "usage: solroute" in shown.stdout
    assert "--param KEY=VALUE" in subprocess.run([sys.executable, "-m", "localcloud.cli", "up", "--help"], capture_output=True, text=True).stdout
    bad = subprocess.run([sys.executable, "-m", "localcloud.cli", "submit", "SOL", "SOL", "1", "--api", cloud.http], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "must differ" in bad.stderr


def test_an_existing_aws_endpoint_is_used_instead_of_starting_moto():
    port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        cloud = start_cloud(FAST, "--quiet", use_env_endpoint=True)
        try:
            tables = _aws(None, "dynamodb", endpoint_url=endpoint).list_tables()["TableNames"]
            assert "solroute-dev-OrdersTable" in tables
            assert f"using the AWS endpoint at {endpoint}" in cloud.log()

            async def scenario():
                async with aiohttp.ClientSession() as session:
                    accepted = await submit(session, cloud.http)
                    return await wait_final(session, cloud.http, accepted["orderId"])

            assert run(scenario())["status"] == "confirmed"
        finally:
            assert stop_cloud(cloud) == 0
    finally:
        del os.environ["AWS_ENDPOINT_URL"]
        moto.terminate()
        moto.wait(10)
