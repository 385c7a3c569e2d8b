"""Refuse the network: while `network_refused()` is open, creating a socket (other than a local
AF_UNIX one, as asyncio's loop makes for itself) or resolving a name raises NetworkRefused; each
attempt is recorded, and the block fails the test at its end if any is left, so a test whose
code caught the error fails all the same.

The same idea as pytest-socket, in a few lines and without a plugin: it also refuses name
lookups (getaddrinfo reaches DNS without a Python socket), and it is applied by marker."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


class NetworkRefused(RuntimeError):
    """Not an OSError: code that handles network errors must not take this for one and go on."""


@contextmanager
def network_refused() -> Iterator[list[str]]:
    attempts: list[str] = []

    def refuse(what: str) -> NetworkRefused:
        attempts.append(what)
        return NetworkRefused(f"unit tests may not reach the network ({what})")

    class GuardedSocket(socket.socket):
        def __new__(cls, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None):  # noqa: A002 - socket's names
            if family != socket.AF_UNIX:
                raise refuse(f"socket(family={family})")
            return super().__new__(cls, family, type, proto, fileno)

    def no_lookup(host, *args, **kwargs):
        raise refuse(f"name lookup of {host!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "socket", GuardedSocket)
        for lookup in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
            patch.setattr(socket, lookup, no_lookup)
        yield attempts
    if attempts:
        pytest.fail(f"a unit test may not reach the network; it tried: {'; '.join(attempts)}", pytrace=False)
