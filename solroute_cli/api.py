"""Calls to the engine's HTTP API, with its errors turned into CliError; the API key they send."""

from __future__ import annotations

import json
import os
from typing import Any

import aiohttp

from solroute_cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, CliError

DEFAULT_API = os.environ.get("SOLROUTE_API_URL", "http://127.0.0.1:3000")
API_KEY_ENV = "SOLROUTE_API_KEY"
HEALTH_PATH = "/_localcloud/health"  # the local cloud's own page (not the engine's API)
NO_KEY = (
    "no API key: pass --api-key or set SOLROUTE_API_KEY. The local cloud (`make run`) creates a demo key and "
    "prints it; `solroute keys create --name NAME` issues one (add --stack-name STACK for a deployed stack)"
)


def unreachable(api: str) -> CliError:
    return CliError(f"the local cloud is not running at {api}: start it with `make run` (or `solroute up`), or pass --api", EXIT_UNREACHABLE)


async def request(session: aiohttp.ClientSession, method: str, url: str, api: str, **kwargs: Any) -> tuple[int, Any]:
    try:
        async with session.request(method, url, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text
    except aiohttp.ClientConnectionError as error:
        raise unreachable(api) from error


def raise_for_error(status: int, body: Any) -> None:
    if status >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        message = error.get("message") or str(body)
        details = error.get("details")
        if isinstance(details, list) and details:
            message += "\n" + "\n".join(f"  - {d.get('field')}: {d.get('message')}" for d in details)
        if status in (401, 403) and not error:
            message = f"the API key was refused (a new local cloud issues a new demo key). {NO_KEY}"
        raise CliError(f"HTTP {status} {error.get('code', '')}: {message}".strip(), EXIT_FAILED)


async def local_cloud_health(session: aiohttp.ClientSession, api: str) -> dict | None:
    """The local cloud's health page at ``api`` (endpoints, stack outputs, demo key); None when
    the API answers but is not a local cloud (a deployed stack has no such page)."""
    status, body = await request(session, "GET", f"{api}{HEALTH_PATH}", api)
    if status == 503:
        raise CliError(f"the local cloud at {api} is still starting: try again in a few seconds", EXIT_UNREACHABLE)
    if status != 200 or not isinstance(body, dict) or body.get("status") != "ready":
        return None
    return body


async def api_key(session: aiohttp.ClientSession, api: str, given: str | None) -> str:
    """The key to send: --api-key (or SOLROUTE_API_KEY), else the local cloud's demo key."""
    if given:
        return given
    health = await local_cloud_health(session, api)
    if health and health.get("demoKey"):
        return health["demoKey"]
    raise CliError(NO_KEY, EXIT_FAILED)
