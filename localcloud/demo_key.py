"""The demo API key: when the template keeps API keys (an `ApiKeysTableName` output), `solroute
up` issues one, so a newcomer's first `solroute submit` works without an operator step.

The key is issued as `solroute keys create` issues any key (the engine's KeyAdmin, the secret
stored only as its hash), with the rate the template resolves for `KeyRatePerMinute`. Tables on
moto are new on every start, so each start prints a new key."""

from __future__ import annotations

from typing import Any

KEYS_TABLE_OUTPUT = "ApiKeysTableName"
RATE_OUTPUT = "KeyRatePerMinute"
DEMO_KEY_NAME = "demo"


def create_demo_key(dynamodb: Any, outputs: dict[str, str]) -> str | None:
    """Issue the demo key in the table the outputs name; None when the template keeps no keys.
    ``dynamodb`` is a boto3 DynamoDB resource on the cloud's AWS endpoint."""
    table = outputs.get(KEYS_TABLE_OUTPUT)
    if not table or RATE_OUTPUT not in outputs:
        return None
    # The engine's own code, from its layer: only a template that keeps its keys needs it.
    from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
    from solroute.logic.keys import KeyAdmin
    from solroute.ports import Clock

    admin = KeyAdmin(DynamoApiKeyStore(dynamodb.Table(table)), Clock(), int(outputs[RATE_OUTPUT]))
    return admin.create(DEMO_KEY_NAME).api_key
