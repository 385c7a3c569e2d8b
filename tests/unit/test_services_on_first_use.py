"""services._OnFirstUse: an AWS client or table made once, by the first call that needs it, however
many threads ask at once (the webhook sender's threads share its tables; boto3 makes nothing safely
from two threads)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from solroute.services import _OnFirstUse


class _Client:
    def call(self) -> str:
        return "answered"


def test_a_client_is_made_once_by_its_first_use_whatever_the_threads():
    made = []

    def make() -> _Client:
        made.append(threading.get_ident())
        time.sleep(0.01)  # a slow make: every thread arrives while the first is making it
        return _Client()

    lazy = _OnFirstUse(make, name="orders")
    assert lazy.name == "orders" and made == [], "a known attribute makes nothing"
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: lazy.call(), range(64)))
    assert answers == ["answered"] * 64 and len(made) == 1
