"""Signed webhooks: every status change of an order that names a ``webhookUrl`` (or whose API key
has a default one) is POSTed there as the JSON the WebSocket sends, signed per API key.

Two hops, both off the execution path (docs/webhooks.md):

1. The orders table's stream, filtered to status changes of orders that have a webhook (an
   order without one never invokes anything), turns each change into a delivery message on
   the webhook queue: the exact ``status_update`` JSON, with where to send it.
2. The sender POSTs it with a short timeout, signed ``X-Solroute-Signature: t=<unix>,v1=<hex>``
   (HMAC-SHA256 over ``f"{t}.{body}"`` with the key's webhook secret), records the attempt on
   the order (a write that is not a status change, so it neither broadcasts nor re-triggers
   the stream filter), and on failure hides the message for an exponential backoff (SQS
   visibility), up to a number of attempts; then it gives up.

A key's webhook secret is derived, never stored: HMAC-SHA256(deployment master, keyId). The
master is one item of the API keys table, made on first use."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets as random_secrets
import threading
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from solroute.logic.backoff import backoff_seconds
from solroute.logic.broadcast import status_update
from solroute.models.addresses import IPAddress, is_public, parse_address
from solroute.models.keys import Principal
from solroute.models.order import Order
from solroute.models.webhooks import (
    DELIVERY_FAILED,
    INVALID_URL,
    LOCAL_CLOUD_PORT,
    LOCAL_RECEIVER,
    NO_PUBLIC_ADDRESS,
    NOT_PUBLIC,
    DeliveryFailed,
    NotPublicAddress,
    WebhookAttempt,
    WebhookTarget,
    parse_webhook_url,
)
from solroute.ports import Clock, DeliveryLog, MasterStore, Post, Resolve

logger = Logger(child=True)

SIGNATURE_HEADER = "X-Solroute-Signature"
DELIVERY_HEADER = "X-Solroute-Delivery"  # orderId:seq, the same on every attempt: receivers dedupe on it
ATTEMPT_HEADER = "X-Solroute-Attempt"
SECRET_PREFIX = "whsec_"
MASTER_BYTES = 32
SIGNATURE_TOLERANCE_SECONDS = 300  # what docs/webhooks.md tells receivers to allow
USER_AGENT = "solroute-webhooks/1"
DELIVERED, RETRYING, GAVE_UP = "delivered", "retrying", "gave up"


# ---------------------------------------------------------------- signing
def new_master() -> bytes:
    return random_secrets.token_bytes(MASTER_BYTES)


def derive_secret(master: bytes, key_id: str) -> str:
    """The webhook secret of one API key: the same for every order the key submits."""
    return SECRET_PREFIX + hmac.new(master, b"solroute-webhook:" + key_id.encode(), hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The X-Solroute-Signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, now_seconds: int, tolerance_seconds: int = SIGNATURE_TOLERANCE_SECONDS) -> bool:
    """What a receiver does (docs/webhooks.md has the same in a dozen lines): the header's
    timestamp is recent, and one of its v1 signatures matches, compared in constant time."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [v for k, v in fields if k.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now_seconds - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v.strip()) for k, v in fields if k.strip() == "v1")


class WebhookSecrets:
    """Each key's secret from the master, which is read once per container (one GetItem, and one
    conditional PutItem the very first time any container needs it)."""

    def __init__(self, master: MasterStore) -> None:
        self._store, self._master = master, b""
        self._lock = threading.Lock()  # a batch's POSTs are signed by threads at once: one read between them

    def secret_for(self, key_id: str) -> str:
        if not self._master:
            with self._lock:
                if not self._master:
                    self._master = self._store.get_or_create(new_master())
        return derive_secret(self._master, key_id)


# ---------------------------------------------------------------- submission
def webhook_fields(request: Any, caller: Principal) -> dict:
    """What an order with a webhook records about it: the URL (the order's own, or else its key's
    default) and the key that submitted it, whose secret signs the deliveries. An order without
    one records nothing (not a byte more to write at each status change)."""
    url = getattr(request, "webhookUrl", None) or caller.webhook_url
    return {"webhookUrl": url, "keyId": caller.key_id, "webhookDeliveries": {}} if url else {}


# ---------------------------------------------------------------- the stream hop
def delivery_message(order: Order) -> dict:
    """One status change to deliver: the exact WebSocket ``status_update`` JSON, and where to."""
    payload = json.dumps(status_update(order), separators=(",", ":"))
    return {"orderId": order.orderId, "seq": order.seq, "status": order.status.value, "url": order.webhookUrl, "keyId": order.keyId, "payload": payload}


# ---------------------------------------------------------------- the sender


@dataclass(frozen=True)
class Verdict:
    attempt: WebhookAttempt
    retry_in_s: int | None = None  # None: done with this message (delivered or given up)


@dataclass(frozen=True)
class _Failure:
    reason: str
    final: bool = False  # True: give up now (no retry can change it)


class WebhookSender:
    """POSTs a delivery to public addresses only (solroute.models.addresses): a literal address
    is judged as written, a name by every address it resolves to, and the connection goes to the
    addresses judged. The one exception, for the local cloud's receivers: ``http://127.0.0.1``
    written as such, when ``local_receivers`` is on, at a port not in ``closed_local_ports`` (the
    local cloud's own services: a webhook must never invoke a function)."""

    def __init__(
        self,
        secrets: WebhookSecrets,
        log: DeliveryLog,
        clock: Clock,
        post: Post,
        resolve: Resolve,
        max_attempts: int = 5,
        backoff_base_seconds: float = 2.0,
        timeout_seconds: float = 3.0,
        local_receivers: bool = False,
        closed_local_ports: frozenset[int] = frozenset(),
    ) -> None:
        self.secrets, self.log, self.clock, self.post, self.resolve = secrets, log, clock, post, resolve
        self.local_receivers, self.closed_local_ports = local_receivers, closed_local_ports
        self.max_attempts, self.backoff_base, self.timeout = max_attempts, backoff_base_seconds, timeout_seconds

    def deliver(self, message: dict, attempt: int) -> Verdict:
        """POST one delivery message (``attempt``: SQS's ApproximateReceiveCount) and record how it went."""
        order_id, seq, status = str(message["orderId"]), int(message["seq"]), str(message["status"])
        http_status, (target, failure) = None, self._judge(message, attempt)
        if target is not None:
            http_status, failure = self._post(target, message, attempt)
        retry = None if failure is None or failure.final or attempt >= self.max_attempts else backoff_seconds(attempt, self.backoff_base)
        outcome = DELIVERED if failure is None else RETRYING if retry is not None else GAVE_UP
        error = None if failure is None else failure.reason
        record = WebhookAttempt(status=status, attempt=attempt, atMs=self.clock.now_ms(), httpStatus=http_status, error=error, outcome=outcome)
        try:
            self.log.record(order_id, seq, record, self.max_attempts)
        except Exception as lost:  # noqa: BLE001 - the POST happened; never send it again for a lost note
            logger.warning("could not record a webhook attempt", extra={"order_id": order_id, "seq": seq, "error": str(lost)})
        log = logger.info if failure is None else logger.warning
        log("webhook " + outcome, extra={"order_id": order_id, "seq": seq, "attempt": attempt, "http_status": http_status, "error": error, "retry_in_s": retry})
        return Verdict(record, retry)

    def _judge(self, message: dict, attempt: int) -> tuple[WebhookTarget | None, _Failure | None]:
        """Where to POST this message, or why it is not to be sent at all (nor ever: no retry)."""
        if attempt > self.max_attempts:  # a sender that crashed after posting: never past the limit
            return None, _Failure("no attempts left", final=True)
        if not message.get("keyId"):
            return None, _Failure("the order names no API key to sign with", final=True)
        try:
            target = parse_webhook_url(str(message["url"]))  # stored under an older rule, maybe
        except NotPublicAddress:
            return None, _Failure(NOT_PUBLIC, final=True)
        except ValueError:
            return None, _Failure(INVALID_URL, final=True)
        if target.address is None or self._may_reach_literal(target.address, target.port):
            return target, None
        if self.local_receivers and target.address == LOCAL_RECEIVER:  # the local cloud's own user: say which rule
            return None, _Failure(LOCAL_CLOUD_PORT, final=True)
        return None, _Failure(NOT_PUBLIC, final=True)

    def _may_reach_literal(self, address: IPAddress, port: int) -> bool:
        if self.local_receivers and address == LOCAL_RECEIVER:
            return port not in self.closed_local_ports
        return is_public(address)

    def _addresses(self, target: WebhookTarget) -> list[IPAddress] | None:
        """Where to connect: the literal address, or every address the name has if all are public
        (a name with one private address among public ones is refused: it is no receiver's)."""
        if target.address is not None:
            return [target.address]
        try:
            found = [parse_address(a) for a in self.resolve(target.host, target.port, self.timeout)]
        except (OSError, ValueError) as error:
            logger.info("webhook host did not resolve", extra={"host": target.host, "detail": repr(error)})
            return None
        if not found or not all(is_public(a) for a in found):
            logger.warning("webhook host has an address that is not public", extra={"host": target.host, "addresses": [str(a) for a in found]})
            return None
        return found

    def _post(self, target: WebhookTarget, message: dict, attempt: int) -> tuple[int | None, _Failure | None]:
        addresses = self._addresses(target)
        if addresses is None:  # DNS can change: retried like any other failed attempt
            return None, _Failure(NO_PUBLIC_ADDRESS)
        body = str(message["payload"]).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(self.secrets.secret_for(str(message["keyId"])), body, self.clock.now_ms() // 1000),
            DELIVERY_HEADER: f"{message['orderId']}:{message['seq']}",
            ATTEMPT_HEADER: str(attempt),
        }
        try:
            code = self.post(target, addresses, body, headers, self.timeout)
        except DeliveryFailed as failed:
            logger.info("webhook POST failed", extra={"order_id": message["orderId"], "reason": failed.reason, "detail": repr(failed.__cause__)})
            return None, _Failure(failed.reason)
        except Exception:  # noqa: BLE001 - one delivery's surprise is not its batch's: recorded, retried
            logger.exception("webhook POST raised", extra={"order_id": message["orderId"]})
            return None, _Failure(DELIVERY_FAILED)
        return code, None if 200 <= code < 300 else _Failure(f"HTTP {code}")
