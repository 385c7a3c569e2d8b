"""The HTTP API server builds payload-2.0 events as API Gateway does (real HTTP client)."""

import asyncio
import base64
import contextlib
import gzip
import json

import aiohttp
import pytest

from localcloud.services.awslambda.runtime import Invocation
from localcloud.services.http import HttpRoute, make_app
from localcloud.services.http.constants import INTERNAL_ERROR_MESSAGE, MAX_PAYLOAD_BYTES
from tests.support.local_function import function
from tests.support.local_function import run as run_async
from tests.support.loopback import serve


def test_a_request_becomes_a_payload_2_event():
    async def scenario():
        fn = function("app.echo")
        app = make_app([HttpRoute("POST", "/items/{id}", "echo")], lambda _: fn, {"AllowOrigins": ["*"], "AllowMethods": ["POST"]}, "api1")
        runner, base = await serve(app)
        try:
            async with aiohttp.ClientSession() as session:
                headers = {"X-Custom": "A", "Cookie": "a=1; b=2", "Origin": "http://x", "content-type": "application/octet-stream"}
                async with session.post(f"{base}/items/42?q=1&q=2&r=x", data=b"\x00\x01binary", headers=headers) as r:
                    event, cors = await r.json(), r.headers.get("Access-Control-Allow-Origin")
                async with session.post(f"{base}/items/7", json={"k": "v"}) as r:
                    text_event = await r.json()
                async with session.get(f"{base}/items/7") as r:
                    missing = (r.status, await r.json())
                async with session.options(f"{base}/items/7", headers={"Origin": "http://x", "Access-Control-Request-Method": "POST"}) as r:
                    preflight = (r.status, r.headers.get("Access-Control-Allow-Methods"))
            return event, cors, text_event, missing, preflight
        finally:
            await runner.cleanup()
            await fn.stop()

    event, cors, text_event, missing, preflight = asyncio.run(scenario())
    assert event["version"] == "2.0" and event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/items/42" and event["rawQueryString"] == "q=1&q=2&r=x"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"q": "1,2", "r": "x"}
    assert event["headers"]["x-custom"] == "A" and "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["isBase64Encoded"] and base64.b64decode(event["body"]) == b"\x00\x01binary"
    assert event["requestContext"]["http"]["method"] == "POST" and event["requestContext"]["stage"] == "$default"
    assert text_event["isBase64Encoded"] is False and text_event["body"] == '{"k": "v"}'
    assert cors == "*"
    assert missing == (404, {"message": "Not Found"})
    assert preflight == (204, "POST")


@contextlib.asynccontextmanager
async def echo_api():
    """The echo function behind `POST /items`, served on a free port: yields the base URL."""
    fn = function("app.echo")
    runner, base = await serve(make_app([HttpRoute("POST", "/items", "echo")], lambda _: fn, None, "api1"))
    try:
        yield base
    finally:
        await runner.cleanup()
        await fn.stop()


def test_a_body_that_is_not_utf8_is_passed_base64_encoded_whatever_its_content_type():
    async def scenario():
        answers = {}
        async with echo_api() as base, aiohttp.ClientSession() as session:
            for content_type in ("application/json", "text/plain; charset=utf-8", None):
                headers = {"content-type": content_type} if content_type else {"content-type": ""}
                async with session.post(f"{base}/items", data=b'{"a": "\xff\xfe"}', headers=headers) as r:
                    answers[content_type] = (r.status, r.content_type, await r.read())
        return answers

    for content_type, (status, answered_type, body) in run_async(scenario()).items():
        assert (status, answered_type) == (200, "application/json"), (content_type, body)
        event = json.loads(body)
        assert event["isBase64Encoded"] is True, content_type
        assert base64.b64decode(event["body"]) == b'{"a": "\xff\xfe"}'


def test_the_local_cloud_answers_its_own_errors_in_json_like_api_gateway():
    def no_function(_):
        raise RuntimeError("a bug in the local cloud")

    async def scenario():
        app = make_app([HttpRoute("POST", "/items", "missing")], no_function, None, "api1")
        runner, base = await serve(app)
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(f"{base}/items", data=b"{}") as r:
                    broken = (r.status, r.content_type, await r.json())
                async with session.post(f"{base}/items", data=b"x" * (MAX_PAYLOAD_BYTES + 1)) as r:
                    too_large = (r.status, r.content_type)
            return broken, too_large
        finally:
            await runner.cleanup()

    broken, too_large = run_async(scenario())
    assert broken == (500, "application/json", {"message": "Internal Server Error"})
    assert too_large == (413, "application/json")


def test_a_compressed_body_is_passed_as_sent_never_decompressed_or_a_local_cloud_500():
    """HTTP APIs have no payload compression (a REST API feature): a Content-Encoding body,
    valid or not, reaches the function as the client's bytes."""

    async def scenario():
        answers = {}
        async with echo_api() as base, aiohttp.ClientSession(auto_decompress=False) as session:
            for name, body in (("gzip", gzip.compress(b'{"a": 1}')), ("broken gzip", b"\x1f\x8b\x08\x00 cut short \xff")):
                headers = {"content-type": "application/json", "content-encoding": "gzip"}
                async with session.post(f"{base}/items", data=body, headers=headers) as r:
                    answers[name] = (body, r.status, r.content_type, await r.read())
        return answers

    for name, (sent, status, content_type, body) in run_async(scenario()).items():
        assert (status, content_type) == (200, "application/json"), (name, body)
        event = json.loads(body)
        assert event["headers"]["content-encoding"] == "gzip", name
        assert event["isBase64Encoded"] is True, name
        assert base64.b64decode(event["body"]) == sent, name


class Answers:
    """A route function that answers what the test tells it to (an in-process stand-in)."""

    def __init__(self, result) -> None:
        self.result = result

    async def invoke(self, event, request_id=None):
        return Invocation(request_id or "r", True, result=self.result)


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "headers": {"x-a": "1\r\nx-injected: yes"}, "body": "x"},
        {"statusCode": 200, "headers": {"bad name": "1"}, "body": "x"},
        {"statusCode": 200, "cookies": [1, 2], "body": "x"},
        {"statusCode": 200, "headers": ["x-a"], "body": "x"},
        {"statusCode": 1000, "body": "x"},
        {"statusCode": "abc", "body": "x"},
        {"statusCode": 200, "body": "!!not base64", "isBase64Encoded": True},
    ],
    ids=["header-newline", "header-name", "cookie-not-text", "headers-not-object", "status-1000", "status-text", "bad-base64"],
)
def test_a_malformed_function_response_is_api_gateways_500_never_a_dropped_connection(result):
    async def scenario():
        app = make_app([HttpRoute("GET", "/items", "f")], lambda _: Answers(result), None, "api1")
        runner, base = await serve(app)
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{base}/items") as r:
                    return r.status, r.content_type, await r.json(), r.headers.get("x-injected")
        finally:
            await runner.cleanup()

    status, content_type, body, injected = run_async(scenario())
    assert (status, content_type) == (500, "application/json")
    assert body == {"message": INTERNAL_ERROR_MESSAGE}
    assert injected is None
