"""The WebSocket API's errors: the management API's (one class per AWS error) and the error frames
API Gateway sends a client on its socket."""

from __future__ import annotations

import json
from typing import ClassVar


class ManagementApiError(Exception):
    """An @connections error: its HTTP status, its name (boto3 reads it from x-amzn-ErrorType,
    transport.py sets it) and its message, as botocore's service model declares them."""

    status: ClassVar[int]
    message: ClassVar[str | None] = None

    @property
    def code(self) -> str:
        return type(self).__name__


class GoneException(ManagementApiError):
    """The connection is closed, or never existed."""

    status = 410


class PayloadTooLargeException(ManagementApiError):
    """PostToConnection's data is over constants.MAX_POST_BYTES."""

    status = 413
    message = "The data has exceeded the maximum size allowed."


def gateway_frame(message: str, connection_id: str, request_id: str) -> str:
    """An error frame as API Gateway writes it, spacing included (see constants.NO_ROUTE_MESSAGE)."""
    return f'{{"message": {json.dumps(message)}, "connectionId":{json.dumps(connection_id)}, "requestId":{json.dumps(request_id)}}}'
