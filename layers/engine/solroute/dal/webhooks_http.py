"""The webhook sender's HTTP client: it resolves a receiver's name once, and connects to the very
addresses the sender judged public (solroute.logic.webhooks), never to what a second lookup
would answer (DNS rebinding). TLS still verifies the certificate for the URL's host name, which
is also the SNI and the Host header. No redirect is followed (http.client never does) and no
proxy is read from the environment. A failure is raised as DeliveryFailed with a coarse reason;
the socket's own error rides along as its __cause__, for the operator's log only."""

from __future__ import annotations

import http.client
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolveTimeout
from functools import cache
from typing import Any, Callable

from solroute.models.addresses import IPAddress
from solroute.models.webhooks import (
    CONNECTION_FAILED,
    NO_HTTP_ANSWER,
    TLS_FAILED,
    DeliveryFailed,
    WebhookTarget,
    no_answer_within,
)

Connect = Callable[..., socket.socket]  # socket.create_connection's signature

@cache
def _resolvers() -> ThreadPoolExecutor:
    """getaddrinfo cannot be given a timeout: it runs on these threads, and a lookup that outlasts
    the POST's timeout is abandoned (its thread finishes on its own). Made on first use, as the
    TLS context is: every function imports this module, only the sender POSTs."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def resolve(host: str, port: int, timeout_s: float) -> list[str]:
    """Every address ``host`` has for TCP, as the resolver answers (OSError or TimeoutError)."""
    lookup = _resolvers().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        answers = lookup.result(timeout=timeout_s)
    except ResolveTimeout:
        raise TimeoutError(f"no DNS answer within {timeout_s:g} s") from None
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


class _Pinned:
    """An http.client connection whose TCP connection goes to ``addresses`` (in order, the first
    that answers), whatever its host name resolves to now."""

    def __init__(self, host: str, port: int, addresses: list[IPAddress], timeout: float, connect: Connect, **kwargs: Any) -> None:
        super().__init__(host, port, timeout=timeout, **kwargs)  # type: ignore[call-arg]
        self._addresses, self._connect = [str(a) for a in addresses], connect
        self._create_connection = self._connect_pinned

    def _connect_pinned(self, _where: tuple, timeout: float, source_address: Any = None) -> socket.socket:
        failure: OSError = ConnectionError("no address to connect to")
        for address in self._addresses:
            try:
                return self._connect((address, self.port), timeout, source_address)  # type: ignore[attr-defined]
            except OSError as error:
                failure = error
        raise failure


class PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    pass


class PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    pass


def post(
    target: WebhookTarget, addresses: list[IPAddress], body: bytes, headers: dict, timeout_s: float,
    tls: ssl.SSLContext | None = None, connect: Connect = socket.create_connection,
) -> int:  # fmt: skip
    """POST ``body`` to ``target`` at one of ``addresses``; the HTTP status it answered."""
    if target.scheme == "https":
        connection: http.client.HTTPConnection = PinnedHTTPSConnection(target.host, target.port, addresses, timeout_s, connect, context=tls or _tls())
    else:
        connection = PinnedHTTPConnection(target.host, target.port, addresses, timeout_s, connect)
    try:
        connection.request("POST", target.target, body=body, headers=headers)
        return connection.getresponse().status
    except TimeoutError as error:  # first: a timeout is an OSError too
        raise DeliveryFailed(no_answer_within(timeout_s)) from error
    except (ssl.SSLError, ssl.CertificateError) as error:
        raise DeliveryFailed(TLS_FAILED) from error
    except http.client.HTTPException as error:  # an answer that is not HTTP, or none before the close
        raise DeliveryFailed(NO_HTTP_ANSWER) from error
    except OSError as error:  # refused, reset, unreachable
        raise DeliveryFailed(CONNECTION_FAILED) from error
    finally:
        connection.close()
