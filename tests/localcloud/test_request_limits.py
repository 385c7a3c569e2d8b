"""A request over API Gateway's limit on the request line and header values (10,240 bytes) is the
HTTP API's JSON 413, and a request no server of the local cloud can parse is a JSON error too:
neither echoes the request back (aiohttp's own answer was a plain-text 400 quoting the line)."""

import asyncio
import json

from aiohttp import web

from localcloud.services.http import HttpRoute, make_app
from localcloud.services.http.constants import MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES
from localcloud.wire_errors import JsonErrorsRunner
from tests.support.local_function import function

MARK = "<script>x</script>"


async def raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body), answer


def get(path: str, *headers: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{''.join(h + chr(13) + chr(10) for h in headers)}\r\n".encode()


def test_over_the_limit_is_a_json_413_and_under_it_reaches_the_function():
    async def scenario():
        fn = function("app.echo")
        runner = JsonErrorsRunner(make_app([HttpRoute("GET", "/items", "echo")], lambda _: fn, None, "api1"))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        try:
            under = await raw(port, get("/items?q=" + "a" * (MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES - 200)))
            long_url = await raw(port, get(f"/items?q={MARK}" + "a" * MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES))
            long_header = await raw(port, get("/items", f"X-Big: {MARK}" + "b" * MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES))
            beyond_aiohttp = await raw(port, get(f"/items?q={MARK}" + "a" * 200_000))
            not_http = await raw(port, f"NOT HTTP {MARK}\r\n\r\n".encode())
            return under, long_url, long_header, beyond_aiohttp, not_http
        finally:
            await runner.cleanup()
            await fn.stop()

    under, long_url, long_header, beyond_aiohttp, not_http = asyncio.run(scenario())
    assert under[0] == 200 and under[1]["rawPath"] == "/items"
    for status, body, answer in (long_url, long_header, beyond_aiohttp):
        assert (status, body) == (413, {"message": "Request Entity Too Large"})
        assert MARK.encode() not in answer and b"aaaa" not in answer and b"bbbb" not in answer
    assert not_http[:2] == (400, {"message": "Bad Request"}) and MARK.encode() not in not_http[2]
