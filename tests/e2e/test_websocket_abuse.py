"""The WebSocket against abuse, end to end on a local cloud whose keys may keep three connections
open: one key cannot hold more (a closed one frees its slot), one frame cannot name more than ten
orders, and a revoked key's connections get nothing more (they are told why, and closed)."""

from __future__ import annotations

import asyncio
import json
import os

import aiohttp
import boto3
import pytest

from tests.support.cloud_client import CLOSED, call, json_frame, poll, receive_until, run, solroute_keys, submit
from tests.support.cloud_process import FAST, start_cloud, stop_cloud

LIMIT = 3
FAR_LIMIT = {"type": "limit", "limitPrice": "1000000", "timeInForceSeconds": 600}  # rests open: the market never gets there


@pytest.fixture(scope="module")
def cloud():
    running = start_cloud([*FAST, f"WebSocketConnectionsPerKey={LIMIT}"], "--quiet")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def handshake_headers(key: str) -> dict[str, str]:
    """A WebSocket handshake, sent as a plain GET so that a refusal's body can be read."""
    return {"x-api-key": key, "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


async def refusal(session: aiohttp.ClientSession, cloud, key: str) -> tuple[int, str]:
    async with session.get(f"{cloud.ws}/dev", headers=handshake_headers(key)) as response:
        return response.status, await response.text()


def test_a_key_keeps_at_most_its_connections_and_a_closed_one_frees_its_slot(cloud):
    key, other = (solroute_keys(cloud, "create", "--name", name)["apiKey"] for name in ("many-tabs", "someone-else"))

    async def scenario():
        async with aiohttp.ClientSession() as session:
            sockets = [await session.ws_connect(f"{cloud.ws}/dev", headers={"x-api-key": key}) for _ in range(LIMIT)]
            refused = await refusal(session, cloud, key)
            theirs = await session.ws_connect(f"{cloud.ws}/dev", headers={"x-api-key": other})  # its own count
            await sockets.pop().close()  # its $disconnect frees the slot

            async def try_connect():
                try:
                    return await session.ws_connect(f"{cloud.ws}/dev", headers={"x-api-key": key})
                except aiohttp.WSServerHandshakeError as error:
                    return error.status

            again = await poll(try_connect, lambda answer: not isinstance(answer, int))
            for socket in [*sockets, theirs] + ([again] if not isinstance(again, int) else []):
                await socket.close()
            return refused, again

    (status, reason), again = run(scenario())
    assert status == 429 and f"{LIMIT} WebSocket connections open" in reason, (status, reason)
    assert not isinstance(again, int), f"after a close, a new connection is refused still: {again}"


def test_a_subscribe_frame_naming_more_than_ten_orders_is_refused_whole(cloud):
    async def scenario():
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            order_ids = [(await submit(session, cloud.http, **FAR_LIMIT))["orderId"] for _ in range(11)]
            async with session.ws_connect(f"{cloud.ws}/dev") as socket:
                await socket.send_str(json.dumps({"action": "subscribe", "orderIds": order_ids}))
                refused = json_frame(await receive_until(socket, lambda f: f.type == aiohttp.WSMsgType.TEXT))
                await socket.send_str(json.dumps({"action": "subscribe", "orderIds": order_ids[:10]}))
                snapshots = [json_frame(await receive_until(socket, lambda f: f.type == aiohttp.WSMsgType.TEXT)) for _ in range(10)]
            for order_id in order_ids:
                await session.delete(f"{cloud.http}/api/orders/{order_id}")
            return refused, snapshots

    refused, snapshots = run(scenario())
    assert refused["type"] == "error" and refused["error"]["code"] == "TOO_MANY_ORDER_IDS", refused
    assert "at most 10 orders" in refused["error"]["message"] and refused["error"]["details"] == {"max": 10, "named": 11}
    assert [s["type"] for s in snapshots] == ["snapshot"] * 10, "ten in a frame are followed, and nothing came before"


def _same_owner_key(cloud, owner: str) -> str:
    """A second key of the same owner, issued straight into the local cloud's keys table (the CLI
    makes each key its own owner)."""
    from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
    from solroute.ports import Clock
    from solroute.logic.keys import KeyAdmin

    table_name = cloud.health()[1]["outputs"]["ApiKeysTableName"]
    credentials = {"aws_access_key_id": os.environ.get("AWS_ACCESS_KEY_ID", "t"), "aws_secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY", "t")}
    table = boto3.resource("dynamodb", endpoint_url=cloud.aws, region_name="us-east-1", **credentials).Table(table_name)
    return KeyAdmin(DynamoApiKeyStore(table), Clock(), 60).create("same-owner", owner=owner).api_key


def test_a_revoked_keys_connections_get_nothing_more_are_told_why_and_closed(cloud):
    issued = solroute_keys(cloud, "create", "--name", "leaked")
    key, spare = issued["apiKey"], _same_owner_key(cloud, issued["owner"])

    async def scenario():
        async with aiohttp.ClientSession(headers={"x-api-key": key}) as session:
            order_id = (await submit(session, cloud.http, **FAR_LIMIT))["orderId"]
            following = await session.ws_connect(f"{cloud.ws}/dev")
            await following.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
            snapshot = json_frame(await receive_until(following, lambda f: f.type == aiohttp.WSMsgType.TEXT))
            idle = await session.ws_connect(f"{cloud.ws}/dev")
            await asyncio.to_thread(solroute_keys, cloud, "revoke", issued["keyId"])
            # The key's authorization is cached (the revocation delay, 2 s in FAST): refused once it ends.
            read = lambda: call(session, "GET", f"{cloud.http}/api/orders/{order_id}")  # noqa: E731
            http = await poll(read, lambda answer: answer[0] != 200, timeout=20)
            try:
                async with session.ws_connect(f"{cloud.ws}/dev"):
                    connect = 101
            except aiohttp.WSServerHandshakeError as error:
                connect = error.status
            await idle.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
            idle_frames = [await idle.receive(timeout=30), await idle.receive(timeout=30)]
            async with aiohttp.ClientSession(headers={"x-api-key": spare}) as owner:  # the owner's other key is still good
                cancelled = await call(owner, "DELETE", f"{cloud.http}/api/orders/{order_id}")
            following_frames = [await following.receive(timeout=30), await following.receive(timeout=30)]
        return snapshot, http, connect, idle_frames, cancelled, following_frames

    snapshot, http, connect, idle_frames, cancelled, following_frames = run(scenario())
    assert snapshot["type"] == "snapshot" and snapshot["status"] == "open"
    assert (http[0], http[2]) == (403, {"message": "Forbidden"}) and connect == 403
    told = json_frame(idle_frames[0])
    assert told["error"]["code"] == "UNAUTHORIZED" and "revoked" in told["error"]["message"] and idle_frames[1].type in CLOSED
    assert cancelled[0] == 200 and cancelled[2]["status"] == "cancelled"
    told = json_frame(following_frames[0])
    assert told["type"] == "error" and "revoked" in told["error"]["message"], "no status update, only why"
    assert following_frames[1].type in CLOSED
