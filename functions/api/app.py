"""HTTP API: submit, read and list orders. Wiring only: the rules live in the layer."""

from __future__ import annotations

import json
import warnings
from decimal import Decimal
from functools import lru_cache, partial
from typing import Annotated, Any, Callable, Optional

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from http_errors import register_error_handlers

from solroute import services
from solroute.models.requests import ExecuteOrderRequest, ListOrdersQuery
from solroute.settings import settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()
# Not every invocation has a metric to emit; an empty flush is normal here, not a warning.
warnings.filterwarnings("ignore", "No application metrics to publish")
# JSON numbers become Decimal, never float: "amountIn": 0.1 stays exactly 0.1.
app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=partial(json.loads, parse_float=Decimal))
register_error_handlers(app)
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=24 * 3600)


def _accepted(order_id: str, status: str) -> dict:
    return {"orderId": order_id, "status": status, "websocketUrl": f"{settings().websocket_url}?orderId={order_id}"}


def _submit(request: dict) -> dict:
    order = services.order_submission().submit(ExecuteOrderRequest.model_validate(request["body"]))
    logger.set_correlation_id(order.orderId)
    logger.info("order accepted", extra={"order_id": order.orderId, "pair": f"{order.tokenIn}->{order.tokenOut}", "amount_in": str(order.amountIn)})
    metrics.add_metric(name="OrdersSubmitted", unit=MetricUnit.Count, value=1)
    return _accepted(order.orderId, order.status.value)


@lru_cache(maxsize=1)
def _submit_once() -> Callable[..., dict]:
    store = DynamoDBPersistenceLayer(table_name=settings().idempotency_table)
    return idempotent_function(_submit, data_keyword_argument="request", persistence_store=store, config=IDEMPOTENCY)


@app.post("/api/orders/execute", summary="Submit a market order")
def execute_order(
    order: Annotated[ExecuteOrderRequest, Body()],
    idempotency_key: Annotated[Optional[str], Header(alias="idempotency-key", max_length=128)] = None,
) -> Response[dict]:
    request: dict[str, Any] = {"key": idempotency_key, "body": order.model_dump(mode="json")}
    accepted = _submit_once()(request=request) if idempotency_key else _submit(request=request)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


@app.get("/api/orders/<orderId>", summary="One order with its history, quotes, route and result")
def get_order(orderId: str) -> dict:  # noqa: N803 - the path parameter's public name
    logger.set_correlation_id(orderId)
    return services.order_queries().get(orderId).model_dump(mode="json", exclude={"lastChange"})


@app.get("/api/orders", summary="A wallet's orders, newest first")
def list_orders(
    wallet: Annotated[str, Query(min_length=1)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[Optional[str], Query(max_length=2048)] = None,
) -> dict:
    page = services.order_queries().list(ListOrdersQuery(wallet=wallet, limit=limit, cursor=cursor))
    return {"orders": [o.model_dump(mode="json", exclude={"lastChange"}) for o in page.orders], "cursor": page.cursor}


@app.get("/health", summary="Liveness")
def health() -> dict:
    return {"status": "ok"}


@app.get("/api/openapi.json", summary="This API's OpenAPI document")
def openapi() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, app.get_openapi_json_schema(title="Solroute order API", version="1.0.0"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
