"""API keys: issuing them, and deciding whether a presented key is valid.

A key is ``sr_`` and 40 URL-safe characters (240 random bits), shown once. Only its SHA-256
is stored: a leaked table authenticates nobody. The first characters (``key_id``) name the
key in lists and logs; the 192 bits after them still have to be guessed."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from typing import Mapping

from solroute.models.errors import InvalidRequest, KeyNotFound
from solroute.models.keys import ApiKey, IssuedKey, Principal
from solroute.models.webhooks import webhook_url as check_webhook_url
from solroute.ports import ApiKeyStore, Clock

KEY_PREFIX = "sr_"
SECRET_BYTES = 30  # token_urlsafe: 40 characters
KEY_LENGTH = len(KEY_PREFIX) + 40
KEY_ID_LENGTH = len(KEY_PREFIX) + 8
_KEY_SHAPE = re.compile(r"sr_[A-Za-z0-9_-]{40}")
_NAME = re.compile(r"[\w .@:/-]{1,64}")
MAX_RATE_PER_MINUTE = 10_000


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str:
    return key[:KEY_ID_LENGTH]


def key_from(headers: Mapping[str, str] | None, query: Mapping[str, str] | None = None) -> str | None:
    """The key a request presents: the ``x-api-key`` header, else the ``apiKey`` query
    parameter. Pass ``query`` only for the WebSocket ``$connect`` (browsers cannot set headers on
    a WebSocket); HTTP requests must use the header (the HTTP API's one identity source), so a
    key never lands in URLs that proxies and access logs keep. ``Authorization: Bearer`` is not
    read: API Gateway refuses a request that has only that, before any function runs."""
    by_name = {k.lower(): v for k, v in (headers or {}).items() if isinstance(v, str)}
    if by_name.get("x-api-key"):
        return by_name["x-api-key"].strip() or None
    return (query or {}).get("apiKey") or None


class KeyAuthority:
    """Answers whether a presented key is valid, and for whom."""

    def __init__(self, keys: ApiKeyStore) -> None:
        self.keys = keys

    def authorize(self, presented: str | None) -> Principal | None:
        # Shape first: anything that is not a key we could have issued (too long, odd
        # characters) is refused before it costs a read.
        if not isinstance(presented, str) or len(presented) != KEY_LENGTH or not _KEY_SHAPE.fullmatch(presented):
            return None
        digest = hash_key(presented)
        record = self.keys.get(digest)
        # The read is by hash already; comparing in constant time keeps a store that matched
        # loosely (or a cache in front of it) from leaking how much of a hash was right.
        if record is None or not hmac.compare_digest(record.key_hash, digest) or record.revoked:
            return None
        return Principal(owner=record.owner, key_id=record.key_id, rate_per_minute=record.rate_per_minute, webhook_url=record.webhook_url)


class KeyAdmin:
    """Issuing, listing and revoking keys (the operator's side; never on a request path)."""

    def __init__(self, keys: ApiKeyStore, clock: Clock, default_rate_per_minute: int) -> None:
        self.keys, self.clock, self.default_rate = keys, clock, default_rate_per_minute

    def create(self, name: str, rate_per_minute: int | None = None, owner: str | None = None, webhook_url: str | None = None) -> IssuedKey:
        if not _NAME.fullmatch(name or ""):
            raise InvalidRequest("name must be 1 to 64 letters, digits, spaces or . @ : / _ -", {"name": name})
        try:
            check_webhook_url(webhook_url)
        except ValueError as error:
            raise InvalidRequest(f"webhook URL {error}", {"webhookUrl": webhook_url}) from None
        rate = self.default_rate if rate_per_minute is None else rate_per_minute
        if not 1 <= rate <= MAX_RATE_PER_MINUTE:
            raise InvalidRequest(f"rate must be 1 to {MAX_RATE_PER_MINUTE} orders a minute", {"rate": rate})
        while True:
            key = generate_key()
            # Revoking goes by key id, so two keys must never share one (48 random bits: a
            # clash is rare, but then a new key is drawn rather than one made ambiguous).
            if self.keys.find(key_id_of(key)) is None:
                break
        record = ApiKey(
            key_hash=hash_key(key), key_id=key_id_of(key), owner=owner or str(uuid.uuid4()), name=name,
            created_at=self.clock.iso(self.clock.now_ms()), rate_per_minute=rate, webhook_url=webhook_url,
        )  # fmt: skip
        self.keys.put_new(record)  # DuplicateKey if the hash exists: 240 random bits, never in practice
        return IssuedKey(api_key=key, record=record)

    def list(self) -> list[ApiKey]:
        return self.keys.list()

    def revoke(self, key_id: str) -> ApiKey:
        revoked = self.keys.revoke(key_id)
        if revoked is None:
            raise KeyNotFound(f"no key with id {key_id}", {"keyId": key_id})
        return revoked



class Revocations:
    """Whether a key, by its public id, has been revoked: what the WebSocket side asks, whose
    connections know their key's id (from $connect) but not its hash.

    A key found valid is taken as valid for ``ttl_s`` (the broadcaster's cache: a status push
    costs no read per subscriber); a revoked one stays revoked (revocation is for good). So a
    revoked key's connections stop receiving at most ``ttl_s`` after the revocation."""

    def __init__(self, keys: ApiKeyStore, clock: Clock, ttl_s: float) -> None:
        self.keys, self.clock, self.ttl_ms = keys, clock, int(ttl_s * 1000)
        self._valid_until_ms: dict[str, int] = {}
        self._revoked: set[str] = set()

    def revoked(self, key_id: str) -> bool:
        if key_id in self._revoked:
            return True
        now_ms = self.clock.now_ms()
        if self._valid_until_ms.get(key_id, 0) > now_ms:
            return False
        if self.keys.is_revoked(key_id):
            self._revoked.add(key_id)
            self._valid_until_ms.pop(key_id, None)
            return True
        if self.ttl_ms:
            self._valid_until_ms[key_id] = now_ms + self.ttl_ms
        return False
