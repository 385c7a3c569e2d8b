"""Bring the whole template up on one machine: AWS endpoint, tables and queues, functions,
HTTP and WebSocket APIs, the Lambda Invoke API, SQS, DynamoDB Streams and schedule event sources,
and a local Solana validator (JSON-RPC) for the chain."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from aiohttp import web
from botocore.config import Config

from localcloud import chain as local_chain
from localcloud import sam_local
from localcloud.banner import banner
from localcloud.demo_key import create_demo_key
from localcloud.host_guard import AllowedHosts
from localcloud.log_store import LogStore
from localcloud.logs import LogPrinter
from localcloud.market import LocalMarket
from localcloud.resources import Deployed, deploy
from localcloud.services.awslambda.api import LambdaApi
from localcloud.services.awslambda.async_invoke import AsyncInvoker
from localcloud.services.awslambda.constants import DEFAULT_MAX_RETRIES
from localcloud.services.awslambda.event_source_mappings import (
    EndpointQueue,
    EventSource,
    InProcessQueue,
    SqsEventSource,
    StreamEventSource,
)
from localcloud.services.awslambda.runtime import DEFAULT_MAX_INSTANCES, LocalFunction, fork_by_default
from localcloud.services.cloudwatch import CloudWatch, alarms_of
from localcloud.services.dynamodb.endpoint import MotoServer, wait_until_up
from localcloud.services.eventbridge.schedules import ScheduleEventSource, schedule_of
from localcloud.services.http import HttpRoute, make_app
from localcloud.services.solana import transport as solana_rpc
from localcloud.services.solana.from_template import point_template_at, validator_for
from localcloud.services.solana.validator import LocalValidator
from localcloud.services.sqs import LocalSqs
from localcloud.services.websocket import WebSocketApi
from localcloud.services.websocket.constants import IDLE_TIMEOUT_S, MAX_CONNECTION_DURATION_S
from localcloud.stack_outputs import stack_outputs
from localcloud.template import REGION, Template
from localcloud.wire_errors import JsonErrorsRunner, json_not_found

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
DRAIN_REPORT_EVERY_S = 5.0  # how often Ctrl-C says what it still waits for


@dataclass
class CloudConfig:
    template: Path = DEFAULT_TEMPLATE
    host: str = "127.0.0.1"
    http_port: int = 3000
    ws_port: int = 3001
    aws_port: int = 4566
    sqs_port: int = 4567
    lambda_port: int = 4568  # the Lambda Invoke API
    solana_port: int = 8899  # the local Solana validator's JSON-RPC, solana-test-validator's port
    aws_endpoint: str | None = None  # use this endpoint instead of starting moto (and our SQS)
    parameters: dict[str, str] = field(default_factory=dict)
    prewarm: bool = True
    lose_disconnects: bool = False
    ws_idle_timeout_s: float = IDLE_TIMEOUT_S  # API Gateway's, unless shortened to see how a client copes
    ws_max_duration_s: float = MAX_CONNECTION_DURATION_S
    max_instances: int = DEFAULT_MAX_INSTANCES  # warm instances per function on this machine
    meter: bool = False  # count AWS calls, request units, sleeps and log bytes (cost benchmark)
    fork: bool = field(default_factory=fork_by_default)  # new instances forked from a template process
    sam_env_vars: Path | None = None  # where to write `sam local`'s --env-vars file (localcloud.sam_local)
    allowed_hosts: tuple[str, ...] = ()  # names its servers answer besides localhost and loopback (host_guard)


class LocalCloud:
    def __init__(self, config: CloudConfig, printer: LogPrinter | None = None) -> None:
        self.config = config
        self.printer = printer or LogPrinter()
        self.log_store = LogStore()  # every line printed, for GET /_localcloud/logs
        self.template = Template(config.template, config.parameters)
        self.moto: MotoServer | None = None
        self.endpoint = ""
        self.functions: dict[str, LocalFunction] = {}
        self.sources: list[EventSource] = []
        self.deployed: Deployed | None = None
        self.websocket: WebSocketApi | None = None
        self._runners: list[web.AppRunner] = []
        self._pool = ThreadPoolExecutor(max_workers=48, thread_name_prefix="aws")
        self.http_url = ""
        self.ws_url = ""
        self.ws_stage = "dev"  # the WebSocket API's stage, once it listens
        self.http_requests = 0
        self.sqs: LocalSqs | None = None
        self.sqs_endpoint = ""
        self.lambda_endpoint = ""
        self.solana: LocalValidator | None = None
        self.solana_url = ""
        self.invokers: dict[str, AsyncInvoker] = {}  # asynchronous invocation, per function
        self.ready = False  # every function and event source has started (GET /_localcloud/health)
        self.outputs: dict[str, str] = {}  # the template's Outputs as deployed here
        self.demo_key: str | None = None  # issued at start when the template keeps API keys
        self.demo_wallet: str | None = None  # its wallet on the local chain (the RPC chain only)
        self.allowed_hosts = AllowedHosts.serving(config.host, config.allowed_hosts)  # on every server it runs
        self.cloudwatch = CloudWatch(self.log)  # metrics from every source, and the template's alarms

    def log(self, text: str, level: str = "INFO") -> None:
        self.printer.emit("localcloud", None, level, text)
        self.log_store.add("localcloud", None, text)

    def _client(self, service: str) -> Any:
        config = Config(region_name=REGION, retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=64)
        return boto3.client(
            service,
            endpoint_url=self.sqs_endpoint if service == "sqs" and self.sqs_endpoint else self.endpoint,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
            config=config,
        )

    def _resource(self, service: str) -> Any:
        return boto3.resource(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        )

    # ------------------------------------------------------------ start
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.endpoint = self.config.aws_endpoint or ""
        if self.endpoint:
            await loop.run_in_executor(self._pool, wait_until_up, self.endpoint)
            self.log(f"using the AWS endpoint at {self.endpoint}")
        else:
            self.moto = MotoServer(self.config.host, self.config.aws_port, meter=self.config.meter, allowed_hosts=self.allowed_hosts)
            self.endpoint = await loop.run_in_executor(self._pool, self.moto.start)
            self.sqs = LocalSqs()
            sqs_port = await self._serve(self.sqs.app(), self.config.sqs_port)
            self.sqs_endpoint = self.sqs.base_url = f"http://{self.config.host}:{sqs_port}"
            self.log(f"started moto at {self.endpoint} (DynamoDB, DynamoDB Streams) and SQS at {self.sqs_endpoint}")

        await self._start_solana()
        http_apis = self.template.of_type("AWS::Serverless::HttpApi")
        ws_apis = [api.logical_id for api in self.template.websocket_apis()]
        http_port = await self._listen_http()
        ws_port = await self._listen_websocket()
        self.http_url = f"http://{self.config.host}:{http_port}"
        self.ws_url = f"ws://{self.config.host}:{ws_port}"
        lambda_api = LambdaApi(self.functions, self._invoker)
        self.lambda_endpoint = f"http://{self.config.host}:{await self._serve(lambda_api.app(), self.config.lambda_port)}"
        endpoints = {**{k: self.http_url for k in http_apis}, **{k: self.ws_url for k in ws_apis}}

        stage = self.template.parameters.get("StageName", "dev")
        self.deployed = await loop.run_in_executor(
            self._pool, lambda: deploy(self.template, self._client("dynamodb"), self._client("sqs"), f"solroute-{stage}", endpoints, self._client("kms"))
        )
        for logical_id, spec in self.template.functions().items():
            environment = self.deployed.environment(self.template, spec.environment)
            # boto3 sends Lambda calls (and SQS calls, unless the endpoint is LocalStack's) to the
            # local cloud itself, everything else to the AWS endpoint.
            environment = {"AWS_ENDPOINT_URL_LAMBDA": self.lambda_endpoint, **self._webhook_receivers(), **environment}
            if self.sqs_endpoint:
                environment = {"AWS_ENDPOINT_URL_SQS": self.sqs_endpoint, **environment}
            self.functions[logical_id] = LocalFunction(
                spec=spec,
                environment=environment,
                aws_endpoint=self.endpoint,
                function_name=self.deployed.function_names[logical_id],
                log_sink=self.cloudwatch.tee(self.log_store.tee(self.printer)),
                metrics=self.cloudwatch.lambda_sink(self.deployed.function_names[logical_id]),
                meter=self.config.meter,
                max_instances=self.config.max_instances,
                fork=self.config.fork,
            )
        self.log(f"created {len(self.deployed.tables)} tables and {len(self.deployed.queues)} queues from {self.config.template.name}")
        self.outputs = stack_outputs(self.template, self.deployed)
        if self.config.sam_env_vars:
            path, host = self.config.sam_env_vars, self.config.host
            self.log(sam_local.publish(path, self.template, self.deployed, self.endpoint, self.sqs_endpoint, host))
        self.demo_key = await loop.run_in_executor(self._pool, lambda: create_demo_key(self._resource("dynamodb"), self.outputs))
        self.demo_wallet = await loop.run_in_executor(
            self._pool, lambda: local_chain.prepare(self.template, self.deployed, self._resource("dynamodb"), self._client("kms"), self.demo_key, self.log)
        )
        if self.config.prewarm:
            await asyncio.gather(*(f.prewarm() for f in self.functions.values()))
        await self._start_event_sources()
        self.cloudwatch.queues = self.sqs.backend if self.sqs else None
        self.cloudwatch.watch(alarms_of(self.template, self.deployed.attribute))
        await self.cloudwatch.start()
        self.ready = True

    async def _start_solana(self) -> None:
        """The chain, before the functions: their environment may name its URL (SolanaRpcUrl)."""
        self.solana = validator_for(self.template, self._solana_log)
        self.solana_url = f"http://{self.config.host}:{await self._serve(solana_rpc.app(self.solana), self.config.solana_port)}"
        low, high = self.solana.confirm_ms
        self.log(f"started the Solana validator at {self.solana_url} (LiteSVM; slots of 400 ms, confirmed after {low:g}-{high:g} ms)")
        if point_template_at(self.template, self.config.parameters, self.solana_url):
            self.log(f"SolanaRpcUrl={self.solana_url} (the local validator; --param SolanaRpcUrl=... names another)")

    def _solana_log(self, text: str, level: str) -> None:
        """A line per transaction that lands or is dropped: chain activity, quiet with the functions' logs (--quiet)."""
        if not self.printer.quiet:
            self.printer.emit("solana", None, level, text)

    def _webhook_receivers(self) -> dict[str, str]:
        """Webhooks may reach a receiver at http://127.0.0.1 on this machine (docs/webhooks.md),
        but never one of the local cloud's own ports: a webhook must not invoke a function."""
        urls = (self.http_url, self.ws_url, self.lambda_endpoint, self.sqs_endpoint, self.endpoint, self.solana_url)
        ports = sorted({port for port in (urlsplit(url).port for url in urls if url) if port})
        return {"WEBHOOK_ALLOW_LOOPBACK": "true", "WEBHOOK_CLOSED_LOOPBACK_PORTS": ",".join(map(str, ports))}

    def _invoker(self, logical_id: str) -> AsyncInvoker:
        if logical_id not in self.invokers:
            self.invokers[logical_id] = AsyncInvoker(self.functions[logical_id], self._async_retries(logical_id))
        return self.invokers[logical_id]

    def _async_retries(self, logical_id: str) -> int:
        """EventInvokeConfig.MaximumRetryAttempts of a function (or the Globals), else Lambda's default."""
        function = self.template.of_type("AWS::Serverless::Function")[logical_id]
        defaults = self.template.raw.get("Globals", {}).get("Function", {})
        config = function.get("EventInvokeConfig") or defaults.get("EventInvokeConfig") or {}
        retries = self.template.resolve(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES), lambda *_: None)
        return int(retries)

    def _http_routes(self) -> list[HttpRoute]:
        return [HttpRoute(r.method, r.path, r.function, r.authorizer) for r in self.template.http_routes()]

    async def _serve(self, app: web.Application, port: int) -> int:
        app.middlewares.append(json_not_found)
        runner = JsonErrorsRunner(self.allowed_hosts.guard(app), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, port, reuse_address=True)
        await site.start()
        self._runners.append(runner)
        return runner.addresses[0][1]

    async def _listen_http(self) -> int:
        apis = self.template.of_type("AWS::Serverless::HttpApi")
        cors = next((p.get("CorsConfiguration") for p in apis.values() if p.get("CorsConfiguration")), None)

        def extra(app: web.Application) -> None:
            app.router.add_get("/_localcloud/stats", lambda _: web.json_response(self.stats()))

            async def health(_: web.Request) -> web.Response:
                status, body = self.health()
                return web.json_response(body, status=status)

            app.router.add_get("/_localcloud/health", health)
            app.router.add_get("/_localcloud/logs", self.log_store.handle)
            self.cloudwatch.add_routes(app)
            LocalMarket(self).add_routes(app)  # POST /_localcloud/market/launch, .../add-liquidity
            api_id = next(iter(apis), "httpapi").lower()

            @web.middleware
            async def counting(request: web.Request, handler: Any) -> web.StreamResponse:
                if request.path.startswith("/_localcloud/"):
                    return await handler(request)
                self.http_requests += 1
                started, status = time.perf_counter(), 500
                try:
                    response = await handler(request)
                    status = response.status
                    return response
                except web.HTTPException as answer:
                    status = answer.status
                    raise
                except asyncio.CancelledError:  # the client hung up: no answer, so no 4xx or 5xx either
                    status = 0
                    raise
                finally:
                    self.cloudwatch.http_request(api_id, status, (time.perf_counter() - started) * 1000)

            app.middlewares.append(counting)

        app = make_app(self._http_routes(), self.functions.__getitem__, cors, next(iter(apis), "httpapi").lower(), extra)
        return await self._serve(app, self.config.http_port)

    async def _listen_websocket(self) -> int:
        apis = self.template.websocket_apis()
        if not apis:
            return 0
        api = apis[0]
        self.websocket = WebSocketApi(
            api.routes,
            api.route_selection_expression,
            api.stage,
            self.functions.__getitem__,
            api.logical_id.lower(),
            self.config.lose_disconnects,
            idle_timeout_s=self.config.ws_idle_timeout_s,
            max_duration_s=self.config.ws_max_duration_s,
            authorizer=api.authorizer,
        )
        self.ws_stage = api.stage
        return await self._serve(self.websocket.app(), self.config.ws_port)

    async def _start_event_sources(self) -> None:
        assert self.deployed is not None
        sqs, streams = self._client("sqs"), self._client("dynamodbstreams")
        queues_by_arn = {q["arn"]: q for q in self.deployed.queues.values()}
        for logical_id, function in self.functions.items():
            for event in function.spec.events:
                props = self.template.resolve(event.properties, self.deployed.attribute)
                if event.type == "SQS":
                    queue = queues_by_arn[props["Queue"]]
                    source: EventSource = SqsEventSource(function, self._queue(queue, sqs), queue["arn"], props)
                elif event.type == "DynamoDB":
                    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
                    destination = self._queue(queues_by_arn[on_failure], sqs) if on_failure in queues_by_arn else None
                    source = StreamEventSource(function, streams, props["Stream"], props, self._pool, on_failure=destination)
                    if on_failure and destination is None:
                        source.unsupported = f"OnFailure {on_failure} is no SQS queue of the template: discarded batches are only logged"
                elif event.type in ("Schedule", "ScheduleV2"):
                    schedule = schedule_of(logical_id, event.name, event.type, props, self.deployed.prefix)
                    source = ScheduleEventSource(schedule, self._invoker(logical_id))
                else:
                    continue
                await source.start()
                self.sources.append(source)
                self.log(f"event source: {source.describe()}", "WARNING" if source.unsupported else "INFO")

    def _queue(self, queue: dict, sqs: Any) -> InProcessQueue | EndpointQueue:
        return InProcessQueue(self.sqs, queue["url"]) if self.sqs else EndpointQueue(sqs, queue["url"], self._pool)

    # ------------------------------------------------------------ status and stop
    def stats(self) -> dict:
        return {
            "functions": {k: f.stats.as_dict() for k, f in self.functions.items()},
            "websocket": dict(self.websocket.stats) if self.websocket else {},
            "streamRecordsDiscarded": sum(s.stats().records_discarded for s in self.sources),
            "httpRequests": self.http_requests,
            "eventSourceUsage": dict(sum((s.stats().calls for s in self.sources), Counter())),
            # Request units as DynamoDB would bill them, measured at the endpoint (see services/dynamodb/bill.py).
            "dynamodbUsage": self._dynamodb_usage(),
            "alarms": self.cloudwatch.states(),
        }

    def health(self) -> tuple[int, dict]:
        """503 while starting (the HTTP API listens before the functions and event sources have
        started), then 200 with where each part answers: what a script waits for, not the banner."""
        if not self.ready:
            return 503, {"status": "starting"}
        endpoints = {
            "http": self.http_url,
            "websocket": f"{self.ws_url}/{self.ws_stage}" if self.websocket else None,
            "sqs": self.sqs_endpoint or self.endpoint,  # the local cloud's own SQS, else the AWS endpoint's
            "aws": self.endpoint,
            "lambda": self.lambda_endpoint,
            "solana": self.solana_url,
        }
        # The stack's outputs (as describe-stacks gives them on AWS) and the demo key let a client
        # such as `solroute keys` or `solroute submit` find what it needs without the banner.
        body = {"status": "ready", "endpoints": endpoints, "outputs": self.outputs, "demoKey": self.demo_key}
        return 200, {**body, "resources": self._resources()}

    def _resources(self) -> dict[str, dict]:
        """The deployed queues, tables and functions by logical id, as DescribeStackResources names
        them (a queue's physical id is its URL): how `solroute ops` finds them, here as on AWS."""
        assert self.deployed is not None
        d = self.deployed
        queues = {k: {"type": "AWS::SQS::Queue", "physicalId": q["url"]} for k, q in d.queues.items()}
        tables = {k: {"type": "AWS::DynamoDB::Table", "physicalId": t["name"]} for k, t in d.tables.items()}
        return {**queues, **tables, **{k: {"type": "AWS::Lambda::Function", "physicalId": n} for k, n in d.function_names.items()}}

    def _dynamodb_usage(self) -> dict:
        if not (self.moto and self.config.meter):
            return {}
        try:
            return self.moto.usage()
        except OSError:  # stopped
            return {}

    def banner(self) -> str:
        return banner(self)

    def _ticking(self) -> list[str]:
        """The functions a schedule runs (housekeeping loops, not order work)."""
        return [k for k, f in self.functions.items() if any(e.type in ("Schedule", "ScheduleV2") for e in f.spec.events)]

    async def stop(self) -> None:
        """Ctrl-C: take no new work, end the ticking runs at once, let the order work in flight finish."""
        self.log("stopping: no new invocations from now on")
        await self.cloudwatch.stop()
        stopping = {asyncio.ensure_future(s.stop()): s.describe() for s in self.sources}
        stopping.update({asyncio.ensure_future(i.stop()): f"async invocations of {k}" for k, i in self.invokers.items()})
        draining = asyncio.gather(*stopping, return_exceptions=True)
        # A scheduled function's run (the trigger ticks for a minute while a limit order is open)
        # is ended now, as Lambda ends one at its timeout: the next run, after a restart, picks up
        # where it left off. Anything else in flight is order work: it finishes first.
        ticking = self._ticking()
        while not draining.done():
            for logical_id in ticking:  # again each round: a run may have been starting the moment before
                ended = self.functions[logical_id].end_in_flight("ended by the local cloud's shutdown (a scheduled run; the next one picks up)")
                if ended:
                    self.log(f"stopping: ended {ended} run(s) of {logical_id} at once (scheduled work; the next run picks up where it left off)")
            waiting = {k: f.stats.in_flight for k, f in self.functions.items() if f.stats.in_flight and k not in ticking}
            if waiting:
                self.log("stopping: waiting for the order work in flight to finish: " + ", ".join(f"{k} ({n})" for k, n in waiting.items()))
            elif any(not task.done() for task in stopping):  # no invocation left: the event sources' last reads and batches
                self.log("stopping: waiting for " + "; ".join(name for task, name in stopping.items() if not task.done()))
            await asyncio.wait({draining}, timeout=DRAIN_REPORT_EVERY_S)
        if self.websocket:
            await self.websocket.close_all()
        for runner in self._runners:
            await runner.cleanup()
        await asyncio.gather(*(f.stop() for f in self.functions.values()), return_exceptions=True)
        if self.moto:
            self.moto.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.log("stopped: " + json.dumps({k: {"invocations": v["invocations"], "errors": v["errors"], "maxInFlight": v["maxInFlight"]} for k, v in self.stats()["functions"].items()}))
