"""`solroute up --localstack` finds LocalStack where localstack-client says it is, and refuses
clearly when what answers there cannot hold the engine's state (real HTTP servers)."""

import asyncio
import threading
from contextlib import contextmanager

import pytest
from aiohttp import web

from localcloud import localstack
from tests.support.cloud_process import free_port


@contextmanager
def serving(app: web.Application):
    """An aiohttp app on a free loopback port, in its own thread, stopped on exit."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(runner.cleanup())
        loop.close()


def health_app(services: dict) -> web.Application:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"services": services, "edition": "community", "version": "4.9.1"})

    app = web.Application()
    app.router.add_get(localstack.HEALTH_PATH, health)
    return app


@pytest.fixture(autouse=True)
def _no_endpoint_override(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("USE_SSL", raising=False)


def test_localstack_is_found_through_localstack_host_and_checked_for_the_services_it_must_hold(monkeypatch):
    with serving(health_app({"dynamodb": "running", "dynamodbstreams": "available", "sqs": "running", "s3": "disabled"})) as port:
        monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{port}")
        found = localstack.find()
    assert found.url == f"http://127.0.0.1:{port}"
    assert found.description == f"LocalStack 4.9.1 (community) at http://127.0.0.1:{port}"


def test_a_localstack_without_a_needed_service_is_refused_with_what_to_enable(monkeypatch):
    with serving(health_app({"dynamodb": "running", "dynamodbstreams": "running", "sqs": "disabled"})) as port:
        monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{port}")
        with pytest.raises(localstack.LocalStackUnavailable, match="sqs: disabled.*SERVICES=dynamodb,dynamodbstreams,sqs"):
            localstack.find()


def test_nothing_listening_says_how_to_start_localstack_and_that_it_needs_a_token(monkeypatch):
    monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{free_port()}")
    with pytest.raises(localstack.LocalStackUnavailable, match="LOCALSTACK_AUTH_TOKEN"):
        localstack.find(timeout_s=1)


def test_an_endpoint_with_no_health_page_is_used_as_a_plain_aws_endpoint(monkeypatch):
    with serving(web.Application()) as port:  # answers 404 to everything, as a moto server does here
        monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{port}")
        found = localstack.find()
    assert found.url == f"http://127.0.0.1:{port}" and "not LocalStack" in found.description


def test_aws_endpoint_url_wins_as_localstack_client_documents(monkeypatch):
    monkeypatch.setenv("LOCALSTACK_HOST", "127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4999/")
    assert localstack.endpoint() == "http://127.0.0.1:4999"
