"""Webhooks: where an order's status changes are POSTed, and what each delivery attempt did."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

MAX_WEBHOOK_URL_LENGTH = 2048
# Plain http only to this machine (a receiver under test, the local cloud); anything else https.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WEBHOOK_URL_RULE = "must be an https:// URL (http:// only for 127.0.0.1 or localhost), at most 2048 characters, without credentials"


def webhook_url(value: str | None) -> str | None:
    """A URL status changes may be POSTed to, or ValueError saying what is wrong with it."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_WEBHOOK_URL_LENGTH:
        raise ValueError(WEBHOOK_URL_RULE)
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"{WEBHOOK_URL_RULE}; it has a space or a control character")
    try:
        parts = urlsplit(value)
        host, _ = parts.hostname, parts.port  # a bad port raises here
    except ValueError:
        raise ValueError(WEBHOOK_URL_RULE) from None
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{WEBHOOK_URL_RULE}; put no user or password in it (requests are signed instead)")
    if parts.fragment:
        raise ValueError(f"{WEBHOOK_URL_RULE}; a #fragment is never sent")
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and host not in LOOPBACK_HOSTS):
        raise ValueError(WEBHOOK_URL_RULE)
    return value


class WebhookAttempt(BaseModel):
    """One POST of one status change, as recorded on the order (``Order.webhookDeliveries``,
    keyed by the status change's seq)."""

    model_config = ConfigDict(frozen=True)

    status: str  # the order status this delivery carried
    attempt: int  # 1 for the first POST, then one more per retry
    atMs: int
    httpStatus: int | None = None  # what the receiver answered (None: no answer)
    error: str | None = None  # why it did not count as delivered (timeout, refused, HTTP 500, ...)
    outcome: str  # delivered | retrying | gave up
