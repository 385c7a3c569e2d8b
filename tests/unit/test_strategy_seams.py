"""One test per seam the strategy matrix and races found in the core (each failed before its fix)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solroute.dex.simulation import SimulationConfig
from solroute.models.order import Order, OrderStatus as S

from tests.world import World, check_guarantees

QUICK = SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0)


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "recurring", "amountPerRun": "1", "intervalSeconds": 60, "runs": 1},
        {"type": "twap", "amountIn": "2", "slices": 2, "intervalSeconds": 10, "maxRetries": 0},
    ],
    ids=["recurring-last-run", "twap-no-retries-left"],
)
def test_a_delete_that_cancels_the_pending_child_of_a_last_slot_cancels_the_parent(fields):
    """The DELETE cancels the pending child, then records it on the parent: recorded first as an
    ordinary unfilled slot, it used up the parent's slots and the parent ended expired (the DELETE
    answered 200 with status expired), as if its schedule had run out. The DELETE ends it."""
    world = World(QUICK)
    parent = world.submit(**fields)
    world._tick()  # the slot starts: its child is pending
    answer = world.cancel(parent)
    assert isinstance(answer, Order) and answer.status is S.CANCELLED, getattr(answer, "status", answer)
    assert "retried" not in answer.history[-1].message
    world.run()
    check_guarantees(world)
    assert world.orders.get(parent).status is S.CANCELLED
