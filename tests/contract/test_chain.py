"""One chain port, two chains: every test runs on the simulated ledger chain and on the RPC chain
(the local validator, in process). What the executor relies on holds on both: a signed swap sent
twice lands once; lookup finds what landed and nothing else; expire answers None only for a
transaction that now never lands, and a landed one's outcome otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from solroute.dex.chain import SimulatedChain
from solroute.dex.randomness import Randomness
from solroute.logic.routing import build_transaction
from solroute.models.errors import NotFinalYet
from tests.fakes import InMemoryLedger
from tests.support.engine import RELIABLE
from tests.support.rpc_engine import build_rpc_engine


class Harness:
    """A chain and what a test needs around it: an order routed and signed, and time."""

    def __init__(self, kind: str) -> None:
        self.engine = build_rpc_engine()
        self.clock = self.engine.clock
        if kind == "ledger":
            self.chain = SimulatedChain(InMemoryLedger(), RELIABLE, Randomness(RELIABLE.seed), self.clock)
        else:
            self.chain = self.engine.chain

    def signed(self):
        order = self.engine.submit(amountIn="1.5")
        order = self.engine.orders.get(order.orderId)
        _, decision = self.engine.executor.router.route(order, self.clock.ms)
        return self.chain.sign(order, build_transaction(order, decision))

    def settle(self, call):
        """``call()`` until the chain can tell (time passes as the chain asks)."""
        for _ in range(1000):
            try:
                return call()
            except NotFinalYet as later:
                self.clock.ms = max(self.clock.ms + 1, later.at_ms)
        raise AssertionError("the chain never told")


@pytest.fixture(params=["ledger", "rpc"])
def harness(request) -> Harness:
    return Harness(request.param)


def test_a_swap_sent_twice_lands_once_and_lookup_finds_it(harness):
    swap = harness.signed()
    assert harness.settle(lambda: harness.chain.lookup(swap)) is None, "nothing landed before it is sent"
    first = harness.settle(lambda: harness.chain.send(swap, Decimal(0), 1))
    again = harness.settle(lambda: harness.chain.send(swap, Decimal(0), 2))
    assert first.status == again.status == "success" and first.signature == again.signature == swap.signature
    assert again.amountOut == first.amountOut, "the second send answers the first landing"
    assert harness.settle(lambda: harness.chain.lookup(swap)).amountOut == first.amountOut


def test_expire_of_a_swap_never_sent_answers_none_and_it_never_lands_after(harness):
    swap = harness.signed()
    assert harness.settle(lambda: harness.chain.expire(swap, harness.clock.ms)) is None
    with pytest.raises(Exception) as refused:  # the chain refuses or drops it: either way it never lands
        harness.settle(lambda: harness.chain.send(swap, Decimal(0), 1))
    assert "expired" in str(refused.value).lower()
    assert harness.settle(lambda: harness.chain.lookup(swap)) is None


def test_expire_of_a_landed_swap_answers_its_outcome(harness):
    swap = harness.signed()
    landed = harness.settle(lambda: harness.chain.send(swap, Decimal(0), 1))
    assert harness.settle(lambda: harness.chain.expire(swap, harness.clock.ms)) == landed
