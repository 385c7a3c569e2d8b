"""HTTP API: submit, read and list orders. Wiring and the HTTP edge only (reading the body, the
OpenAPI document): the rules live in the layer.

Who is calling comes from the Lambda authorizer's context (requestContext.authorizer.lambda),
never from the request itself. API Gateway refuses a request without an x-api-key header (401)
and one whose key the authorizer refuses (403) before this function runs; every /api/ route is
still refused here unless that context names an owner (should the function ever be reached
without the authorizer, as under `sam local start-api` without one)."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Callable, Optional

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError
from http_errors import UnsupportedMediaType, error_response, error_responses, register_error_handlers

from solroute import observability, services, tracing
from solroute.models.api import Health, OrderAccepted, OrderPage, OrderView, order_view
from solroute.models.errors import InvalidRequest, RateLimited, Unauthenticated
from solroute.models.keys import Principal
from solroute.models.quote_answer import QuoteAnswer
from solroute.models.requests import ExecuteOrderRequest, ListOrdersQuery, SniperRequest, TradeRequest
from solroute.models.wallet import Funded, FundRequest, WalletAnswer
from solroute.settings import require, settings

services.check_environment(services.order_submission, services.order_queries, services.order_cancellation, services.quote_service, services.wallet_desk)
logger, metrics = observability.logger_and_metrics()
# Validation is switched on per route: the GET routes let powertools check their query and path,
# the POST route reads its own body. Tried (issue 23): powertools' Body() model with our reader as
# its json_body_deserializer changes 18 of the 110 answers tests/integration/answers/api.json holds,
# because its validation runs before any middleware (a bad body without a key: 400, not 401), it
# reads media types case-sensitively and parses forms (415s become 500s and 400s), it never hands
# an empty body to the reader, and a base64 body that is not UTF-8 breaks its decoding (500). It
# also cost the cold start ~8 ms (CPU time of the import and a first request, median of 15 fresh
# processes as bench's coldstart profile starts them: 390.9 ms against 382.6 ms).
app = APIGatewayHttpResolver()
register_error_handlers(app)
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=24 * 3600)
IDEMPOTENCY_KEY_MAX_LENGTH = 128
JSON_MEDIA_TYPE = content_types.APPLICATION_JSON
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"  # the cursors we issue are unpadded base64url
EXAMPLE_WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
QUOTE_PARAMETERS = tuple(TradeRequest.model_fields)  # tokenIn, tokenOut, amountIn, slippage, maxPriceImpact, dexes, excludeDexes


OPEN_ROUTES = frozenset({"/health"})  # template.yaml gives these Auth: { Authorizer: NONE }
NO_KEY = "no valid API key: send yours in the x-api-key header"


def _authorizer_context(event: BaseProxyEvent) -> dict:
    context = ((event.raw_event.get("requestContext") or {}).get("authorizer") or {}).get("lambda")
    return context if isinstance(context, dict) else {}


def caller() -> Principal:
    """Who this request was authorized as: the key's owner, id and order rate."""
    context = _authorizer_context(app.current_event)
    try:
        return Principal.model_validate(context)
    except ValidationError:  # no owner (the middleware refused those), or a context we did not write
        raise Unauthenticated(NO_KEY) from None


def require_api_key(resolver: APIGatewayHttpResolver, next_middleware: Callable[..., Response]) -> Response:
    """Every route needs a key but those listed as open (/health). Runs before a route reads
    anything. Listing the open ones, not the guarded ones: a route added later is guarded."""
    if resolver.current_event.path not in OPEN_ROUTES:
        context = _authorizer_context(resolver.current_event)
        if not context.get("owner"):
            logger.info("refused: no valid API key", extra={"refusal": "no caller in the authorizer context"})
            return error_response(401, Unauthenticated.code, NO_KEY)
        logger.append_keys(key_id=context.get("keyId"))
    return next_middleware(resolver)


app.use(middlewares=[require_api_key])


def _accepted(order_id: str, status: str) -> dict:
    accepted = OrderAccepted(orderId=order_id, status=status, websocketUrl=settings().websocket_url)
    return accepted.model_dump(mode="json")


def _submit(request: dict, order_request: ExecuteOrderRequest | SniperRequest, who: Principal) -> dict:
    """``request`` (JSON values) is what the idempotency record keys and checks; the request and
    caller, validated once already, come as they are."""
    try:
        order = services.order_submission().submit(order_request, who)
    except RateLimited:  # BusyRefusalsAlarm's rate: refusals against OrdersSubmitted
        metrics.add_metric(name="RequestsRefusedBusy", unit=MetricUnit.Count, value=1)
        raise
    logger.set_correlation_id(order.orderId)
    logger.info("order accepted", extra={"order_id": order.orderId, "pair": f"{order.tokenIn}->{order.tokenOut}", "amount_in": str(order.amountIn)})
    # A strategy's parent is not an order that executes: its children count as submitted when the trigger starts them.
    if order.strategy is not None:
        metrics.add_metric(name="StrategiesPlaced", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="OrdersSubmitted", unit=MetricUnit.Count, value=1)
    return _accepted(order.orderId, order.status.value)


@lru_cache(maxsize=1)
def _submit_once() -> Callable[..., dict]:
    store = DynamoDBPersistenceLayer(table_name=require(settings(), "idempotency_table"))
    return idempotent_function(_submit, data_keyword_argument="request", persistence_store=store, config=IDEMPOTENCY)


require(settings(), "idempotency_table")  # at init, like the services above (the store itself is made on first use)


def _reject_constant(name: str) -> Any:
    raise InvalidRequest(f"request body has {name}, which is not a JSON number; send amounts as decimals such as 1.5")


def json_object_body(event: BaseProxyEvent) -> dict[str, Any]:
    """The request body as a JSON object; anything else is a 415 or a 400 that says what is wrong."""
    media_type = (event.headers.get("content-type") or JSON_MEDIA_TYPE).split(";")[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:  # media types are case-insensitive (RFC 9110 8.3.1)
        raise UnsupportedMediaType(
            f"the body must be JSON sent with the header Content-Type: application/json, not {media_type}",
            {"contentType": media_type},
        )
    text = event.body or ""
    if event.is_base64_encoded:  # API Gateway base64-encodes a body it does not treat as text
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidRequest("request body is not UTF-8 text; send the order as a JSON object in UTF-8") from None
    if not text.strip():
        raise InvalidRequest("request body is empty; send the order as a JSON object")
    try:
        # Every JSON number becomes a Decimal: "amountIn": 0.1 stays exactly 0.1, and a number of
        # any length is read (and then refused by the field's range) instead of overflowing int().
        body = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        where = {"line": error.lineno, "column": error.colno}
        raise InvalidRequest(f"request body is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}", where) from None
    except RecursionError:
        raise InvalidRequest("request body is nested too deeply; the order is one flat JSON object") from None
    except InvalidOperation:
        raise InvalidRequest("request body has a number whose exponent is out of range") from None
    if not isinstance(body, dict):
        kind = "an array" if isinstance(body, list) else "a single value"
        raise InvalidRequest(f"request body must be one JSON object with the order's fields, not {kind}")
    return body


def _idempotency_key(event: BaseProxyEvent) -> str | None:
    key = event.headers.get("idempotency-key")
    if key is not None and len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        problem = f"must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters"
        raise InvalidRequest(f"invalid request: Idempotency-Key: {problem}", [{"field": "Idempotency-Key", "message": problem}])
    return key or None


@app.post("/api/orders/execute", summary="Submit an order: market, limit, or a strategy (twap, recurring, sniper)", responses={
    202: {"description": "Accepted: the order is pending (a limit order: open; a TWAP or recurring order: active); follow it over the WebSocket", "content": {JSON_MEDIA_TYPE: {"model": OrderAccepted}}},
    **error_responses(400, 401, 409, 415, 429, 503),
})
def execute_order() -> Response[dict]:
    body = json_object_body(app.current_event)
    # A sniper names a token that may not exist yet: its own model (every other type is one request).
    order = (SniperRequest if body.get("type") == "sniper" else ExecuteOrderRequest).model_validate(body)
    key = _idempotency_key(app.current_event)
    who = caller()
    # The idempotency record is keyed by owner and key together: one client's key never
    # answers with another client's order.
    request: dict[str, Any] = {"key": [who.owner, key], "body": order.model_dump(mode="json")}
    submit = _submit_once() if key else _submit
    accepted = submit(request=request, order_request=order, who=who)
    return Response(status_code=202, content_type=JSON_MEDIA_TYPE, body=accepted)


@app.get("/api/orders/<orderId>", summary="One order with its history, quotes, route and result", enable_validation=True,
         responses={200: {"description": "The order"}, **error_responses(400, 401, 404, 503)})
def get_order(orderId: str) -> OrderView:  # noqa: N803 - the path parameter's public name
    logger.set_correlation_id(orderId)
    return order_view(services.order_queries().get(orderId, caller().owner))


@app.delete("/api/orders/<orderId>", summary="Cancel an order that has not started routing (open or pending)", enable_validation=True,
            responses={200: {"description": "The order, cancelled"}, **error_responses(400, 401, 404, 409, 503)})
def cancel_order(orderId: str) -> OrderView:  # noqa: N803 - the path parameter's public name
    logger.set_correlation_id(orderId)
    return order_view(services.order_cancellation().cancel(orderId, caller().owner))


@app.get("/api/orders", summary="This API key's orders, newest first", enable_validation=True,
         responses={200: {"description": "One page of orders"}, **error_responses(400, 401, 503)})
def list_orders(
    wallet: Annotated[
        Optional[str], Query(min_length=1, max_length=44, description="only this wallet's orders (base58 address)", examples=[EXAMPLE_WALLET])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="orders per page")] = 20,
    cursor: Annotated[Optional[str], Query(max_length=2048, pattern=CURSOR_PATTERN, description="the previous page's cursor")] = None,
) -> OrderPage:
    page = services.order_queries().list(caller().owner, ListOrdersQuery(wallet=wallet, limit=limit, cursor=cursor))
    return OrderPage(orders=[order_view(o) for o in page.orders], cursor=page.cursor)


@app.get("/api/quote", summary="Quote a trade without executing it: every venue, the best split and two-hop routes, and the route an order would take",
         responses={200: {"description": "The quote", "content": {JSON_MEDIA_TYPE: {"model": QuoteAnswer}}}, **error_responses(400, 401, 422, 503)})
def quote() -> Response[dict]:
    query = app.current_event.query_string_parameters or {}
    fields = {name: query[name] for name in QUOTE_PARAMETERS if name in query}
    unknown = sorted(set(query) - set(QUOTE_PARAMETERS))
    if unknown:
        raise InvalidRequest(f"invalid request: unknown query parameter {', '.join(unknown)}", [{"field": n, "message": "not a parameter of /api/quote"} for n in unknown])
    answer = services.quote_service().quote(TradeRequest.model_validate(fields))
    return Response(200, JSON_MEDIA_TYPE, answer.model_dump(mode="json"))


NO_WALLETS_404 = "This stack runs the simulated ledger chain, which keeps no wallets (NO_WALLETS)"


@app.get("/api/wallet", summary="This API key's wallet: its address and its balance of every known token, read from the chain",
         responses={200: {"description": "The wallet", "content": {JSON_MEDIA_TYPE: {"model": WalletAnswer}}},
                    **error_responses(401, 404, 503, descriptions={404: NO_WALLETS_404})})  # fmt: skip
def wallet() -> Response[dict]:
    answer = services.wallet_desk().show(caller().key_id)
    return Response(200, JSON_MEDIA_TYPE, answer.model_dump(mode="json"))


@app.post("/api/wallet/fund", summary="Fund this API key's wallet from the local chain's faucet", responses={
    200: {"description": "Funded: the faucet's transaction and the wallet's balances after it", "content": {JSON_MEDIA_TYPE: {"model": Funded}}},
    **error_responses(400, 401, 404, 415, 503, descriptions={
        400: "Invalid input (`details` lists each field at fault), or this chain has no faucet (a cluster's wallet is funded from outside)",
        404: NO_WALLETS_404}),
})  # fmt: skip
def fund_wallet() -> Response[dict]:
    desk = services.wallet_desk()
    desk.on_chain()  # on the ledger chain, say so whatever the body holds
    request = FundRequest.model_validate(json_object_body(app.current_event))
    who = caller()
    funded = desk.fund(who.key_id, request)
    logger.info("wallet funded", extra={"token": funded.token, "amount": str(funded.amount), "signature": funded.signature})
    return Response(200, JSON_MEDIA_TYPE, funded.model_dump(mode="json"))


@app.get("/health", summary="Liveness")
def health() -> Health:
    return Health(status="ok")


@app.get("/api/openapi.json", summary="This API's OpenAPI document", responses={200: {"description": "The document"}, **error_responses(401)})
def openapi() -> Response[dict]:
    return Response(200, JSON_MEDIA_TYPE, openapi_document())


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """powertools' document, plus what it cannot see: the POST body and header are read by our code."""
    document = json.loads(app.get_openapi_json_schema(title="Solroute order API", version="1.0.0"))
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):  # powertools' 422 bodies
        schemas.pop(unused, None)
    request_schema = ExecuteOrderRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(request_schema.pop("$defs", {}))
    schemas["ExecuteOrderRequest"] = request_schema
    sniper_schema = SniperRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(sniper_schema.pop("$defs", {}))
    schemas["SniperRequest"] = sniper_schema
    # Every /api/ operation needs an API key, in the x-api-key header (the HTTP API's identity
    # source); /health needs none.
    document["components"]["securitySchemes"] = {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
    document["security"] = [{"apiKey": []}]
    document["paths"]["/health"]["get"]["security"] = []
    trade = TradeRequest.model_json_schema()
    document["paths"]["/api/quote"]["get"]["parameters"] = [
        {"name": name, "in": "query", "required": name in trade.get("required", []),
         "description": (trade["properties"][name].get("description") or "") + (" (comma-separated)" if name in ("dexes", "excludeDexes") else ""),
         "schema": {"type": "string"}}  # fmt: skip
        for name in QUOTE_PARAMETERS
    ]
    schemas["FundRequest"] = FundRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    document["paths"]["/api/wallet/fund"]["post"]["requestBody"] = {
        "required": True,
        "content": {JSON_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/FundRequest"}}},
    }
    submit = document["paths"]["/api/orders/execute"]["post"]
    submit["requestBody"] = {
        "required": True,
        "content": {JSON_MEDIA_TYPE: {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/ExecuteOrderRequest"}, {"$ref": "#/components/schemas/SniperRequest"},
        ]}}},  # fmt: skip
    }
    submit["parameters"] = [{
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "the same key with the same body returns the same order; with another body, 409",
        "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
    }]
    return document


# clear_state: keys appended for one request (its caller's key_id) must not name the next one's
# caller in a warm instance.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
