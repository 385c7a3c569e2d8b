"""The $connect route's Lambda REQUEST authorizer: identity sources checked, the authorizer's event,
and its IAM policy read. constants.py cites the documentation for each behaviour."""

from __future__ import annotations

import json
import logging
from fnmatch import fnmatchcase
from typing import Any, Callable

from localcloud.services.awslambda.runtime import LocalFunction
from localcloud.services.websocket import constants as aws
from localcloud.services.websocket.connection import Handshake, Refusal
from localcloud.template import ACCOUNT_ID, REGION, AuthorizerSpec

log = logging.getLogger("localcloud")


class MalformedPolicy(ValueError):
    """The authorizer answered, but not with an IAM policy API Gateway can read: 500."""


def _refusal(status: int, message: str) -> Refusal:
    return Refusal(status, json.dumps({"message": message}))


def identity_value(source: str, handshake: Handshake, stage_variables: dict | None = None) -> str | None:
    """``route.request.header.NAME`` (any case), ``route.request.querystring.NAME`` or
    ``stageVariables.NAME`` in a handshake."""
    if source.startswith("route.request.header."):
        name = source.removeprefix("route.request.header.").lower()
        return next((v for k, v in handshake.headers if k.lower() == name), None)
    if source.startswith("route.request.querystring."):
        name = source.removeprefix("route.request.querystring.")
        return next((v for k, v in handshake.query if k == name), None)
    if source.startswith("stageVariables."):
        return (stage_variables or {}).get(source.removeprefix("stageVariables."))
    return None


async def authorize(
    authorizer: AuthorizerSpec,
    functions: Callable[[str], LocalFunction],
    connect_event: dict,
    handshake: Handshake,
    api_id: str,
    stage: str,
) -> dict | Refusal:
    """The connection's requestContext.authorizer ({principalId, ...context}), or the refusal."""
    if any(not identity_value(source, handshake) for source in authorizer.identity_sources):
        return _refusal(aws.UNAUTHORIZED_STATUS, aws.UNAUTHORIZED_MESSAGE)
    method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}/{stage}/{aws.CONNECT_ROUTE}"
    passed_on = {k: v for k, v in connect_event.items() if k != "isBase64Encoded"}
    event = {"type": "REQUEST", "methodArn": method_arn, **passed_on, "stageVariables": {}}
    invocation = await functions(authorizer.function).invoke(event)
    try:
        if not invocation.ok:
            raise MalformedPolicy(f"the function failed: {invocation.error}")
        allowed, passed_on = read_policy(invocation.result, method_arn)
    except MalformedPolicy as malformed:
        log.warning("WebSocket API: the $connect authorizer %s: %s", authorizer.function, malformed)
        return _refusal(aws.AUTHORIZER_FAILED_STATUS, aws.AUTHORIZER_FAILED_MESSAGE)
    if not allowed:
        return _refusal(aws.FORBIDDEN_STATUS, aws.FORBIDDEN_MESSAGE)
    return passed_on


def read_policy(result: Any, resource: str) -> tuple[bool, dict]:
    """Whether the policy allows execute-api:Invoke on `resource` (an explicit Deny wins), and
    what the connection's events carry: principalId and the context's entries."""
    if not isinstance(result, dict) or "principalId" not in result or not isinstance(result.get("policyDocument"), dict):
        raise MalformedPolicy("the answer needs a principalId and a policyDocument")
    statements = result["policyDocument"].get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise MalformedPolicy("policyDocument.Statement must be a statement or a list of them")
    matching = [s for s in statements if _covers(s.get("Action"), "execute-api:Invoke") and _covers(s.get("Resource"), resource)]
    effects = {str(s.get("Effect")) for s in matching}
    context = result.get("context") or {}
    if not isinstance(context, dict) or any(isinstance(v, (dict, list)) or v is None for v in context.values()):
        raise MalformedPolicy("context must map keys to strings, numbers or booleans")
    return ("Allow" in effects and "Deny" not in effects), {"principalId": result["principalId"], **context}


def _covers(patterns: Any, value: str) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else patterns if isinstance(patterns, list) else []
    return any(fnmatchcase(value, str(p)) for p in patterns)
