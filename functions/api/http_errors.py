"""The one place where domain errors become HTTP responses.

Every error body is {"error": {"code", "message", "details"}}. Bad input is a 4xx and never
shows internals; anything unexpected is a 500 with a generic message (the log has the rest).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from pydantic import ValidationError

from solroute.models.errors import DomainError, InvalidRequest, OrderNotFound, QueueUnavailable

logger = Logger(child=True)

HTTP_STATUS: dict[type[DomainError], int] = {InvalidRequest: 400, OrderNotFound: 404, QueueUnavailable: 503}


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": details if details is not None else {}}}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _field_errors(errors: list[dict]) -> list[dict]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if error.get("type") == "json_invalid":
            message = "request body is not valid JSON"
        elif error.get("type") == "extra_forbidden":
            message = "unknown field"
        elif error.get("type") == "missing":
            message = "field required"
        out.append({"field": ".".join(loc) or "body", "message": message})
    return out


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _request_invalid(error: RequestValidationError) -> Response:
        details = _field_errors(list(error.errors()))
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return error_response(400, "INVALID_REQUEST", f"invalid request: {summary}", details)

    @app.exception_handler(ValidationError)
    def _model_invalid(error: ValidationError) -> Response:
        details = _field_errors(error.errors(include_input=False))
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return error_response(400, "INVALID_REQUEST", f"invalid request: {summary}", details)

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response:
        status = next((s for cls, s in HTTP_STATUS.items() if isinstance(error, cls)), 500)
        if status >= 500:
            logger.error("request failed", extra={"code": error.code, "reason": error.message})
        return error_response(status, error.code, error.message, error.details)

    @app.exception_handler(IdempotencyValidationError)
    def _key_reused(_: Exception) -> Response:
        return error_response(
            409, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used with a different order body"
        )

    @app.exception_handler(IdempotencyAlreadyInProgressError)
    def _in_progress(_: Exception) -> Response:
        return error_response(409, "IDEMPOTENCY_IN_PROGRESS", "an order with this Idempotency-Key is still being accepted; retry shortly")

    @app.not_found
    def _no_route(_: NotFoundError) -> Response:
        return error_response(404, "ROUTE_NOT_FOUND", "no such route; see GET /api/openapi.json")

    @app.exception_handler(Exception)
    def _unexpected(_: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(500, "INTERNAL_ERROR", "internal error; the request id is in the logs")
