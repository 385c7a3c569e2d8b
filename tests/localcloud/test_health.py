"""GET /_localcloud/health: what a script waits for instead of reading the banner. 503 while the
local cloud starts (its HTTP API listens before the functions and event sources have started),
then 200 with where each part answers."""

import asyncio
import io
from pathlib import Path

import aiohttp
from aiohttp import web

from localcloud.cloud import CloudConfig, LocalCloud
from localcloud.logs import LogPrinter

FIXTURE = Path(__file__).resolve().parent / "fixture_template.yaml"  # functions and schedules, no tables or queues


async def health(session: aiohttp.ClientSession, http_url: str) -> tuple[int, dict]:
    async with session.get(f"{http_url}/_localcloud/health") as response:
        return response.status, await response.json()


def test_health_says_starting_until_the_event_sources_have_started_then_ready_with_every_endpoint(monkeypatch):
    reached, release = asyncio.Event(), asyncio.Event()
    start_event_sources = LocalCloud._start_event_sources

    async def held(self: LocalCloud) -> None:
        reached.set()
        await release.wait()
        await start_event_sources(self)

    monkeypatch.setattr(LocalCloud, "_start_event_sources", held)

    async def scenario():
        # Given an AWS endpoint that answers (the fixture template creates nothing on it)
        aws = web.AppRunner(web.Application())
        await aws.setup()
        await web.TCPSite(aws, "127.0.0.1", 0).start()
        endpoint = f"http://127.0.0.1:{aws.addresses[0][1]}"
        config = CloudConfig(template=FIXTURE, http_port=0, ws_port=0, lambda_port=0, solana_port=0, aws_endpoint=endpoint, prewarm=False)
        cloud = LocalCloud(config, LogPrinter(io.StringIO()))
        # When it starts, held before its event sources start
        starting = asyncio.create_task(cloud.start())
        await asyncio.wait_for(reached.wait(), 30)
        try:
            async with aiohttp.ClientSession() as session:
                before = await health(session, cloud.http_url)
                release.set()
                await asyncio.wait_for(starting, 30)
                after = await health(session, cloud.http_url)
        finally:
            await cloud.stop()
            await aws.cleanup()
        return before, after, cloud, endpoint

    before, after, cloud, endpoint = asyncio.run(scenario())
    assert before == (503, {"status": "starting"})
    status, body = after
    assert status == 200
    assert body["status"] == "ready"
    assert body["endpoints"] == {
        "http": cloud.http_url,
        "websocket": None,  # the fixture template has no WebSocket API
        "sqs": endpoint,  # with an AWS endpoint given, its SQS is used, not the local cloud's own
        "aws": endpoint,
        "lambda": cloud.lambda_endpoint,
        "solana": cloud.solana_url,
    }
    # A template that keeps no API keys gets no demo key (and this one has no outputs)
    assert body["demoKey"] is None
    assert body["outputs"] == {}
