"""What `solroute up` prints once the local cloud is up: where each part answers, how to try it,
and what this run does differently from template.yaml's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from localcloud.services.websocket.constants import IDLE_TIMEOUT_S, MAX_CONNECTION_DURATION_S

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

DEFAULT_CLIENT_API = "http://127.0.0.1:3000"  # where `solroute submit` looks unless given --api


def banner(cloud: LocalCloud) -> str:
    stage = cloud.ws_stage
    return "\n".join(
        [
            "",
            f"  Solroute local cloud is up ({cloud.config.template.name}, no Docker, no AWS account)",
            *([f"  Web console    {cloud.http_url}/"] if _has_console(cloud) else []),
            f"  HTTP API       {cloud.http_url}   (GET /api/quote, POST /api/orders/execute, GET and DELETE /api/orders/{{id}}, GET /health)",
            f"  WebSocket API  {cloud.ws_url}/{stage}   (send {{\"action\": \"subscribe\", \"orderId\": \"<id>\"}})",
            f"  AWS endpoint   {cloud.endpoint}   (AWS_ENDPOINT_URL for boto3 / aws cli)",
            f"  Lambda API     {cloud.lambda_endpoint}   (AWS_ENDPOINT_URL_LAMBDA; invoke any function by name, logical id or ARN)",
            f"  Solana RPC     {cloud.solana_url}   (JSON-RPC, a local validator over LiteSVM; solroute chain tx SIGNATURE{_rpc_option(cloud)})",
            *([f"  SQS endpoint   {cloud.sqs_endpoint}   (AWS_ENDPOINT_URL_SQS; the local cloud's own SQS)"] if cloud.sqs_endpoint else []),
            f"  Stats          {cloud.http_url}/_localcloud/stats",
            *([f"  API key        {cloud.demo_key}   (demo key: send it as x-api-key, or ?apiKey= on the WebSocket)"] if cloud.demo_key else []),
            *([f"  Wallet         {cloud.demo_wallet}   (the demo key's, funded on the local chain: solroute wallet)"] if getattr(cloud, "demo_wallet", None) else []),
            *_settings_lines(cloud),
            "",
            f"  Try:  .venv/bin/solroute submit SOL USDC 1.5{_api_option(cloud)}     Stop: Ctrl-C",
            "",
        ]
    )


def _settings_lines(cloud: LocalCloud) -> list[str]:
    """What this run does differently from template.yaml's defaults, and where its data lives."""
    given = cloud.config.parameters
    overrides = ", ".join(f"{name}={value}" for name, value in given.items() if name != "FaultInjection")
    faults = cloud.template.parameters.get("FaultInjection", "")
    lines = [
        f"  Overrides      {overrides or 'none'}   (--param; everything else as {cloud.config.template.name} declares it)",
        f"  Faults         {faults or 'none'}   (chaos mode, FaultInjection: README, Chaos mode)",
    ]
    config = cloud.config
    if (config.ws_idle_timeout_s, config.ws_max_duration_s) != (IDLE_TIMEOUT_S, MAX_CONNECTION_DURATION_S):
        lines.append(f"  WebSocket      idle close after {config.ws_idle_timeout_s:g} s, every connection closed after "
                     f"{config.ws_max_duration_s:g} s (API Gateway: 600 s and 7200 s)")  # fmt: skip
    if cloud.moto:
        lines.append("  Data           in memory: a restart starts empty (no orders, no keys, a new demo key)")
    else:
        lines.append(f"  Data           kept at {cloud.endpoint}: a restart finds it there (and issues a new demo key)")
    return lines


def _has_console(cloud: LocalCloud) -> bool:
    return any(route.path == "/" and route.method in ("GET", "ANY") for route in cloud.template.http_routes())


def _api_option(cloud: LocalCloud) -> str:
    # The command line's default API is the default port's; any other has to be named.
    return "" if cloud.http_url == DEFAULT_CLIENT_API else f" --api {cloud.http_url}"


def _rpc_option(cloud: "LocalCloud") -> str:
    """`--url` for `solroute chain tx` when the validator is not on its default address."""
    return "" if cloud.solana_url == "http://127.0.0.1:8899" else f" --url {cloud.solana_url}"
