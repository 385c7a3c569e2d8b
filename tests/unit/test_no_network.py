"""The unit lane cannot reach the network (tests/conftest.py): a unit test that opens a socket or
looks a name up is refused, and fails even if the code it runs catches the refusal."""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.no_network import NetworkRefused, network_refused


@pytest.mark.parametrize(
    "reach",
    [
        lambda: socket.socket(),
        lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM),
        lambda: socket.create_server(("127.0.0.1", 0)),
        lambda: socket.create_connection(("127.0.0.1", 9), timeout=1),
        lambda: socket.getaddrinfo("example.com", 443),
        lambda: socket.gethostbyname("example.com"),
        lambda: urllib.request.urlopen("http://127.0.0.1:9/", timeout=1),
    ],
    ids=["socket", "udp6", "listen", "connect", "getaddrinfo", "gethostbyname", "urlopen"],
)
def test_a_unit_test_that_reaches_for_the_network_is_refused_and_the_attempt_recorded(reach, network_attempts):
    with pytest.raises(NetworkRefused):
        reach()
    assert len(network_attempts) == 1
    network_attempts.clear()  # this test's attempt was the point: the fixture would fail it


def test_an_attempt_the_code_swallowed_still_fails_the_test():
    with pytest.raises(pytest.fail.Exception, match=r"may not reach the network; it tried: name lookup of '127\.0\.0\.1'"):
        with network_refused():  # what the unit lane wraps each test in
            try:
                socket.create_connection(("127.0.0.1", 9), timeout=1)
            except Exception:  # noqa: BLE001 - as careless code under test would
                pass


def test_asyncio_still_runs_on_its_local_socket_pair():
    """An event loop wakes itself through an AF_UNIX socket pair: local, never the network."""

    async def answer():
        await asyncio.sleep(0)
        return 42

    assert asyncio.run(answer()) == 42


def test_the_threads_a_unit_test_starts_are_refused_too(network_attempts):
    with ThreadPoolExecutor(2) as pool:
        refused = pool.submit(lambda: pytest.raises(NetworkRefused, socket.getaddrinfo, "example.com", 443)).result(10)
    assert refused.type is NetworkRefused and len(network_attempts) == 1
    network_attempts.clear()


# A thread another lane's test left running, started before any unit test (at collection): the
# guard lets it be (it is not the unit test's doing), where it would refuse the test's own.
_ask, _answered, _foreign = threading.Event(), threading.Event(), {}


def _left_running() -> None:
    # No timeout: the lanes collected before tests/unit may run for longer than any fixed wait
    # (a daemon thread, it ends with the run).
    if _ask.wait():
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
            _foreign["outcome"] = "opened"
        except Exception as error:  # noqa: BLE001 - the outcome is the point
            _foreign["outcome"] = repr(error)
        _answered.set()


threading.Thread(target=_left_running, daemon=True, name="left-running").start()


def test_a_thread_left_running_by_another_lane_is_not_refused(network_attempts):
    _ask.set()
    assert _answered.wait(10)
    assert _foreign == {"outcome": "opened"} and network_attempts == []
