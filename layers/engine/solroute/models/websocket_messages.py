"""The messages a WebSocket client receives, one model each (docs/api.md, "WebSocket"):

- ``status_update``: an order's status changed (solroute.logic.broadcast); also a webhook's body;
- ``snapshot``: the order as it is, sent for each order a subscribe names (logic.subscriptions);
- ``error``: a subscribe or a frame the API could not act on (logic.subscriptions, the WebSocket
  function), or the connection's API key was revoked (logic.broadcast).

Every producer builds its message with these, and the CLI reads them with these. The notifier
posts ``frame()``: JSON values, fields in the order declared here."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from solroute.models.error_body import ErrorInfo
from solroute.models.order import HistoryEntry, OrderStatus


class _Message(BaseModel):
    # Built on first use, not at import: every function imports these (through logic.broadcast),
    # few send a message, and the build is ~3 ms of a cold start.
    model_config = ConfigDict(frozen=True, defer_build=True)

    def frame(self) -> dict[str, Any]:
        """The message as a client receives it (JSON values: amounts as decimal strings)."""
        return self.model_dump(mode="json")


class StatusUpdate(_Message):
    type: Literal["status_update"] = "status_update"
    orderId: str
    status: OrderStatus
    seq: int
    timestamp: str = Field(description="when the status was written: ISO-8601 UTC, millisecond precision")
    timestampMs: int
    message: str
    data: dict[str, Any] = Field(
        description="what is new at this status: pending the trade, building quotes and routing, submitted the "
        "transaction, confirmed the execution and route, failed the reason, attempts, execution and route"
    )


class Snapshot(_Message):
    type: Literal["snapshot"] = "snapshot"
    orderId: str
    status: OrderStatus
    seq: int
    history: list[HistoryEntry]
    # A dict, not OrderView: building that model would cost every function's cold start ~10 ms.
    order: dict[str, Any] = Field(description="the order as GET /api/orders/{orderId} answers it")


class ErrorMessage(_Message):
    type: Literal["error"] = "error"
    error: ErrorInfo

    @classmethod
    def of(cls, code: str, message: str, details: dict[str, Any] | None = None) -> ErrorMessage:
        return cls(error=ErrorInfo(code=code, message=message, details=details or {}))


WebSocketMessage = Annotated[StatusUpdate | Snapshot | ErrorMessage, Field(discriminator="type")]
TYPES = ("status_update", "snapshot", "error")


@cache
def _reader() -> TypeAdapter[StatusUpdate | Snapshot | ErrorMessage]:
    return TypeAdapter(WebSocketMessage)


def read_message(payload: object) -> StatusUpdate | Snapshot | ErrorMessage | None:
    """A received message; None for a type this version does not know (a newer server's: skipped).
    Raises ValidationError for a known type that does not hold what it must."""
    if not isinstance(payload, dict) or payload.get("type") not in TYPES:
        return None
    return _reader().validate_python(payload)

