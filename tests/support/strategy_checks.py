"""What a strategy's parent promises (docs/guarantees.md, "Strategies"), checked on a settled
world: its children are ordinary orders (G1-G6 check them); these check the parent against them.

- S1: it never fills more than its total, and its totals are its children's: the confirmed
  children's amountIn add up to at most its amountIn and to its filledIn, their amountOut to its
  filledOut, their count to its filled; each child's entry says what the child ended as.
- S2: at most one child per slot, its id derived from the parent and the slot; the children in the
  store with its parentId are exactly the ones it lists.
- S3: one child in flight at a time: each child started after the one before it was final, and
  none is in flight once the parent has ended.
- S4: its final status matches its children: completed iff every slice filled; partially_filled
  iff some but not all; expired iff none (and not cancelled); cancelled only after a DELETE; a
  DELETE answered 200 ends it cancelled, and no child starts after it.
- S5: no parent stuck: each ends by its last slot (or its last child's start) plus G3's bound.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Mapping, Sequence

from solroute.models.order import Order, OrderStatus as S
from solroute.models.strategy import child_order_id

BOUND_MS = 20 * 60_000  # G3's bound for a child (docs/guarantees.md), with the rate-limit wait of a test's backlog


def check_strategies(orders: Mapping[str, Order], cancels: Sequence[tuple[str, int, object]], story: Callable[[Order], str]) -> None:
    for parent in orders.values():
        if parent.strategy is not None:
            children = sorted((o for o in orders.values() if o.parentId == parent.orderId), key=lambda o: o.slot or 0)
            deletes = [(at, answer) for order_id, at, answer in cancels if order_id == parent.orderId]
            _check_parent(parent, children, deletes, story(parent))


def _check_parent(parent: Order, children: list[Order], cancels: list[tuple[int, object]], story: str) -> None:
    s = parent.strategy
    assert s is not None
    listed = {c.orderId: c for c in s.children}
    confirmed = [c for c in children if c.status is S.CONFIRMED]
    # S2
    stored = [c.orderId for c in children]
    assert set(listed) == set(stored) and len(listed) == len(s.children), f"S2: listed {sorted(listed)}, stored {stored}: {story}"
    for child in children:
        assert child.slot is not None and child.orderId == child_order_id(parent.orderId, child.slot), f"S2: {child.orderId}: {story}"
        assert listed[child.orderId].slot == child.slot, f"S2: {story}"
    slots = [c.slot for c in s.children] + [k.slot for k in s.skipped]
    assert len(set(slots)) == len(slots) and all(0 <= slot < s.nextSlot for slot in slots), f"S2: slots {slots}: {story}"
    # S1
    filled_in = sum((c.amountIn for c in confirmed), Decimal(0))
    assert filled_in <= parent.amountIn, f"S1: filled {filled_in} of a total of {parent.amountIn}: {story}"
    assert (filled_in, len(confirmed)) == (s.filledIn, s.filled), f"S1: filled {s.filled} ({s.filledIn}), its children {filled_in}: {story}"
    assert sum((c.execution.amountOut for c in confirmed), Decimal(0)) == s.filledOut, f"S1: filledOut is not its children's: {story}"
    for child in children:
        entry = listed[child.orderId]
        assert (entry.status, entry.amountIn) == (child.status.value, child.amountIn), f"S1: {child.orderId} is {child.status.value}: {story}"
        assert child.status is not S.CONFIRMED or entry.amountOut == child.execution.amountOut, f"S1: {story}"
    # S3
    assert s.inflight is None, f"S3: ended with child {s.inflight} in flight: {story}"
    for before, after in zip(children, children[1:]):
        assert after.history[0].timestampMs >= before.statusAtMs, f"S3: {after.orderId} started before {before.orderId} was final: {story}"
    # S4
    cancelled, fills = parent.status is S.CANCELLED, f"{parent.status.value} with {s.filled}/{s.slices} filled: {story}"
    assert (parent.status is S.COMPLETED) == (not cancelled and s.filled == s.slices), f"S4: {fills}"
    assert (parent.status is S.PARTIALLY_FILLED) == (not cancelled and 0 < s.filled < s.slices), f"S4: {fills}"
    assert (parent.status is S.EXPIRED) == (not cancelled and s.filled == 0), f"S4: {fills}"
    if cancelled:
        assert any(at <= parent.statusAtMs for at, _ in cancels), f"S4: cancelled without a DELETE: {story}"
    answered = [at for at, answer in cancels if isinstance(answer, Order)]
    if answered:
        assert cancelled, f"S4: a DELETE was answered 200, and the parent ended {fills}"
        late = [c.slot for c in s.children if c.atMs > min(answered)]
        assert not late, f"S4: slots {late} started after a DELETE was answered at {min(answered)}: {story}"
    # S5
    last_start = max((c.atMs for c in s.children), default=0)
    assert parent.expiresAtMs is not None, f"S5: {story}"
    assert parent.statusAtMs <= max(parent.expiresAtMs, last_start) + BOUND_MS, f"S5: ended too late: {story}"
