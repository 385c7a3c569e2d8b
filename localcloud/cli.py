"""solroute: run the order engine locally and talk to it.

  solroute up                      start the local cloud (what `make run` does)
  solroute submit SOL USDC 1.5     submit a market order and watch it live until it is final
  solroute get ORDER_ID            show one order
  solroute list --wallet ADDRESS   a wallet's orders, newest first
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from localcloud.cloud import DEFAULT_TEMPLATE, CloudConfig, LocalCloud
from localcloud.logs import LogPrinter
from localcloud.runtime import DEFAULT_MAX_INSTANCES

DEFAULT_API = os.environ.get("SOLROUTE_API_URL", "http://127.0.0.1:3000")
STEPS = ["pending", "routing", "building", "submitted", "confirmed"]
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------ up
def _parameters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--param wants KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


async def _up(args: argparse.Namespace) -> int:
    config = CloudConfig(
        template=Path(args.template),
        host=args.host,
        http_port=args.http_port,
        ws_port=args.ws_port,
        aws_port=args.aws_port,
        sqs_port=args.sqs_port,
        lambda_port=args.lambda_port,
        aws_endpoint=os.environ.get("AWS_ENDPOINT_URL") or None,
        parameters=_parameters(args.param),
        prewarm=not args.no_prewarm,
        lose_disconnects=args.lose_disconnects,
        meter=args.meter,
        max_instances=args.max_instances,
    )
    cloud = LocalCloud(config, LogPrinter(show_metrics=args.show_metrics, quiet=args.quiet))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await cloud.start()
    except Exception as error:
        print(f"solroute up: could not start: {error}", file=sys.stderr)
        await cloud.stop()
        return EXIT_FAILED
    print(cloud.banner(), flush=True)
    await stop.wait()
    await cloud.stop()
    return EXIT_OK


# ------------------------------------------------------------------ client side
def _unreachable(api: str) -> CliError:
    return CliError(f"the local cloud is not running at {api}: start it with `make run` (or `solroute up`), or pass --api", EXIT_UNREACHABLE)


async def _request(session: aiohttp.ClientSession, method: str, url: str, api: str, **kwargs: Any) -> tuple[int, Any]:
    try:
        async with session.request(method, url, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text
    except aiohttp.ClientConnectionError as error:
        raise _unreachable(api) from error


def _raise_for_error(status: int, body: Any) -> None:
    if status >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        message = error.get("message") or str(body)
        details = error.get("details")
        if isinstance(details, list) and details:
            message += "\n" + "\n".join(f"  - {d.get('field')}: {d.get('message')}" for d in details)
        raise CliError(f"HTTP {status} {error.get('code', '')}: {message}".strip(), EXIT_FAILED)


def _describe(update: dict) -> str:
    data = update.get("data") or {}
    status = update.get("status")
    if status == "building" and data.get("routing"):
        return data["routing"]["reason"]
    if status == "submitted":
        return f"tx {str(data.get('txSignature', ''))[:20]}… on {data.get('dex')}, min out {data.get('minAmountOut')}"
    if status == "confirmed":
        return f"received {data.get('amountOut')} at {data.get('executedPrice')} on {data.get('dex')} (slippage {data.get('slippage')})"
    if status == "failed":
        return str(data.get("reason") or update.get("message"))
    return str(update.get("message", ""))


def _progress(status: str) -> str:
    if status == "failed":
        return "✗ failed"
    reached = STEPS.index(status) if status in STEPS else 0
    return " ▸ ".join(s.upper() if i == reached else s for i, s in enumerate(STEPS[: reached + 1]))


async def _watch(session: aiohttp.ClientSession, ws_url: str, order_id: str, started: float, timeout_s: float, as_json: bool) -> dict:
    last_seq, final = 0, None
    try:
        async with session.ws_connect(ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as socket:
            await socket.send_str(json.dumps({"action": "subscribe", "orderId": order_id}))
            deadline = time.monotonic() + timeout_s
            while final is None:
                message = await socket.receive(timeout=max(0.1, deadline - time.monotonic()))
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise CliError("the WebSocket closed before the order was final", EXIT_FAILED)
                payload = json.loads(message.data)
                updates = _updates_from(payload)
                for update in updates:
                    if update["seq"] <= last_seq:
                        continue  # already shown (a snapshot and a broadcast can overlap)
                    last_seq = update["seq"]
                    if as_json:
                        print(json.dumps(update), flush=True)
                    else:
                        print(f"  +{time.monotonic() - started:6.2f}s  {_progress(update['status']):<60} {_describe(update)}", flush=True)
                    if update["status"] in ("confirmed", "failed"):
                        final = update
    except asyncio.TimeoutError as error:
        raise CliError(f"order {order_id} was not final after {timeout_s:.0f} s; `solroute get {order_id}` shows where it is", EXIT_FAILED) from error
    except aiohttp.WSServerHandshakeError as error:
        raise CliError(f"the WebSocket refused the connection: HTTP {error.status}", EXIT_FAILED) from error
    except aiohttp.ClientConnectionError as error:
        raise CliError(f"could not open the WebSocket at {ws_url}: {error}", EXIT_UNREACHABLE) from error
    return final


def _updates_from(payload: dict) -> list[dict]:
    if payload.get("type") == "error":
        raise CliError(f"WebSocket error: {payload['error']['message']}", EXIT_FAILED)
    if payload.get("type") == "snapshot":
        order = payload["order"]
        # A snapshot carries the history; show each step it has with what is known now.
        return [
            {"status": h["status"], "seq": h["seq"], "message": h["message"], "data": _snapshot_data(order, h["status"])}
            for h in payload["history"]
        ]
    return [payload] if payload.get("type") == "status_update" else []


def _snapshot_data(order: dict, status: str) -> dict:
    if status == "building":
        return {"routing": order.get("routing")}
    if status == "submitted":
        tx = order.get("transaction") or {}
        return {"txSignature": tx.get("signature"), "dex": tx.get("dex"), "minAmountOut": tx.get("minAmountOut")}
    if status == "confirmed":
        return order.get("execution") or {}
    if status == "failed":
        return {"reason": order.get("failureReason")}
    return {}


async def _submit(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"tokenIn": args.token_in, "tokenOut": args.token_out, "amountIn": args.amount, "slippage": args.slippage}
    if args.wallet:
        body["wallet"] = args.wallet
    headers = {"idempotency-key": args.idempotency_key} if args.idempotency_key else {}
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        status, accepted = await _request(session, "POST", f"{args.api}/api/orders/execute", args.api, json=body, headers=headers)
        _raise_for_error(status, accepted)
        order_id = accepted["orderId"]
        if args.json:
            print(json.dumps(accepted), flush=True)
        else:
            print(f"order {order_id}: {args.amount} {args.token_in} -> {args.token_out}, slippage {args.slippage}", flush=True)
        if args.no_watch:
            return EXIT_OK
        final = await _watch(session, accepted["websocketUrl"], order_id, started, args.timeout, args.json)
    if not args.json:
        print(f"{final['status']} in {time.monotonic() - started:.2f}s", flush=True)
    return EXIT_OK if final["status"] == "confirmed" else EXIT_FAILED


async def _get(args: argparse.Namespace) -> int:
    async with aiohttp.ClientSession() as session:
        status, order = await _request(session, "GET", f"{args.api}/api/orders/{args.order_id}", args.api)
    _raise_for_error(status, order)
    print(json.dumps(order, indent=2))
    return EXIT_OK


async def _list(args: argparse.Namespace) -> int:
    params = {"wallet": args.wallet, "limit": str(args.limit)}
    if args.cursor:
        params["cursor"] = args.cursor
    async with aiohttp.ClientSession() as session:
        status, page = await _request(session, "GET", f"{args.api}/api/orders", args.api, params=params)
    _raise_for_error(status, page)
    if args.json:
        print(json.dumps(page, indent=2))
        return EXIT_OK
    for order in page["orders"]:
        out = (order.get("execution") or {}).get("amountOut", "")
        print(f"{order['createdAt']}  {order['orderId']}  {order['status']:<9} {order['amountIn']} {order['tokenIn']} -> {out} {order['tokenOut']}")
    if page.get("cursor"):
        print(f"more: solroute list --wallet {args.wallet} --cursor {page['cursor']}")
    return EXIT_OK


# ------------------------------------------------------------------ parser
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="solroute", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start the local cloud from template.yaml (no Docker, no AWS account)",
                             description="Start the whole application locally: moto as the AWS endpoint (unless AWS_ENDPOINT_URL "
                             "is set), tables and queues from template.yaml, every function, the HTTP and WebSocket APIs and the "
                             "SQS / DynamoDB Streams event sources. Ctrl-C drains in-flight invocations and stops.")  # fmt: skip
    up.add_argument("--template", default=str(DEFAULT_TEMPLATE), help="SAM template to run (default: the project's template.yaml)")
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    up.add_argument("--http-port", type=int, default=3000, help="HTTP API port (default 3000; 0 picks a free one)")
    up.add_argument("--ws-port", type=int, default=3001, help="WebSocket API port (default 3001; 0 picks a free one)")
    up.add_argument("--aws-port", type=int, default=4566, help="port for the moto AWS endpoint (default 4566; unused with AWS_ENDPOINT_URL)")
    up.add_argument("--sqs-port", type=int, default=4567, help="port of the local cloud's SQS (default 4567; unused with AWS_ENDPOINT_URL)")
    up.add_argument("--lambda-port", type=int, default=4568,
                    help="port of the Lambda Invoke API, to run any function on demand with boto3 / aws cli (default 4568; 0 picks a free one)")  # fmt: skip
    up.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="template parameter override, repeatable (e.g. --param SwapDelayMinMs=200 --param RateLimitPerMinute=0)")  # fmt: skip
    up.add_argument("--max-instances", type=int, default=DEFAULT_MAX_INSTANCES,
                    help=f"warm instances per function (default {DEFAULT_MAX_INSTANCES}; a function's reserved concurrency "
                    "raises it); Lambda would scale further, but here every instance shares this machine's cores")  # fmt: skip
    up.add_argument("--no-prewarm", action="store_true", help="do not start one warm instance per function at start-up")
    up.add_argument("--show-metrics", action="store_true", help="show the functions' EMF metric lines in the log")
    up.add_argument("--quiet", action="store_true", help="show no function logs")
    up.add_argument("--meter", action="store_true",
                    help="count AWS calls, DynamoDB request units, simulated waits and log bytes per function "
                    "(shown at /_localcloud/stats; used by the cost benchmark)")  # fmt: skip
    up.add_argument("--lose-disconnects", action="store_true",
                    help="fault injection: never deliver $disconnect (API Gateway only promises best effort), so stale "
                    "connections are cleaned up by 410 Gone")  # fmt: skip

    def client(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--api", default=DEFAULT_API, help=f"HTTP API base URL (default {DEFAULT_API}; env SOLROUTE_API_URL)")
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        return sub

    submit = client("submit", "submit a market order and watch every status live over the WebSocket until it is final")
    submit.add_argument("token_in", metavar="TOKEN_IN", help="symbol (SOL, USDC, USDT, BONK, JUP) or base58 mint")
    submit.add_argument("token_out", metavar="TOKEN_OUT", help="symbol or base58 mint")
    submit.add_argument("amount", metavar="AMOUNT", help="amount of TOKEN_IN, a decimal such as 1.5")
    submit.add_argument("--slippage", default="0.01", help="largest accepted price move as a fraction (default 0.01 = 1%%)")
    submit.add_argument("--wallet", help="base58 wallet address, to list the order later")
    submit.add_argument("--idempotency-key", help="resubmitting with the same key returns the same order")
    submit.add_argument("--no-watch", action="store_true", help="print the order id and return without watching")
    submit.add_argument("--timeout", type=float, default=120, help="seconds to wait for a final status (default 120)")

    get = client("get", "show one order with its history, quotes, route and result")
    get.add_argument("order_id", metavar="ORDER_ID")

    listing = client("list", "list a wallet's orders, newest first")
    listing.add_argument("--wallet", required=True, help="base58 wallet address")
    listing.add_argument("--limit", type=int, default=20, help="orders per page, 1-100 (default 20)")
    listing.add_argument("--cursor", help="cursor printed by the previous page")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = {"up": _up, "submit": _submit, "get": _get, "list": _list}[args.command]
    try:
        return asyncio.run(handler(args))
    except CliError as error:
        print(f"solroute {args.command}: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
