"""API keys: the stored record of a key (never the key itself) and the principal a valid key
stands for."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Model(BaseModel):
    # snake_case in Python, camelCase in DynamoDB and in the authorizer's context.
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)


class ApiKey(_Model):
    """One key as stored: the SHA-256 of the secret, never the secret."""

    key_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    key_id: str  # the key's first characters: names it in lists and logs, cannot authenticate
    owner: str
    name: str
    created_at: str  # ISO-8601 UTC
    revoked: bool = False
    rate_per_minute: int = Field(ge=1)
    webhook_url: str | None = None  # where its orders' status changes go unless an order names its own


class IssuedKey(_Model):
    """A new key: the secret, shown once, and its record."""

    api_key: str
    record: ApiKey


class Connector(_Model):
    """Who opened a WebSocket connection: its $connect authorizer's context, which API Gateway
    puts on every later event of the connection (requestContext.authorizer)."""

    owner: str = Field(min_length=1)
    key_id: str = Field(min_length=1)


class Principal(_Model):
    """Who a valid key stands for; handed to the API through the authorizer's context."""

    owner: str
    key_id: str
    rate_per_minute: int
    webhook_url: str | None = None  # the key's default webhook (docs/webhooks.md)
