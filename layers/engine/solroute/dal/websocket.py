"""API Gateway WebSocket management API adapter for the Notifier port."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.ports import ConnectionGone


class ApiGatewayNotifier:
    def __init__(self, client: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.client = client
        self.faults = faults

    def send(self, connection_id: str, message: dict) -> None:
        if self.faults.fires("ws-gone", connection_id):
            raise ConnectionGone(connection_id)  # chaos: as if API Gateway answered 410
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=json.dumps(message).encode())
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                raise ConnectionGone(connection_id) from error
            raise

    def close(self, connection_id: str) -> None:
        try:
            self.client.delete_connection(ConnectionId=connection_id)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code != "GoneException" and error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 410:
                raise
