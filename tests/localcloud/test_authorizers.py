"""Lambda authorizers declared in a SAM template run as API Gateway runs them: on an HTTP API's
routes (payload 2.0, simple responses, a result cache) and on a WebSocket API's $connect (an IAM
policy), with real function processes and real HTTP and WebSocket clients."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from localcloud.cloud import CloudConfig, LocalCloud
from localcloud.logs import LogPrinter
from localcloud.services.awslambda.runtime import Invocation, LocalFunction
from localcloud.services.http import HttpRoute, make_app
from localcloud.services.http.authorizers import HttpAuthorizers
from localcloud.services.websocket import WebSocketApi
from localcloud.template import AuthorizerSpec, Template
from tests.support.loopback import serve
from tests.support.route_function import RouteFunction, route_key, run

TEMPLATE = Template(Path(__file__).parent / "fixture_authorizer_template.yaml")


def template_functions() -> dict[str, LocalFunction]:
    return {
        logical_id: LocalFunction(spec, {}, "http://127.0.0.1:9", f"test-{logical_id}", lambda *a: None)
        for logical_id, spec in TEMPLATE.functions().items()
    }


# ------------------------------------------------------------------ the template
def test_routes_take_the_default_authorizer_unless_their_event_names_another_or_none():
    routes = {r.path: r.authorizer for r in TEMPLATE.http_routes()}
    key_header = ("$request.header.x-api-key",)
    assert routes["/api/orders"] == AuthorizerSpec("KeyAuthorizer", "AuthorizerFunction", key_header, 60, True, "2.0")
    assert routes["/api/quotes"] == AuthorizerSpec("EveryRequest", "AuthorizerFunction", (), 0, True, "2.0")
    assert routes["/api/keyed"] == AuthorizerSpec("KeyEveryRequest", "AuthorizerFunction", key_header, 0, True, "2.0")
    assert routes["/health"] is None


def test_the_connect_route_of_a_websocket_api_takes_its_custom_authorizer():
    (api,) = TEMPLATE.websocket_apis()
    assert api.authorizer is not None
    assert api.authorizer.function == "ConnectAuthorizerFunction"
    assert api.authorizer.identity_sources == ("route.request.querystring.apiKey",)


# ------------------------------------------------------------------ the HTTP API
@contextlib.asynccontextmanager
async def http_api() -> AsyncIterator[tuple[aiohttp.ClientSession, str, dict[str, LocalFunction]]]:
    functions = template_functions()
    routes = [HttpRoute(r.method, r.path, r.function, r.authorizer) for r in TEMPLATE.http_routes()]
    runner, base = await serve(make_app(routes, functions.__getitem__, None, "api1"))
    try:
        async with aiohttp.ClientSession() as session:
            yield session, base, functions
    finally:
        await runner.cleanup()
        for function in functions.values():
            await function.stop()


async def get(session: aiohttp.ClientSession, url: str, key: str | None = None) -> tuple[int, dict]:
    async with session.get(url, headers={"x-api-key": key} if key is not None else {}) as response:
        return response.status, await response.json()


@pytest.mark.parametrize("key", [None, ""])
def test_a_missing_or_empty_identity_source_is_401_and_the_authorizer_is_not_invoked(key):
    async def scenario():
        async with http_api() as (session, base, functions):
            answer = await get(session, f"{base}/api/orders", key)
            return answer, functions["AuthorizerFunction"].stats.invocations, functions["OrdersFunction"].stats.invocations

    answer, authorizer_calls, integration_calls = run(scenario())
    assert answer == (401, {"message": "Unauthorized"})
    assert (authorizer_calls, integration_calls) == (0, 0)


def test_a_denied_request_is_403_and_never_reaches_the_integration():
    async def scenario():
        async with http_api() as (session, base, functions):
            return await get(session, f"{base}/api/orders", "wrong"), functions["OrdersFunction"].stats.invocations

    answer, integration_calls = run(scenario())
    assert answer == (403, {"message": "Forbidden"})
    assert integration_calls == 0


def test_an_allowed_request_reaches_the_integration_with_the_authorizer_context():
    async def scenario():
        async with http_api() as (session, base, _):
            return await get(session, f"{base}/api/orders?x=1", "good")

    status, event = run(scenario())
    assert status == 200
    context = event["requestContext"]["authorizer"]["lambda"]
    assert context["owner"] == "alice"
    assert context["type"] == "REQUEST"
    assert context["routeArn"] == "arn:aws:execute-api:us-east-1:123456789012:api1/$default/GET/api/orders"


def test_within_its_ttl_a_cached_result_answers_without_invoking_the_authorizer_again_denials_too():
    async def scenario():
        async with http_api() as (session, base, functions):
            allowed = [(await get(session, f"{base}/api/orders", "good"))[0] for _ in range(3)]
            denied = [(await get(session, f"{base}/api/orders", "wrong"))[0] for _ in range(3)]
            return allowed, denied, functions["AuthorizerFunction"].stats.invocations

    allowed, denied, authorizer_calls = run(scenario())
    assert allowed == [200, 200, 200]
    assert denied == [403, 403, 403]
    assert authorizer_calls == 2  # once per key


def test_with_a_ttl_of_0_and_no_identity_sources_every_request_invokes_the_authorizer():
    async def scenario():
        async with http_api() as (session, base, functions):
            statuses = [(await get(session, f"{base}/api/quotes"))[0] for _ in range(3)]
            return statuses, functions["AuthorizerFunction"].stats.invocations

    statuses, authorizer_calls = run(scenario())
    assert statuses == [200, 200, 200]
    assert authorizer_calls == 3


@pytest.mark.parametrize("key", ["boom", "odd"])
def test_an_authorizer_that_fails_or_answers_in_another_shape_is_500(key):
    async def scenario():
        async with http_api() as (session, base, functions):
            return await get(session, f"{base}/api/orders", key), functions["OrdersFunction"].stats.invocations

    answer, integration_calls = run(scenario())
    assert answer == (500, {"message": "Internal Server Error"})
    assert integration_calls == 0


def test_a_required_header_without_a_cache_refuses_a_request_without_it_and_asks_the_authorizer_about_every_other():
    """solroute's configuration (Headers: [x-api-key], ReauthorizeEvery: 0), as API Gateway runs it:
    no header is 401 {"message":"Unauthorized"} and no function runs; a denied key is 403
    {"message":"Forbidden"} and the integration does not run; nothing is cached."""

    async def scenario():
        async with http_api() as (session, base, functions):
            answers = [await get(session, f"{base}/api/keyed", key) for key in (None, "", "wrong", "good", "good", "wrong")]
            return answers, functions["AuthorizerFunction"].stats.invocations, functions["OrdersFunction"].stats.invocations

    answers, authorizer_calls, integration_calls = run(scenario())
    assert [status for status, _ in answers] == [401, 401, 403, 200, 200, 403]
    assert answers[0][1] == answers[1][1] == {"message": "Unauthorized"} and answers[2][1] == answers[5][1] == {"message": "Forbidden"}
    assert (authorizer_calls, integration_calls) == (4, 2)


def test_a_route_whose_event_says_authorizer_none_is_open():
    async def scenario():
        async with http_api() as (session, base, functions):
            return await get(session, f"{base}/health"), functions["AuthorizerFunction"].stats.invocations

    (status, event), authorizer_calls = run(scenario())
    assert status == 200
    assert "authorizer" not in event["requestContext"]
    assert authorizer_calls == 0


# ------------------------------------------------------------------ the WebSocket API
@contextlib.asynccontextmanager
async def websocket_api() -> AsyncIterator[tuple[aiohttp.ClientSession, str, RouteFunction, dict[str, LocalFunction]]]:
    """The template's WebSocket API with its real authorizer function; the route function is a
    double that keeps every event."""
    (spec,) = TEMPLATE.websocket_apis()
    functions, routes = template_functions(), RouteFunction()
    lookup = lambda logical_id: routes if logical_id == "OrdersFunction" else functions[logical_id]  # noqa: E731
    api = WebSocketApi(spec.routes, spec.route_selection_expression, spec.stage, lookup, "wsapi", authorizer=spec.authorizer)
    runner, base = await serve(api.app())
    try:
        async with aiohttp.ClientSession() as session:
            yield session, base.replace("http://", "ws://") + "/dev", routes, functions
    finally:
        await api.close_all()
        await runner.cleanup()
        for function in functions.values():
            await function.stop()


async def refused(session: aiohttp.ClientSession, url: str) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refusal:
        await session.ws_connect(url)
    return refusal.value.status


def test_a_connection_without_its_identity_source_is_refused_with_401_without_invoking_the_authorizer():
    async def scenario():
        async with websocket_api() as (session, url, routes, functions):
            return await refused(session, url), functions["ConnectAuthorizerFunction"].stats.invocations, routes.events

    status, authorizer_calls, route_events = run(scenario())
    assert status == 401
    assert authorizer_calls == 0
    assert route_events == []


def test_a_connection_the_policy_denies_is_refused_with_403_before_connect_runs():
    async def scenario():
        async with websocket_api() as (session, url, routes, _):
            return await refused(session, f"{url}?apiKey=wrong"), routes.events

    status, route_events = run(scenario())
    assert status == 403
    assert route_events == []


def test_a_failing_authorizer_refuses_the_connection_with_500():
    async def scenario():
        async with websocket_api() as (session, url, _, _functions):
            return await refused(session, f"{url}?apiKey=boom")

    assert run(scenario()) == 500


def test_an_allowed_connection_carries_the_authorizer_context_on_connect_and_on_later_routes():
    async def scenario():
        async with websocket_api() as (session, url, routes, _):
            async with session.ws_connect(f"{url}?apiKey=good") as socket:
                await socket.send_json({"action": "subscribe"})
                message = await routes.first(route_key("subscribe"))
            return routes.of("CONNECT")[0], message

    connect, message = run(scenario())
    expected = {"principalId": "alice", "owner": "alice", "eventType": "CONNECT"}
    assert connect["requestContext"]["authorizer"] == expected
    assert message["requestContext"]["authorizer"] == expected


# ------------------------------------------------------------------ the local cloud
def test_the_local_cloud_runs_the_authorizers_its_template_declares():
    async def scenario():
        # Given an AWS endpoint that answers (the fixture template creates nothing on it)
        aws = web.AppRunner(web.Application())
        await aws.setup()
        await web.TCPSite(aws, "127.0.0.1", 0).start()
        endpoint = f"http://127.0.0.1:{aws.addresses[0][1]}"
        config = CloudConfig(template=TEMPLATE.path, http_port=0, ws_port=0, lambda_port=0, solana_port=0, aws_endpoint=endpoint, prewarm=False)
        cloud = LocalCloud(config, LogPrinter(io.StringIO()))
        await cloud.start()
        try:
            async with aiohttp.ClientSession() as session:
                # When a client calls the HTTP API without a key, then with one, and connects without one
                without = await get(session, f"{cloud.http_url}/api/orders")
                status, event = await get(session, f"{cloud.http_url}/api/orders", "good")
                websocket = await refused(session, f"{cloud.ws_url}/dev")
        finally:
            await cloud.stop()
            await aws.cleanup()
        return without, (status, event["requestContext"]["authorizer"]["lambda"]["owner"]), websocket

    without, allowed, websocket = run(scenario())
    assert without == (401, {"message": "Unauthorized"})
    assert allowed == (200, "alice")
    assert websocket == 401


def test_once_its_ttl_has_passed_a_cached_result_is_asked_again():
    calls = []

    class Authorizer:
        async def invoke(self, event: dict, request_id: str | None = None) -> Invocation:
            calls.append(event)
            return Invocation("r", True, result={"isAuthorized": True, "context": {"n": len(calls)}})

    now = [0.0]
    authorizers = HttpAuthorizers(lambda _: Authorizer(), "api1", clock=lambda: now[0])
    spec = AuthorizerSpec("KeyAuthorizer", "f", ("$request.header.x-api-key",), 60, True, "2.0")
    event = {"headers": {"x-api-key": "good"}, "requestContext": {"http": {"method": "GET", "path": "/api/orders"}}}

    async def scenario():
        answers = []
        for seconds in (0, 59.9, 60):  # the clock is the test's: no waiting
            now[0] = seconds
            answers.append(await authorizers.authorize(spec, event))
        return answers

    answers = run(scenario())
    assert [a["lambda"]["n"] for a in answers] == [1, 1, 2]
    assert calls[0]["identitySource"] == ["good"]
