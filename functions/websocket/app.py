"""WebSocket API routes: $connect (?orderId=), subscribe, $default.

The $connect authorizer has checked the API key; its context (on every event of the connection
as requestContext.authorizer) names the owner, and a connection follows only the owner's orders.

No $disconnect route: subscriptions live on the order items and expire with the connection;
one whose connection is gone is removed at the next status (410). A $disconnect invocation
per connection would cost a Lambda request and writes for nothing the engine needs."""

from __future__ import annotations

import json
import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from solroute import services, tracing
from solroute.models.errors import DomainError, InvalidRequest, OrderNotFound, TooManySubscribers, TransientError, Unauthenticated

services.check_environment()
logger = Logger()
metrics = Metrics()
# Not every invocation has a metric to emit; an empty flush is normal here, not a warning.
warnings.filterwarnings("ignore", "No application metrics to publish")

# A refused handshake's status, by the most specific class of the error (a throttled store: retry).
CONNECT_REFUSAL: dict[type[DomainError], int] = {
    InvalidRequest: 400, Unauthenticated: 401, OrderNotFound: 404, TooManySubscribers: 429, TransientError: 503,
}  # fmt: skip
NO_KEY = "no valid API key: connect with ?apiKey=<key> or the x-api-key header"


def owner_of(event: dict) -> str:
    """The connection's owner, from its $connect authorizer's context."""
    owner = ((event.get("requestContext") or {}).get("authorizer") or {}).get("owner")
    if not isinstance(owner, str) or not owner:
        raise Unauthenticated(NO_KEY)
    return owner


def _connect(connection_id: str, event: dict) -> dict:
    order_id = (event.get("queryStringParameters") or {}).get("orderId")
    try:
        services.subscriptions().connect(connection_id, order_id, owner_of(event))
    except tuple(CONNECT_REFUSAL) as error:
        status = next(CONNECT_REFUSAL[cls] for cls in type(error).__mro__ if cls in CONNECT_REFUSAL)
        logger.info("connection refused", extra={"connection_id": connection_id, "reason": error.message, "status": status})
        return {"statusCode": status, "body": error.message}
    return {"statusCode": 200}


def _subscribe(connection_id: str, event: dict) -> dict:
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        body = {}
    wanted = body.get("orderIds") or ([body["orderId"]] if body.get("orderId") else [])
    order_ids = [str(o) for o in wanted] if isinstance(wanted, list) else [str(wanted)]
    try:
        owner = owner_of(event)
    except Unauthenticated as error:
        services.notifier().send(connection_id, {"type": "error", "error": {"code": error.code, "message": error.message, "details": {}}})
        return {"statusCode": 200}
    services.subscriptions().subscribe(connection_id, order_ids, owner)
    return {"statusCode": 200}


def _unknown(connection_id: str, event: dict) -> dict:
    services.notifier().send(
        connection_id,
        {"type": "error", "error": {"code": "UNKNOWN_ACTION", "message": 'send {"action": "subscribe", "orderId": "..."}', "details": {}}},
    )
    return {"statusCode": 200}


ROUTES = {"$connect": _connect, "subscribe": _subscribe}


@logger.inject_lambda_context
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = event["requestContext"]
    logger.append_keys(connection_id=request["connectionId"], route=request["routeKey"])
    return ROUTES.get(request["routeKey"], _unknown)(request["connectionId"], event)
