"""The local cloud's command line: `python -m localcloud.cli up [options]`.

`solroute up` (and `make run`) run the same command; the rest of `solroute` is a client of the
engine's API (solroute_cli). Only `up`'s arguments and `run_up` are needed to build that command
line, so the emulator itself is imported when `up` runs, not for every `solroute get`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.lifeline import die_with_parent
from localcloud.services.awslambda.runtime import DEFAULT_MAX_INSTANCES, fork_by_default
from localcloud.services.websocket.constants import IDLE_TIMEOUT_S, MAX_CONNECTION_DURATION_S

if TYPE_CHECKING:
    from localcloud.cloud import CloudConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(ValueError):
    """An argument argparse could not check (exit 2, as argparse's own errors)."""


def _parameters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param wants KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def config_of(args: argparse.Namespace, aws_endpoint: str | None) -> CloudConfig:
    """The local cloud's configuration from `up`'s arguments."""
    from localcloud.cloud import DEFAULT_TEMPLATE, CloudConfig

    return CloudConfig(
        template=Path(args.template) if args.template else DEFAULT_TEMPLATE,
        host=args.host,
        http_port=args.http_port,
        ws_port=args.ws_port,
        aws_port=args.aws_port,
        sqs_port=args.sqs_port,
        lambda_port=args.lambda_port,
        solana_port=args.solana_port,
        aws_endpoint=aws_endpoint,
        parameters=_parameters(args.param),
        prewarm=not args.no_prewarm,
        lose_disconnects=args.lose_disconnects,
        ws_idle_timeout_s=args.ws_idle_timeout,
        ws_max_duration_s=args.ws_max_duration,
        meter=args.meter,
        max_instances=args.max_instances,
        allowed_hosts=tuple(args.allow_host),
        fork=fork_by_default() and not args.no_fork,
    )


async def _up(args: argparse.Namespace) -> int:
    from localcloud import localstack, sam_local
    from localcloud.cloud import LocalCloud
    from localcloud.logs import LogPrinter

    aws_endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    found = None
    if args.localstack:
        try:
            found = localstack.find()
        except localstack.LocalStackUnavailable as error:
            print(f"solroute up: {error}", file=sys.stderr)
            return EXIT_FAILED
        aws_endpoint = found.url  # then used as AWS_ENDPOINT_URL is: no moto, no local SQS
    config = config_of(args, aws_endpoint)
    config.sam_env_vars = Path(args.sam_env_vars or config.template.resolve().parent / sam_local.ENV_VARS_FILE)
    cloud = LocalCloud(config, LogPrinter(show_metrics=args.show_metrics, quiet=args.quiet))
    if found:
        cloud.log(f"--localstack: found {found.description}")
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


def run_up(args: argparse.Namespace) -> int:
    """Run the local cloud until Ctrl-C (or SIGTERM); the exit code of `solroute up`."""
    die_with_parent()  # started by a test or a benchmark: stop with it, however it ends
    try:
        return asyncio.run(_up(args))
    except UsageError as error:
        print(f"solroute up: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def add_up_command(subcommands: Any) -> argparse.ArgumentParser:
    """Add `up` and its arguments to ``subcommands`` (what ``add_subparsers()`` returned)."""
    up = subcommands.add_parser("up", help="start the local cloud from template.yaml (no Docker, no AWS account)",
                                description="Start the whole application locally: moto as the AWS endpoint (unless AWS_ENDPOINT_URL "
                                "is set or --localstack is given), tables and queues from template.yaml, every function, the HTTP and "
                                "WebSocket APIs and the SQS / DynamoDB Streams event sources, and a local Solana validator (JSON-RPC over LiteSVM). Ctrl-C ends scheduled runs (the trigger's ticking) "
                                "at once, lets the order work in flight finish, says what it waits for, and stops. Everything is "
                                "in memory: a restart starts empty, with a new demo key.")  # fmt: skip
    up.add_argument("--template", help="SAM template to run (default: the project's template.yaml)")
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    up.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                    help="a host name the servers answer besides localhost, loopback addresses and --host, repeatable "
                    "(a request naming any other Host is refused with 403: DNS rebinding protection)")  # fmt: skip
    up.add_argument("--http-port", type=int, default=3000, help="HTTP API port (default 3000; 0 picks a free one)")
    up.add_argument("--ws-port", type=int, default=3001, help="WebSocket API port (default 3001; 0 picks a free one)")
    up.add_argument("--aws-port", type=int, default=4566,
                    help="port for the moto AWS endpoint (default 4566; unused with AWS_ENDPOINT_URL or --localstack)")  # fmt: skip
    up.add_argument("--sqs-port", type=int, default=4567,
                    help="port of the local cloud's SQS (default 4567; unused with AWS_ENDPOINT_URL or --localstack)")  # fmt: skip
    up.add_argument("--lambda-port", type=int, default=4568,
                    help="port of the Lambda Invoke API, to run any function on demand with boto3 / aws cli (default 4568; 0 picks a free one)")  # fmt: skip
    up.add_argument("--solana-port", type=int, default=8899,
                    help="port of the local Solana validator's JSON-RPC (default 8899, as solana-test-validator; 0 picks a free one)")  # fmt: skip
    up.add_argument("--localstack", action="store_true",
                    help="keep tables, streams and queues in a running LocalStack, found as localstack-client finds it "
                    "(LOCALSTACK_HOST, default localhost:4566; USE_SSL; AWS_ENDPOINT_URL wins). LocalStack needs Docker "
                    "and LOCALSTACK_AUTH_TOKEN; functions, APIs and event sources still run here")  # fmt: skip
    up.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="template parameter override, repeatable (e.g. --param SwapDelayMinMs=200 --param RateLimitPerMinute=0)")  # fmt: skip
    up.add_argument("--max-instances", type=int, default=DEFAULT_MAX_INSTANCES,
                    help=f"warm instances per function (default {DEFAULT_MAX_INSTANCES}; a function's reserved concurrency "
                    "raises it); Lambda would scale further, but here every instance shares this machine's cores")  # fmt: skip
    up.add_argument("--sam-env-vars", metavar="PATH",
                    help="where to write every function's environment for `sam local start-api --env-vars PATH` "
                    "(default: .aws-sam/localcloud-env.json beside the template; the log prints the command)")  # fmt: skip
    up.add_argument("--no-prewarm", action="store_true", help="do not start one warm instance per function at start-up")
    up.add_argument("--no-fork", action="store_true",
                    help="start each function instance as a new process (default: fork it from the function's template "
                    "process, which imported the handler once, as SnapStart restores a snapshot; LOCALCLOUD_FORK=0 does the same)")  # fmt: skip
    up.add_argument("--show-metrics", action="store_true", help="show the functions' EMF metric lines in the log")
    up.add_argument("--quiet", action="store_true", help="show no function logs")
    up.add_argument("--meter", action="store_true",
                    help="count AWS calls, DynamoDB request units, simulated waits and log bytes per function "
                    "(shown at /_localcloud/stats; used by the cost benchmark)")  # fmt: skip
    up.add_argument("--ws-idle-timeout", type=float, default=IDLE_TIMEOUT_S, metavar="SECONDS",
                    help=f"close a WebSocket connection with no message either way for this long, as API Gateway does "
                    f"(default {IDLE_TIMEOUT_S:.0f}: its 10 minutes; shorter to see how a client copes)")  # fmt: skip
    up.add_argument("--ws-max-duration", type=float, default=MAX_CONNECTION_DURATION_S, metavar="SECONDS",
                    help=f"close every WebSocket connection after this long, as API Gateway does (default "
                    f"{MAX_CONNECTION_DURATION_S:.0f}: its 2 hours; shorter to see a client reconnect)")  # fmt: skip
    up.add_argument("--lose-disconnects", action="store_true",
                    help="fault injection: never deliver $disconnect (API Gateway only promises best effort), so stale "
                    "connections are cleaned up by 410 Gone")  # fmt: skip
    return up


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="solroute", description="Run the local cloud (the `up` of `solroute`).")
    add_up_command(top.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return top


def main(argv: list[str] | None = None) -> int:
    return run_up(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
