"""The one place where errors become HTTP responses, and where the OpenAPI document learns them.

Every error body is {"error": {"code", "message", "details"}}. Bad input is a 4xx and says, in
words a trader understands, which field is wrong and what is allowed; it never shows parser
wording, internals or raw control characters. Anything unexpected is a 500 with a generic
message (the log has the rest).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from pydantic import BaseModel, ValidationError

from solroute.models.api import GatewayRefusal
from solroute.models.error_body import ErrorBody
from solroute.models.errors import (
    DomainError,
    InvalidRequest,
    NotCancellable,
    NoWallets,
    OrderNotFound,
    PermanentOrderError,
    QueueUnavailable,
    RateLimited,
    TooManyOpenOrders,
    TooManyStrategies,
    TransientError,
    Unauthenticated,
)
from solroute.models.requests import ExecuteOrderRequest, ListOrdersQuery, SniperRequest, TradeRequest
from solroute.models.wallet import FundRequest

logger = Logger(child=True)


class UnsupportedMediaType(InvalidRequest):
    """The body is not sent as JSON: the request is refused before it is read."""

    code = "UNSUPPORTED_MEDIA_TYPE"


# The most specific class in an error's MRO decides its status; unlisted DomainErrors are 500.
HTTP_STATUS: dict[type[DomainError], int] = {
    InvalidRequest: 400,
    UnsupportedMediaType: 415,
    OrderNotFound: 404,
    NoWallets: 404,  # the stack runs the ledger chain: no route of it could answer with a wallet
    NotCancellable: 409,
    TooManyOpenOrders: 409,  # not a rate: retrying soon will not help until one of them ends
    TooManyStrategies: 409,
    Unauthenticated: 401,
    RateLimited: 429,
    PermanentOrderError: 422,  # a quote nothing can fill (no liquidity for this amount)
    TransientError: 503,  # a store, venue or RPC hiccup: the same request may succeed shortly
    QueueUnavailable: 503,
}
RETRY_AFTER_SECONDS = 1
ORDER_PATH = re.compile(r"/api/orders/[^/]+", re.DOTALL)  # GET and DELETE /api/orders/{orderId}
GATEWAY_REFUSALS = (401, 403)  # answered by API Gateway before the API function runs (a key's refusal)

DESCRIPTIONS = {
    400: "Invalid input: `details` lists each field at fault and what is allowed",
    401: 'No API key: send yours in the `x-api-key` header (API Gateway answers this itself: `{"message": "Unauthorized"}`)',
    403: 'The API key is unknown or has been revoked (API Gateway answers this itself: `{"message": "Forbidden"}`)',
    404: "No such order (or not one of this API key's)",
    409: "This Idempotency-Key was used with another body, or its order is still being accepted; a limit order past its API key's cap of open limit orders (TOO_MANY_OPEN_ORDERS), a strategy past its cap of active ones (TOO_MANY_STRATEGIES); on DELETE, the order has started routing (or is final): `details.status` says where it is",
    415: "The body was not sent as `Content-Type: application/json`",
    422: "Nothing can fill this trade now (for example, no liquidity for this amount)",
    429: "This API key's order rate or backlog limit: retry after `Retry-After` seconds",
    503: "Temporarily unavailable: retry after `Retry-After` seconds",
}

# Models a trader fills in: their validation errors are a 400 (any other model's are our bug, a 500).
_REQUEST_MODELS: dict[str, type[BaseModel]] = {model.__name__: model for model in (ExecuteOrderRequest, ListOrdersQuery, TradeRequest, FundRequest, SniperRequest)}
_LOCATIONS = ("body", "query", "path", "header")
MAX_MESSAGE_LENGTH = 600  # messages quote what was sent; a megabyte of it helps nobody

# What is wrong, by pydantic error type, in our words (ctx values fill the braces).
_PROBLEMS = {
    "missing": "is required",
    "string_type": "must be a string",
    "string_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "string_pattern_mismatch": "has characters that are not allowed here",
    "decimal_parsing": 'must be a decimal number, such as 1.5 or "1.5"',
    "decimal_type": 'must be a decimal number, such as 1.5 or "1.5"',
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be greater than {gt}",
    "less_than": "must be less than {lt}",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
}


def printable(text: str) -> str:
    """At most MAX_MESSAGE_LENGTH characters of the text, with control, format, surrogate and
    unassigned characters escaped as \\uXXXX (they could corrupt a terminal or a log line)."""
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[: MAX_MESSAGE_LENGTH - 1] + "…"
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c).startswith("C") else c for c in text)


def _printable_details(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): _printable_details(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable_details(v) for v in value]
    return value


def error_response(status: int, code: str, message: str, details: Any = None, retry_after_s: int | None = None) -> Response:
    body = {"error": {"code": code, "message": printable(message), "details": _printable_details(details if details is not None else {})}}
    headers = {}
    if status in (429, 503):
        headers["Retry-After"] = str(retry_after_s or RETRY_AFTER_SECONDS)
    if status == 401:  # RFC 9110 15.5.2: a 401 names the scheme that would succeed
        headers["WWW-Authenticate"] = 'ApiKey realm="solroute", header="x-api-key"'
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers or None)


def _problem(error: dict, model: type[BaseModel] | None) -> dict:
    loc = [str(part) for part in error.get("loc", ()) if part not in _LOCATIONS]
    field = ".".join(loc) or "body"
    kind = error.get("type", "")
    if kind in ("value_error", "assertion_error"):  # our own validators: their words are for traders
        message = str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    elif kind == "extra_forbidden":
        known = ", ".join(model.model_fields) if model else ""
        message = f"is not a field of this request; the fields are {known}" if known else "is not a field of this request"
    elif kind == "missing" and model and field in model.model_fields and model.model_fields[field].description:
        message = f"is required ({model.model_fields[field].description})"
    elif kind == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        message = "must not be empty"
    else:
        message = _PROBLEMS.get(kind, "has a value that is not allowed").format(**(error.get("ctx") or {}))
    return {"field": field, "message": message}


def invalid_input(errors: list[dict], model: type[BaseModel] | None = None) -> Response:
    details = [_problem(error, model) for error in errors]
    summary = "; ".join(d["message"] if d["field"] == "body" else f"{d['field']}: {d['message']}" for d in details)
    return error_response(400, "INVALID_REQUEST", f"invalid request: {summary}", details)


def internal_error() -> Response:
    logger.exception("unhandled error")
    return error_response(500, "INTERNAL_ERROR", "internal error; the request id is in the logs")


def http_status(error: DomainError) -> int:
    return next((HTTP_STATUS[cls] for cls in type(error).__mro__ if cls in HTTP_STATUS), 500)


def error_responses(*statuses: int, descriptions: dict[int, str] | None = None) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` entries for these error statuses, all with the error body but API
    Gateway's own refusals (401 and 403, which are `{"message"}`); ``descriptions`` replaces the
    shared wording of a status where a route means something else by it."""
    documented: dict[int, OpenAPIResponse] = {}
    for status in sorted({*statuses, *(GATEWAY_REFUSALS if 401 in statuses else ())}):  # a guarded route: both refusals
        model = GatewayRefusal if status in GATEWAY_REFUSALS else ErrorBody
        documented[status] = {"description": (descriptions or {}).get(status, DESCRIPTIONS[status]), "content": {content_types.APPLICATION_JSON: {"model": model}}}
        if status in (429, 503):
            documented[status]["headers"] = {
                "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
            }
    return documented


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _request_invalid(error: RequestValidationError) -> Response:
        errors = list(error.errors())
        if any(tuple(e.get("loc", ()))[:1] == ("response",) for e in errors):  # powertools checked our answer
            return internal_error()
        return invalid_input(errors)

    @app.exception_handler(ValidationError)
    def _model_invalid(error: ValidationError) -> Response:
        if error.title not in _REQUEST_MODELS:
            return internal_error()
        return invalid_input(error.errors(include_input=False), _REQUEST_MODELS[error.title])

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response:
        status = http_status(error)
        if status >= 500:
            logger.error("request failed", extra={"code": error.code, "reason": error.message})
        return error_response(status, error.code, error.message, error.details, getattr(error, "retry_after_s", None))

    @app.exception_handler(IdempotencyValidationError)
    def _key_reused(_: Exception) -> Response:
        return error_response(
            409, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used with a different order body"
        )

    @app.exception_handler(IdempotencyAlreadyInProgressError)
    def _in_progress(_: Exception) -> Response:
        return error_response(409, "IDEMPOTENCY_IN_PROGRESS", "an order with this Idempotency-Key is still being accepted; retry shortly")

    @app.exception_handler(IdempotencyPersistenceLayerError)
    def _idempotency_store_down(error: Exception) -> Response:
        logger.error("idempotency store failed", extra={"reason": str(error)})
        return error_response(503, "STORE_BUSY", "the order store is busy; retry shortly with the same Idempotency-Key")

    @app.not_found
    def _no_route(_: NotFoundError) -> Response:
        # API Gateway routed /api/orders/{orderId} here, but the id holds what no route of ours
        # matches (a NUL, say): it is a malformed order id, answered as every other one is.
        if ORDER_PATH.fullmatch(app.current_event.path or ""):
            return error_response(400, InvalidRequest.code, "orderId must be a UUID such as 3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60")
        return error_response(404, "ROUTE_NOT_FOUND", "no such route; see GET /api/openapi.json")

    @app.exception_handler(Exception)
    def _unexpected(_: Exception) -> Response:
        return internal_error()
