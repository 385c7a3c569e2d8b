"""WebSocket API routes: $connect (?orderId=), $disconnect, subscribe, $default.

The $connect authorizer has checked the API key; its context (on every event of the connection
as requestContext.authorizer) names the owner and the key, and a connection follows only the
owner's orders. Each key may keep WebSocketConnectionsPerKey connections open: $connect counts
them, $disconnect frees the slot (a close API Gateway never reports is freed once the connection
has ended for sure, 2 hours, when the key is at its cap). Every subscribe checks that the key is
not revoked.

Subscriptions live on the order items and expire with the connection; one whose connection is
gone is removed at the next status (410), so $disconnect does not look for them."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from solroute import observability, services, tracing
from solroute.models.errors import DomainError, InvalidRequest, OrderNotFound, TooManyConnections, TooManySubscribers, TransientError, Unauthenticated
from solroute.models.keys import Connector
from solroute.models.websocket_messages import ErrorMessage

services.check_environment(services.subscriptions)
logger, metrics = observability.logger_and_metrics()

# A refused handshake's status, by the most specific class of the error (a throttled store: retry).
CONNECT_REFUSAL: dict[type[DomainError], int] = {
    InvalidRequest: 400, Unauthenticated: 401, OrderNotFound: 404, TooManySubscribers: 429, TooManyConnections: 429, TransientError: 503,
}  # fmt: skip
NO_KEY = "no valid API key: connect again with ?apiKey=<key> or the x-api-key header"


def connector_of(event: dict) -> Connector:
    """Who opened the connection (owner and key id), from its $connect authorizer's context."""
    try:
        return Connector.model_validate((event.get("requestContext") or {}).get("authorizer") or {})
    except ValidationError:  # no authorizer ran, or (a connection older than keys on it) it names no key
        raise Unauthenticated(NO_KEY) from None


def _connect(connection_id: str, event: dict) -> dict:
    order_id = (event.get("queryStringParameters") or {}).get("orderId")
    try:
        services.subscriptions().connect(connection_id, order_id, connector_of(event))
    except tuple(CONNECT_REFUSAL) as error:
        status = next(CONNECT_REFUSAL[cls] for cls in type(error).__mro__ if cls in CONNECT_REFUSAL)
        logger.info("connection refused", extra={"connection_id": connection_id, "reason": error.message, "status": status})
        return {"statusCode": status, "body": error.message}
    return {"statusCode": 200}


def _subscribe(connection_id: str, event: dict) -> dict:
    try:
        body = json.loads(event.get("body") or "{}")
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: no order named
        body = {}
    wanted = body.get("orderIds") or ([body["orderId"]] if body.get("orderId") else [])
    order_ids = [str(o) for o in wanted] if isinstance(wanted, list) else [str(wanted)]
    try:
        caller = connector_of(event)
    except Unauthenticated as error:
        services.notifier().send(connection_id, ErrorMessage.of(error.code, error.message).frame())
        return {"statusCode": 200}
    services.subscriptions().subscribe(connection_id, order_ids, caller)
    return {"statusCode": 200}


def _disconnect(connection_id: str, event: dict) -> dict:
    try:
        services.subscriptions().disconnect(connection_id, connector_of(event))
    except Unauthenticated:
        pass  # a connection that was never counted (it named no key)
    return {"statusCode": 200}


def _unknown(connection_id: str, event: dict) -> dict:
    services.notifier().send(connection_id, ErrorMessage.of("UNKNOWN_ACTION", 'send {"action": "subscribe", "orderId": "..."}').frame())
    return {"statusCode": 200}


ROUTES = {"$connect": _connect, "$disconnect": _disconnect, "subscribe": _subscribe}


# clear_state: one connection's keys (its key id) must never name the next invocation's caller.
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = event["requestContext"]
    key_id = (request.get("authorizer") or {}).get("keyId")
    logger.append_keys(connection_id=request["connectionId"], route=request["routeKey"], key_id=key_id)
    return ROUTES.get(request["routeKey"], _unknown)(request["connectionId"], event)
