"""The error every API answers with, HTTP and WebSocket: {"error": {"code", "message", "details"}}.

Apart from models/api.py so that the WebSocket's messages (models/websocket_messages.py) use it
without loading the HTTP answers' models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)  # built on first use: most functions never send one


class FieldProblem(_Answer):
    field: str = Field(description='the field, query parameter or header at fault; "body" for the request as a whole')
    message: str


class ErrorInfo(_Answer):
    code: str = Field(examples=["INVALID_REQUEST"], description="stable, for programs")
    message: str = Field(description="for people: what is wrong and what is allowed")
    details: list[FieldProblem] | dict[str, Any] = Field(
        description="one entry per field for invalid input; otherwise what the error concerns (may be empty)"
    )


class ErrorBody(_Answer):
    """Every error: {"error": {"code", "message", "details"}}."""

    error: ErrorInfo
