"""Lambda authorizer: is the request's API key valid, and whose is it?

One function for both APIs. The context (owner, keyId, ratePerMinute, and the key's webhookUrl
if it has one) is what the integration sees as the caller, never anything the client sent.

- An HTTP API (payload 2.0, simple responses) gets ``{"isAuthorized": true, "context"}`` with the
  caller, or ``{"isAuthorized": false}`` for an unknown or revoked key: API Gateway then answers
  403 ``{"message":"Forbidden"}`` and the API function does not run. A request without the
  x-api-key header (the authorizer's identity source) never gets here: API Gateway answers 401
  ``{"message":"Unauthorized"}`` itself. An HTTP API cannot reshape either body.
- The WebSocket API's ``$connect`` (a REQUEST authorizer: the event has ``methodArn``) gets an
  IAM policy, denied without a valid key (the handshake fails with 403). The key is never logged;
its public id is. A store error is raised, not answered: API Gateway then answers 500 and
caches nothing, instead of caching a refusal of a valid key."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import observability, services, tracing
from solroute.logic.keys import key_from
from solroute.models.keys import Principal

services.check_environment(services.key_authority)
logger, _ = observability.logger_and_metrics()
NOBODY = "anonymous"  # the principalId of a refused WebSocket connection


def _context(principal: Principal | None) -> dict:
    return principal.model_dump(by_alias=True, exclude_none=True) if principal else {}  # a context holds no nulls


def http_answer(principal: Principal | None) -> dict:
    return {"isAuthorized": True, "context": _context(principal)} if principal else {"isAuthorized": False}


def websocket_policy(principal: Principal | None, method_arn: str) -> dict:
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow" if principal else "Deny", "Resource": method_arn}
    return {
        "principalId": principal.owner if principal else NOBODY,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": _context(principal),
    }


@logger.inject_lambda_context
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    method_arn = event.get("methodArn")  # only the WebSocket (REST-style) payload has one
    # The query string is a place for the key only on the WebSocket: browsers cannot set its headers.
    presented = key_from(event.get("headers"), event.get("queryStringParameters") if method_arn else None)
    principal = services.key_authority().authorize(presented)
    api = "websocket" if method_arn else "http"
    key_id = principal.key_id if principal else None
    logger.info("authorized" if principal else "refused", extra={"key_id": key_id, "key_presented": presented is not None, "api": api})
    return websocket_policy(principal, method_arn) if method_arn else http_answer(principal)
