"""The HTTP API server builds payload-2.0 events as API Gateway does (real HTTP client)."""

import asyncio
import base64

import aiohttp
from aiohttp import web

from localcloud.http_api import HttpRoute, make_app
from tests.localcloud.test_runtime import function


def test_a_request_becomes_a_payload_2_event():
    async def scenario():
        fn = function("app.echo")
        app = make_app([HttpRoute("POST", "/items/{id}", "echo")], lambda _: fn, {"AllowOrigins": ["*"], "AllowMethods": ["POST"]}, "api1")
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
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
