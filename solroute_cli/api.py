"""Calls to the engine's HTTP API, with its errors turned into CliError; the API key they send;
the commands a hint suggests (as the user ran solroute, with the --api in use)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any, Self

import aiohttp

from solroute_cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, CliError

DEFAULT_API = "http://127.0.0.1:3000"
API_URL_ENV, API_KEY_ENV, WS_URL_ENV = "SOLROUTE_API_URL", "SOLROUTE_API_KEY", "SOLROUTE_WS_URL"
HEALTH_PATH = "/_localcloud/health"  # the local cloud's own page (not the engine's API)


def program() -> str:
    """The command that runs solroute, as the user can paste it back: `solroute` when that name on
    the PATH is this very script, else the path it was run by (`.venv/bin/solroute`, which is not
    on the PATH `make install` leaves), or `python -m solroute_cli` when run that way."""
    ran = Path(sys.argv[0] if sys.argv else "")
    if ran.name == "__main__.py" and ran.parent.name == "solroute_cli":
        python = (getattr(sys, "orig_argv", None) or [sys.executable])[0]
        return f"{shlex.quote(python)} -m solroute_cli"
    if ran.name != "solroute":  # called from Python (a test, another program): the script's name
        return "solroute"
    on_path = shutil.which("solroute")
    if on_path and ran.exists() and os.path.samefile(on_path, ran):
        return "solroute"
    return shlex.quote(str(sys.argv[0]))


def hint(command: str, api: str) -> str:
    """`solroute COMMAND` as the user can paste it (see program): with --api when a bare command
    would reach another API than ``api`` (the bare one reaches SOLROUTE_API_URL, else the default)."""
    bare = (os.environ.get(API_URL_ENV) or DEFAULT_API).rstrip("/")
    return f"{program()} {command}" if api.rstrip("/") == bare else f"{program()} {command} --api {api}"


def no_key(api: str) -> str:
    return (
        "no API key: pass --api-key or set SOLROUTE_API_KEY. The local cloud (`make run`) creates a demo key and "
        f"prints it; `{hint('keys create --name NAME', api)}` issues one (or --stack-name STACK for a deployed stack)"
    )


def refused_key(api: str) -> str:
    return (
        f"pass --api-key or set {API_KEY_ENV}; a restarted local cloud has a new demo key (its banner and {HEALTH_PATH} show it), "
        f"and `{hint('keys create --name NAME', api)}` issues a key"
    )


# API Gateway refuses a key itself, with a bare {"message"}: 401 without the x-api-key header, 403
# for a key the authorizer does not know (or that was revoked).
KEY_REFUSED = {
    401: "no API key reached the API: it must be in the x-api-key header",
    403: "the API key is unknown or has been revoked",
}


def unreachable(api: str) -> CliError:
    return CliError(f"the local cloud is not running at {api}: start it with `make run` (or `{program()} up`), or pass --api", EXIT_UNREACHABLE)


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


# API Gateway answers some requests itself, as {"message": "..."}: these name them as the engine would.
GATEWAY_CODES = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 413: "REQUEST_TOO_LARGE", 429: "TOO_MANY_REQUESTS",
                 500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}  # fmt: skip


def raise_for_error(status: int, body: Any, api: str) -> None:
    """A CliError for an HTTP error, whichever answered it: the engine ({"error": {"code",
    "message", "details"}}), API Gateway itself ({"message": "..."}), or something else (text)."""
    if status < 400:
        return
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code, message, details = error.get("code") or GATEWAY_CODES.get(status), str(error.get("message") or body), error.get("details")
    elif isinstance(body, dict) and isinstance(body.get("message"), str):
        code, message, details = GATEWAY_CODES.get(status), body["message"], None
    else:
        code, message, details = GATEWAY_CODES.get(status), (str(body).strip() or "no message")[:500], None
    shown = message
    if isinstance(details, list) and details:
        shown += "\n" + "\n".join(f"  - {d.get('field')}: {d.get('message')}" for d in details if isinstance(d, dict))
    if status in (401, 403):
        why = KEY_REFUSED[status] if not isinstance(error, dict) else "the API key was refused"  # API Gateway's own: no function ran
        shown += f" ({why}): {refused_key(api)}"
    code = code or f"HTTP_{status}"
    raise CliError(f"HTTP {status} {code}: {shown}", EXIT_FAILED, error_code=code, status=status, details=details, api_message=message)


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
    raise CliError(no_key(api), EXIT_FAILED)


class Api:
    """One command's use of the API: its base URL, one session, and the key every call sends."""

    def __init__(self, url: str, key: str | None) -> None:
        self.url = url.rstrip("/")
        self._key = key
        self.headers: dict[str, str] = {}

    async def __aenter__(self) -> Self:
        self.session = aiohttp.ClientSession()
        try:
            self.headers = {"x-api-key": await api_key(self.session, self.url, self._key)}
        except BaseException:
            await self.session.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def call(self, method: str, path: str, *, expected: tuple[int, ...] = (), **kwargs: Any) -> tuple[int, Any]:
        """(status, body) of ``method path``; an HTTP error raises CliError unless its status is ``expected``."""
        kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
        status, body = await request(self.session, method, f"{self.url}{path}", self.url, **kwargs)
        if status not in expected:
            raise_for_error(status, body, self.url)
        return status, body

    async def websocket_url(self, given: str | None) -> str:
        """--ws (or SOLROUTE_WS_URL), else the local cloud's: GET /api/orders/{id} does not name it."""
        if given:
            return given
        health = await local_cloud_health(self.session, self.url)
        url = ((health or {}).get("endpoints") or {}).get("websocket")
        if not url:
            raise CliError(f"no WebSocket URL: {self.url} is not a local cloud (no {HEALTH_PATH}); pass --ws or set {WS_URL_ENV}", EXIT_FAILED)
        return url
