import pytest
from hypothesis import given
from hypothesis import strategies as st
from solroute.logic.state_machine import TRANSITIONS, can_transition_to, transition
from solroute.models.errors import InvalidTransition
from solroute.models.order import Order
from solroute.models.order import OrderStatus as S

from tests.fakes import FakeClock

FINAL = {S.CONFIRMED, S.FAILED, S.EXPIRED, S.CANCELLED, S.COMPLETED, S.PARTIALLY_FILLED}
ALLOWED = {
    (S.OPEN, S.PENDING), (S.OPEN, S.EXPIRED), (S.OPEN, S.CANCELLED),
    (S.PENDING, S.ROUTING), (S.PENDING, S.FAILED), (S.PENDING, S.EXPIRED), (S.PENDING, S.CANCELLED), (S.PENDING, S.OPEN),
    (S.ROUTING, S.BUILDING), (S.ROUTING, S.FAILED), (S.ROUTING, S.OPEN),
    (S.BUILDING, S.SUBMITTED), (S.BUILDING, S.FAILED), (S.BUILDING, S.OPEN),
    (S.SUBMITTED, S.CONFIRMED), (S.SUBMITTED, S.FAILED), (S.SUBMITTED, S.OPEN),
    # A strategy's parent.
    (S.ACTIVE, S.ACTIVE), (S.ACTIVE, S.COMPLETED), (S.ACTIVE, S.PARTIALLY_FILLED), (S.ACTIVE, S.EXPIRED), (S.ACTIVE, S.CANCELLED),
}  # fmt: skip


def _order(status=S.PENDING, **fields):
    return Order(orderId="o", tokenIn="SOL", tokenOut="USDC", amountIn="1", slippage="0.01", createdAt="t", updatedAt="t", statusAtMs=0, status=status, **fields)


LIMIT = {"type": "limit", "limitPrice": "100", "expiresAtMs": 10**13}


@pytest.mark.parametrize("current", [S.PENDING, S.ROUTING, S.BUILDING, S.SUBMITTED])
def test_only_a_limit_order_goes_back_to_open(current):
    with pytest.raises(InvalidTransition):
        transition(_order(current), S.OPEN, "m", FakeClock())
    assert transition(_order(current, **LIMIT), S.OPEN, "m", FakeClock()).status is S.OPEN


STRATEGY = {"strategy": {"kind": "twap", "slices": 2, "sliceAmount": "1", "intervalSeconds": 30, "startMs": 0}}


@pytest.mark.parametrize("current", [S.OPEN, S.PENDING])
def test_only_a_strategy_parent_is_ever_active(current):
    with pytest.raises(InvalidTransition):
        transition(_order(current), S.ACTIVE, "m", FakeClock())
    with pytest.raises(InvalidTransition):  # a parent never becomes an order that executes
        transition(_order(S.ACTIVE, **STRATEGY), S.PENDING, "m", FakeClock())
    with pytest.raises(InvalidTransition):  # an order that is no parent cannot be made to look like one
        transition(_order(S.ACTIVE), S.COMPLETED, "m", FakeClock())
    assert transition(_order(S.ACTIVE, **STRATEGY), S.ACTIVE, "m", FakeClock()).seq == 2


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_forward_moves_and_failure_are_allowed(current, target):
    assert can_transition_to(current, target) == ((current, target) in ALLOWED)


def test_final_statuses_have_no_way_out():
    assert all(TRANSITIONS[s] == frozenset() for s in FINAL)
    assert {s for s in S if _order(s).is_final} == FINAL


@given(st.lists(st.sampled_from(list(S)), max_size=12), st.sampled_from([S.OPEN, S.PENDING]), st.booleans())
def test_every_path_keeps_the_rules_of_final_cancelled_and_expired(targets, start, limit):
    """Any sequence of attempted moves, from either starting status: a refused move changes
    nothing; nothing leaves a final status; cancelled and expired are reached only from open
    or pending; and a swap can only be built from routing, which a cancel never follows."""
    order, clock, path = _order(start, **(LIMIT if limit else {})), FakeClock(), [start]
    for target in targets:
        try:
            moved = transition(order, target, "m", clock)
        except InvalidTransition:
            assert target not in TRANSITIONS[order.status] or (target is S.OPEN and not limit)
            continue
        assert order.status not in FINAL, "moved out of a final status"
        if target in (S.CANCELLED, S.EXPIRED):
            assert order.status in (S.OPEN, S.PENDING)
        assert moved.seq == order.seq + 1 and moved.history[-1].status is target
        order = moved
        path.append(target)
    if S.CANCELLED in path or S.EXPIRED in path:
        assert path[-1] in (S.CANCELLED, S.EXPIRED) and S.BUILDING not in path[path.index(path[-1]):]
        last_cycle = path[max(i for i, s in enumerate(path) if s is S.OPEN) :] if S.OPEN in path else path
        assert S.SUBMITTED not in last_cycle, "a cancelled or expired order's last cycle never had a swap sent"


def test_a_transition_bumps_seq_and_appends_history():
    clock = FakeClock()
    after = transition(_order(), S.ROUTING, "routing", clock)
    assert (after.status, after.seq, after.statusAtMs) == (S.ROUTING, 2, clock.now_ms())
    assert [(h.status, h.seq, h.message) for h in after.history] == [(S.ROUTING, 2, "routing")]


def test_moving_backwards_raises():
    with pytest.raises(InvalidTransition):
        transition(_order(S.SUBMITTED), S.ROUTING, "back", FakeClock())


def test_the_cancellable_statuses_are_those_the_transitions_let_cancel():
    from solroute.models.status import CANCELLABLE  # beside the statuses, for the web console

    assert CANCELLABLE == {s for s in S if S.CANCELLED in TRANSITIONS[s]}
