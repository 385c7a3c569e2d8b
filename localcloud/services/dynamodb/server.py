"""moto's DynamoDB and DynamoDB Streams (and its KMS), served lean for the local cloud.

`python -m moto.server` puts Flask and werkzeug's development server (a thread per request,
HTTP parsed in Python, every service's URL patterns matched in turn) in front of moto's
handlers; that front took over half of the CPU of each call. The local cloud needs two
services from moto (SQS is its own), so this serves exactly those: an aiohttp server (its HTTP
parser is C) that hands each request straight to moto's handler, by the X-Amz-Target prefix.

One event loop serves every request, one after another: moto's tables have no locks, and
this way each request is atomic, as DynamoDB makes each single-item write (a conditional
write can never interleave with another write of the same item).

Two things only the local cloud asks for:
- ``GetRecords`` with the header ``x-localcloud-wait-ms`` (long_poll.py) waits up to that long for a record
  when the shard has none (a long poll), so the stream event source wakes the moment a record
  is written and costs nothing while the table is idle. Lambda's own poller reads each shard
  four times a second on AWS; AWS clients never send the header and get DynamoDB's answer.
- ``GET /_localcloud/usage``: what DynamoDB would bill (with ``--meter``; see bill.py).

Two cuts of moto's own per-call work, each held to moto's answers by its tests: item operations'
answers and stream reads are written as JSON at once (answers.py), and UpdateExpressions are parsed once per text
(parse_cache.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")  # read when moto's settings load

from aiohttp import web  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.core.exceptions import ServiceException  # noqa: E402
from moto.core.request import Request  # noqa: E402
from moto.dynamodb.models import dynamodb_backends  # noqa: E402
from moto.dynamodb.models.table import StreamShard  # noqa: E402
from moto.kms.responses import KmsResponse  # noqa: E402

from localcloud.host_guard import AllowedHosts  # noqa: E402
from localcloud.lifeline import die_with_parent  # noqa: E402
from localcloud.services.dynamodb import parse_cache  # noqa: E402
from localcloud.services.dynamodb.answers import ItemAnswersHandler, StreamAnswersHandler  # noqa: E402
from localcloud.services.dynamodb.bill import DynamoDbBill  # noqa: E402
from localcloud.services.dynamodb.long_poll import MAX_WAIT_MS, STREAM_WAIT_HEADER as WAIT_HEADER  # noqa: E402
from localcloud.wire_errors import JsonErrorsRunner  # noqa: E402

REGION = "us-east-1"


class StreamWriteSignal:
    """Wakes long-polling GetRecords calls when any stream gets a record."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        original = StreamShard.add

        def add(shard: StreamShard, old: Any, new: Any) -> None:
            original(shard, old, new)
            self._event.set()

        StreamShard.add = add  # type: ignore[method-assign]

    async def wait(self, timeout_s: float) -> None:
        self._event.clear()
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except asyncio.TimeoutError:
            pass


def _serve(handler: Any, request: web.Request, body: bytes) -> tuple[int, dict, bytes]:
    url = f"http://{request.host}{request.path_qs}"
    headers = dict(request.headers)
    try:
        status, response_headers, content = handler.dispatch(Request.from_primitives("POST", url, headers, body), url, headers)
    except ServiceException as error:  # moto raises some errors instead of answering them
        status, response_headers, content = error.code, {"content-type": "application/x-amz-json-1.0"}, error.to_json()
    if isinstance(content, str):
        content = content.encode()
    return int(status), {k: str(v) for k, v in (response_headers or {}).items() if k.lower() not in ("content-length", "server", "date")}, content


def application(meter: bool = False) -> web.Application:
    parse_cache.install()
    bill = DynamoDbBill(lambda name: dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(name)) if meter else None
    signal: list[StreamWriteSignal] = []

    async def on_startup(app: web.Application) -> None:
        signal.append(StreamWriteSignal())

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        target = request.headers.get("x-amz-target", "")
        operation = target.rpartition(".")[2]
        if target.startswith("DynamoDBStreams"):
            status, headers, content = _serve(StreamAnswersHandler, request, body)
            wait_ms = min(MAX_WAIT_MS, int(request.headers.get(WAIT_HEADER, "0") or 0))
            empty = json.loads(content) if operation == "GetRecords" and wait_ms > 0 and status == 200 else {}
            if "NextShardIterator" in empty and not empty.get("Records"):
                await signal[0].wait(wait_ms / 1000)
                # moto retires an iterator once read: read on from the one it handed back.
                body = json.dumps({**json.loads(body), "ShardIterator": empty["NextShardIterator"]}).encode()
                status, headers, content = _serve(StreamAnswersHandler, request, body)
            return web.Response(status=status, headers=headers, body=content)
        if target.startswith("TrentService."):  # KMS: it seals the Solana chain's root (docs/chain.md)
            status, headers, content = _serve(KmsResponse, request, body)
            return web.Response(status=status, headers=headers, body=content)
        if bill is None:
            status, headers, content = _serve(ItemAnswersHandler, request, body)
            return web.Response(status=status, headers=headers, body=content)
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = {}
        olds = bill.before(operation, parsed)
        status, headers, content = _serve(ItemAnswersHandler, request, body)
        try:
            answer = json.loads(content or b"{}")
        except ValueError:
            answer = {}
        bill.after(operation, parsed, olds, status, answer)
        return web.Response(status=status, headers=headers, body=content)

    async def usage(_: web.Request) -> web.Response:
        return web.json_response(bill.report() if bill else {})

    async def root(_: web.Request) -> web.Response:
        return web.json_response({"status": "running", "services": ["dynamodb", "dynamodbstreams", "kms"]})

    app = web.Application(client_max_size=16 * 1024 * 1024)
    allowed = AllowedHosts.from_env()  # the local cloud's (host_guard): a rebound page reads no table
    if allowed is not None:
        allowed.guard(app)
    app.on_startup.append(on_startup)
    app.router.add_get("/_localcloud/usage", usage)
    app.router.add_get("/", root)
    app.router.add_post("/{tail:.*}", handle)
    return app


def main() -> None:
    die_with_parent()
    host, port = sys.argv[1], int(sys.argv[2])

    async def serve() -> None:
        # JsonErrorsRunner: a request aiohttp cannot parse (a line over 8 KB) is answered in JSON and
        # echoes nothing back, as on every other port of the local cloud.
        runner = JsonErrorsRunner(application(meter="--meter" in sys.argv[3:]), access_log=None, handle_signals=True)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        try:
            await asyncio.Event().wait()  # until a signal ends the process (GracefulExit)
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except (web.GracefulExit, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
