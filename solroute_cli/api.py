"""Calls to the engine's HTTP API, with its errors turned into CliError."""

from __future__ import annotations

import json
import os
from typing import Any

import aiohttp

from solroute_cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, CliError

DEFAULT_API = os.environ.get("SOLROUTE_API_URL", "http://127.0.0.1:3000")


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
        raise CliError(f"HTTP {status} {error.get('code', '')}: {message}".strip(), EXIT_FAILED)
