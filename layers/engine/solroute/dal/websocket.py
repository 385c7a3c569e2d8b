"""API Gateway WebSocket management API adapter for the Notifier port."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from solroute.dal.ports import ConnectionGone


class ApiGatewayNotifier:
    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, connection_id: str, message: dict) -> None:
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=json.dumps(message).encode())
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                raise ConnectionGone(connection_id) from error
            raise
