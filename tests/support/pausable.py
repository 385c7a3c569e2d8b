"""A delivery of an order on a thread of its own that pauses before its n-th call to a store or
the chain until the test releases it: how the race tests interleave two deliveries."""

from __future__ import annotations

import threading

from tests.world import World


class Pausable(threading.Thread):
    """A delivery on its own thread that stops before its n-th call until released."""

    def __init__(self, world: World, order_id: str, pause_at: int | None) -> None:
        super().__init__(daemon=True)
        self.world, self.order_id, self.pause_at = world, order_id, pause_at
        self.calls = 0
        self.paused, self.resume, self.done = threading.Event(), threading.Event(), threading.Event()
        self.outcome = None

    def on_call(self) -> None:
        self.calls += 1
        if self.calls == self.pause_at:
            self.paused.set()
            assert self.resume.wait(10), "never resumed"

    def run(self) -> None:
        try:
            self.outcome = self.world.executor.process(self.order_id, 1)
        finally:
            self.done.set()

    def until_paused_or_done(self) -> None:
        self.start()
        for _ in range(1000):
            if self.paused.wait(0.01) or self.done.is_set():
                return
        raise AssertionError("delivery neither paused nor finished")
