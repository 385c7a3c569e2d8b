"""Webhooks: where an order's status changes are POSTed, and what each delivery attempt did."""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from solroute.models.addresses import IPAddress, is_public, literal_address

MAX_WEBHOOK_URL_LENGTH = 2048
# The one address that is not public a webhook may name: a receiver on this machine, under the
# local cloud (plain http allowed). It is posted to only when the local cloud says so, and never
# at one of the local cloud's own ports (docs/webhooks.md); on Lambda it is the runtime API.
LOCAL_RECEIVER = IPv4Address("127.0.0.1")
WEBHOOK_URL_RULE = (
    "must be an https:// URL to a public host (http:// only for 127.0.0.1, a receiver under the local cloud), "
    "at most 2048 characters, without credentials"
)
# Names that are internal by definition or by convention: never a public receiver. A name of one
# label ("localhost", "metadata", a hosts-file alias) is refused as well.
INTERNAL_SUFFIXES = (
    "localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp", "private",
    "arpa", "test", "invalid", "example", "onion",
)  # fmt: skip
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
MAX_HOST_LENGTH = 253


class NotPublicAddress(ValueError):
    """A webhook URL that names an address (not a name) that is not public."""


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook URL taken apart, as the sender connects to it."""

    scheme: str  # https, or http (127.0.0.1 only)
    host: str  # lowercase, without brackets or a trailing dot: what TLS verifies and Host names
    port: int
    target: str  # the path and query, as the request line carries them
    address: IPAddress | None  # when the host is an address, not a name


def parse_webhook_url(value: str) -> WebhookTarget:
    """The parts of a webhook URL, or ValueError saying what is wrong with it. The same rule at
    submission and at each delivery (a URL stored under an older rule is judged again)."""
    if not isinstance(value, str) or not value or len(value) > MAX_WEBHOOK_URL_LENGTH:
        raise ValueError(WEBHOOK_URL_RULE)
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"{WEBHOOK_URL_RULE}; it has a space or a control character")
    if not value.isascii():
        raise ValueError(f"{WEBHOOK_URL_RULE}; write it in ASCII (percent-encode the path, xn-- for an international name)")
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port  # a bad port or bracket raises here
    except ValueError:
        raise ValueError(WEBHOOK_URL_RULE) from None
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{WEBHOOK_URL_RULE}; put no user or password in it (requests are signed instead)")
    if parts.fragment:
        raise ValueError(f"{WEBHOOK_URL_RULE}; a #fragment is never sent")
    if not host or parts.scheme not in ("https", "http") or port == 0:
        raise ValueError(WEBHOOK_URL_RULE)
    address = _address(host)
    if address is None:
        host = _public_name(host)
    elif address != LOCAL_RECEIVER and not is_public(address):
        raise NotPublicAddress(f"{WEBHOOK_URL_RULE}; {host} is not a public address")
    if parts.scheme == "http" and address != LOCAL_RECEIVER:
        raise ValueError(WEBHOOK_URL_RULE)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), target, address)


def _address(host: str) -> IPAddress | None:
    try:
        return literal_address(host)
    except ValueError as error:
        raise ValueError(f"{WEBHOOK_URL_RULE}; {error}") from None


def _public_name(host: str) -> str:
    """``host`` without its trailing dot, if it may name a public receiver; else ValueError. A
    name is resolved at each delivery, where its addresses are judged (DNS can change)."""
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if len(name) > MAX_HOST_LENGTH or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{WEBHOOK_URL_RULE}; the host is not a valid name")
    if len(labels) < 2 or labels[-1] in INTERNAL_SUFFIXES:
        raise ValueError(f"{WEBHOOK_URL_RULE}; {host} is an internal name")
    return name


def webhook_url(value: str | None) -> str | None:
    """A URL status changes may be POSTed to, or ValueError saying what is wrong with it."""
    if value is None:
        return None
    parse_webhook_url(value)
    return value


class WebhookAttempt(BaseModel):
    """One POST of one status change, as recorded on the order (``Order.webhookDeliveries``,
    keyed by the status change's seq)."""

    model_config = ConfigDict(frozen=True)

    status: str  # the order status this delivery carried
    attempt: int  # 1 for the first POST, then one more per retry
    atMs: int
    httpStatus: int | None = None  # what the receiver answered (None: no answer)
    error: str | None = None  # why it did not count as delivered: a coarse outcome (docs/webhooks.md)
    outcome: str  # delivered | retrying | gave up


# ---------------------------------------------------------------- what an attempt records
# Coarse outcomes only: the order (and so its owner) never sees a socket's own error text, which
# would tell what listens where ("Connection refused" here, a TLS error there).
INVALID_URL = "refused: not a valid webhook URL"
NOT_PUBLIC = "refused: not a public address"
LOCAL_CLOUD_PORT = "refused: a port of the local cloud's own services, not a receiver"  # only when 127.0.0.1 receivers are allowed
NO_PUBLIC_ADDRESS = "refused: no public address for the host"  # no answer, or not a public one: alike
CONNECTION_FAILED = "connection failed"  # refused, reset, unreachable
TLS_FAILED = "TLS failed"  # no handshake, or a certificate that is not the host's
NO_HTTP_ANSWER = "no valid HTTP answer"
DELIVERY_FAILED = "delivery failed"  # anything else (the log says what)


def no_answer_within(timeout_s: float) -> str:
    return f"no answer within {timeout_s:g} s"


class DeliveryFailed(Exception):
    """A POST that got no HTTP answer; ``reason`` is the coarse outcome to record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StreamExpired(Exception):
    """The orders stream no longer keeps the records a redrive asked for (24 h)."""
