"""Refuse the network: while `network_refused()` is open, the test's own code (its thread, and
every thread started from one of its threads) may not create a socket, other than a local AF_UNIX
one as asyncio's loop makes for itself, nor resolve a name: NetworkRefused is raised, and each
attempt is recorded, so the block fails the test at its end even if its code caught the error.

Threads already running when the block opens are let be: another lane's tests, run earlier in the
same process, may leave one finishing its work (a long poll retrying against a stopped endpoint),
and that is not the unit test reaching the network.

The same idea as pytest-socket, in a few lines and without a plugin: it also refuses name
lookups (getaddrinfo reaches DNS without a Python socket), and it is applied by marker."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

LOOKUPS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr")


class NetworkRefused(RuntimeError):
    """Not an OSError: code that handles network errors must not take this for one and go on."""


@contextmanager
def network_refused() -> Iterator[list[str]]:
    attempts: list[str] = []
    ours = {threading.get_ident()}  # the test's thread, and the threads its threads start
    real_start, real_lookups = threading.Thread.start, {name: getattr(socket, name) for name in LOOKUPS}

    def refuse(what: str) -> NetworkRefused:
        attempts.append(f"{what} in thread {threading.current_thread().name}")
        return NetworkRefused(f"unit tests may not reach the network ({what})")

    class GuardedSocket(socket.socket):
        def __new__(cls, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None):  # noqa: A002 - socket's names
            if family != socket.AF_UNIX and threading.get_ident() in ours:
                raise refuse(f"socket(family={family})")
            return super().__new__(cls, family, type, proto, fileno)

    def guarded(name: str):
        def lookup(host, *args, **kwargs):
            if threading.get_ident() in ours:
                raise refuse(f"name lookup of {host!r}")
            return real_lookups[name](host, *args, **kwargs)

        return lookup

    def start(thread: threading.Thread) -> None:
        if threading.get_ident() in ours:
            run = thread.run

            def run_as_ours() -> None:
                ours.add(threading.get_ident())
                try:
                    run()
                finally:
                    ours.discard(threading.get_ident())

            thread.run = run_as_ours  # type: ignore[method-assign]
        real_start(thread)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "socket", GuardedSocket)
        for name in LOOKUPS:
            patch.setattr(socket, name, guarded(name))
        patch.setattr(threading.Thread, "start", start)
        yield attempts
    if attempts:
        pytest.fail(f"a unit test may not reach the network; it tried: {'; '.join(attempts)}", pytrace=False)
