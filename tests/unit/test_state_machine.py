import pytest

from solroute.logic.state_machine import TRANSITIONS, can_transition_to, transition
from solroute.models.errors import InvalidTransition
from solroute.models.order import Order, OrderStatus as S
from tests.fakes import FakeClock

ALLOWED = {
    (S.PENDING, S.ROUTING), (S.PENDING, S.FAILED),
    (S.ROUTING, S.BUILDING), (S.ROUTING, S.FAILED),
    (S.BUILDING, S.SUBMITTED), (S.BUILDING, S.FAILED),
    (S.SUBMITTED, S.CONFIRMED), (S.SUBMITTED, S.FAILED),
}  # fmt: skip


def _order(status=S.PENDING):
    return Order(orderId="o", tokenIn="SOL", tokenOut="USDC", amountIn="1", slippage="0.01", createdAt="t", updatedAt="t", statusAtMs=0, status=status)


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_forward_moves_and_failure_are_allowed(current, target):
    assert can_transition_to(current, target) == ((current, target) in ALLOWED)


def test_final_statuses_have_no_way_out():
    assert TRANSITIONS[S.CONFIRMED] == TRANSITIONS[S.FAILED] == frozenset()


def test_a_transition_bumps_seq_and_appends_history():
    clock = FakeClock()
    after = transition(_order(), S.ROUTING, "routing", clock)
    assert (after.status, after.seq, after.statusAtMs) == (S.ROUTING, 2, clock.now_ms())
    assert [(h.status, h.seq, h.message) for h in after.history] == [(S.ROUTING, 2, "routing")]


def test_moving_backwards_raises():
    with pytest.raises(InvalidTransition):
        transition(_order(S.SUBMITTED), S.ROUTING, "back", FakeClock())
