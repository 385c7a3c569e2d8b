"""Only requests addressed to a host the local cloud serves are answered (DNS rebinding).

A web page on evil.example can have its name re-resolved to 127.0.0.1; the browser then sends
the page's requests to the local cloud, same-origin, and lets the page read the answers (the
health page names the demo key). Such a request still says `Host: evil.example:3000`: every
server of the local cloud (HTTP API, WebSocket API, SQS, Lambda API, the DynamoDB endpoint)
answers a Host that is not one of its own with 403 and nothing else. Its own: `localhost`,
any loopback address (127.0.0.1, [::1]), the address it was told to listen on, any IP address
when it listens on all of them (a page cannot rebind an address, only a name), and the names
given with `solroute up --allow-host`. The port is not compared: the browser connects to the
port the page names, so only the name tells a rebound request apart. A request with no Host
(HTTP/1.0) is answered: a browser always sends one."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

WILDCARDS = frozenset({"0.0.0.0", "::", ""})
ENV = "LOCALCLOUD_ALLOWED_HOSTS"  # how a server in a child process (the DynamoDB endpoint) learns them
REFUSAL = (
    "Forbidden: this local cloud answers only requests addressed to localhost or a loopback address "
    "(the host it listens on, or one given with solroute up --allow-host): DNS rebinding protection"
)


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port, brackets or a final dot, in lower case."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:3000
        return host[1:].partition("]")[0]
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        host = name
    return host.rstrip(".")


@dataclass(frozen=True)
class AllowedHosts:
    names: frozenset[str]
    any_address: bool  # listening on every address: any IP literal is one of its own

    @classmethod
    def serving(cls, bind_host: str, extra: Iterable[str] = ()) -> AllowedHosts:
        bind = host_name(bind_host)
        names = {"localhost", *(host_name(n) for n in extra)}
        if bind not in WILDCARDS:
            names.add(bind)
        return cls(frozenset(names), bind in WILDCARDS)

    def allows(self, host_header: str | None) -> bool:
        if not host_header:
            return True
        name = host_name(host_header)
        if name in self.names:
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False
        return address.is_loopback or self.any_address

    def middleware(self) -> Any:
        @web.middleware
        async def host_guard(request: web.Request, handler: Any) -> web.StreamResponse:
            if not self.allows(request.headers.get("Host")):
                return web.json_response({"message": REFUSAL}, status=403)
            return await handler(request)

        return host_guard

    def guard(self, app: web.Application) -> web.Application:
        """``app`` with the check before anything else it does (before it is started)."""
        app.middlewares.insert(0, self.middleware())
        return app

    def to_env(self) -> str:
        return json.dumps({"names": sorted(self.names), "anyAddress": self.any_address})

    @classmethod
    def from_env(cls) -> AllowedHosts | None:
        raw = os.environ.get(ENV)
        if not raw:
            return None
        spec = json.loads(raw)
        return cls(frozenset(spec["names"]), bool(spec["anyAddress"]))
