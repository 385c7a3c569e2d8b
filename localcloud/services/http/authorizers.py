"""Lambda authorizers in front of an HTTP API's routes (REQUEST type, payload 2.0): the identity
sources checked, the authorizer's event, its answer read (simple responses), and the results cached
per identity for the authorizer's TTL. constants.py cites the documentation for each behaviour."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.services.http.constants import MAX_AUTHORIZER_TTL_S, STAGE
from localcloud.services.http.errors import MalformedResponse, forbidden, internal_error, unauthorized
from localcloud.template import ACCOUNT_ID, REGION, AuthorizerSpec

log = logging.getLogger("localcloud")


@dataclass(frozen=True)
class _Decision:
    authorized: bool
    context: dict
    expires_at: float


class HttpAuthorizers:
    """Runs a route's authorizer; one per API, so its cache is the API's."""

    def __init__(
        self, functions: Callable[[str], LocalFunction], api_id: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.functions = functions
        self.api_id = api_id
        self.clock = clock
        self._cache: dict[tuple[AuthorizerSpec, tuple[str, ...]], _Decision] = {}

    async def authorize(self, authorizer: AuthorizerSpec, event: dict) -> dict | web.Response:
        """The integration event's requestContext.authorizer, or API Gateway's refusal."""
        identity = [identity_value(source, event) for source in authorizer.identity_sources]
        if any(not value for value in identity):
            return unauthorized()
        key = (authorizer, tuple(identity))  # two APIs' authorizers may share a name
        decision = self._cache.get(key)
        if decision is None or decision.expires_at <= self.clock():
            invocation = await self.functions(authorizer.function).invoke(self._event(authorizer, event, identity))
            if not invocation.ok:
                log.warning("HTTP API: the authorizer %s failed: %s", authorizer.function, invocation.error)
                return internal_error()
            try:
                if not (authorizer.simple_responses and authorizer.payload_version == "2.0"):
                    raise MalformedResponse("only payload 2.0 with simple responses is emulated (EnableSimpleResponses: true)")
                authorized, context = _simple_response(invocation.result)
            except MalformedResponse as malformed:
                log.warning("HTTP API: the authorizer %s's answer cannot be read: %s", authorizer.function, malformed)
                return internal_error()
            ttl = min(authorizer.ttl_s, MAX_AUTHORIZER_TTL_S) if authorizer.identity_sources else 0
            decision = _Decision(authorized, context, self.clock() + ttl)
            if ttl > 0:
                self._cache[key] = decision
        if not decision.authorized:
            return forbidden()
        return {"lambda": decision.context}

    def _event(self, authorizer: AuthorizerSpec, event: dict, identity: list[str]) -> dict:
        http = event["requestContext"]["http"]
        route_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{self.api_id}/{STAGE}/{http['method']}{http['path']}"
        passed_on = {k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")}
        return {
            **passed_on,
            "version": authorizer.payload_version,
            "type": "REQUEST",
            "routeArn": route_arn,
            "identitySource": identity,
        }


def identity_value(source: str, event: dict) -> str | None:
    """An identity source's value in a payload 2.0 event: ``$request.header.NAME`` (any case),
    ``$request.querystring.NAME``, ``$context.a.b`` or ``$stageVariables.NAME``."""
    kind, _, name = source.partition(".")
    if kind == "$request":
        where, _, name = name.partition(".")
        if where == "header":
            if name.lower() == "cookie":
                return "; ".join(event.get("cookies") or []) or None
            return (event.get("headers") or {}).get(name.lower())
        if where == "querystring":
            return (event.get("queryStringParameters") or {}).get(name)
        return None
    if kind == "$context":
        value: Any = event.get("requestContext") or {}
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    if kind == "$stageVariables":
        return (event.get("stageVariables") or {}).get(name)
    return None


def _simple_response(result: Any) -> tuple[bool, dict]:
    if not isinstance(result, dict) or not isinstance(result.get("isAuthorized"), bool):
        raise MalformedResponse("a simple response is an object with a boolean isAuthorized")
    context = result.get("context") or {}
    if not isinstance(context, dict):
        raise MalformedResponse("context must be an object")
    return result["isAuthorized"], context
