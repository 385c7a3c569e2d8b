"""Strategy orders (TWAP, recurring) end to end in the in-memory engine: the API's submission,
the trigger's ticks, the consumer and the chain, on a fake clock (tests/world.py).
docs/strategies.md is what these check."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solroute.logic.broadcast import status_data
from solroute.models.errors import InvalidRequest, TooManyStrategies
from solroute.models.order import OrderStatus as S
from solroute.models.requests import ExecuteOrderRequest
from solroute.models.strategy import child_order_id
from pydantic import ValidationError

from tests.fakes import TEST_CALLER
from tests.world import World

TWAP = {"type": "twap", "amountIn": "10", "slices": 5, "intervalSeconds": 30}


def _children(world: World, parent_id: str) -> list:
    return sorted((o for o in world.orders.items.values() if o.parentId == parent_id), key=lambda o: o.slot)


def _place(world: World, **fields) -> str:
    order = world.submission.submit(ExecuteOrderRequest(**{"tokenIn": "SOL", "tokenOut": "USDC", **fields}), TEST_CALLER)
    return order.orderId


def test_a_twap_runs_its_slices_one_interval_apart_and_completes_with_its_totals():
    world = World()
    parent_id = _place(world, **TWAP)
    start_ms = world.orders.items[parent_id].strategy.startMs
    world.run()
    parent, children = world.orders.items[parent_id], _children(world, parent_id)
    s = parent.strategy
    assert parent.status is S.COMPLETED and s.filled == 5 and s.filledIn == Decimal(10)
    assert [c.slot for c in children] == [0, 1, 2, 3, 4] and all(c.status is S.CONFIRMED for c in children)
    assert [c.orderId for c in children] == [child_order_id(parent_id, slot) for slot in range(5)], "ids derived from the parent and the slot"
    late = [c.history[0].timestampMs - start_ms - c.slot * 30_000 for c in children]
    assert all(0 <= ms <= 1_000 for ms in late), f"each slice on the interval's grid, at the first tick once due: {late}"
    assert s.filledOut == sum(c.execution.amountOut for c in children)
    assert s.fees == sum(c.execution.fee for c in children)
    assert s.averagePrice == (s.filledOut / s.filledIn).quantize(Decimal("1e-12")).normalize()
    assert s.arrivalPrice is not None and s.shortfallBps == ((s.arrivalPrice - s.averagePrice) / s.arrivalPrice * 10_000).quantize(Decimal("0.01"))
    messages = [h.message for h in parent.history]
    assert messages[0].startswith("TWAP active") and "Slice 3/5 filled" in " ".join(messages)
    assert messages[-1].startswith("Slice 5/5 filled") and "Completed: 5/5 filled" in messages[-1] and "bps shortfall" in messages[-1]
    assert [h.seq for h in parent.history] == list(range(1, parent.seq + 1))


def test_the_last_slice_spends_what_is_left_so_the_parent_fills_exactly_its_total():
    world = World()
    parent_id = _place(world, type="twap", amountIn="10", slices=3, intervalSeconds=10)
    world.run()
    children = _children(world, parent_id)
    assert [c.amountIn for c in children] == [Decimal("3.333333333"), Decimal("3.333333333"), Decimal("3.333333334")]
    assert world.orders.items[parent_id].strategy.filledIn == Decimal(10)


def test_slice_amount_and_duration_are_the_other_way_to_say_the_schedule():
    world = World()
    parent_id = _place(world, type="twap", amountIn="10", sliceAmount="4", durationSeconds=90)
    world.run()
    parent, children = world.orders.items[parent_id], _children(world, parent_id)
    assert (parent.strategy.slices, parent.strategy.intervalSeconds) == (3, 30)
    assert [c.amountIn for c in children] == [Decimal(4), Decimal(4), Decimal(2)]


def test_a_twap_whose_limit_the_market_never_pays_skips_each_slot_up_to_its_retries_and_expires():
    world = World()
    parent_id = _place(world, type="twap", amountIn="10", slices=5, intervalSeconds=30, limitPrice="1000000", maxRetries=2)
    world.run()
    parent = world.orders.items[parent_id]
    assert parent.status is S.EXPIRED and _children(world, parent_id) == []
    assert [k.slot for k in parent.strategy.skipped] == [0, 1, 2], "retried at each interval: two retries, then the third unfilled slot ends it"
    assert all("is below the limit 1000000" in k.reason for k in parent.strategy.skipped)
    assert "Expired: nothing was filled" in parent.history[-1].message


def test_a_twap_slice_carries_its_limit_to_the_child_as_the_least_it_may_receive():
    world = World()
    parent_id = _place(world, type="twap", amountIn="2", slices=2, intervalSeconds=10, limitPrice="0.000001")
    world.run()
    child = _children(world, parent_id)[0]
    assert child.quote is not None and child.quote.minAmountOut == Decimal("0.000001")
    assert world.orders.items[parent_id].status is S.COMPLETED


def test_a_recurring_order_runs_each_interval_and_skips_a_run_outside_its_band():
    world = World()
    parent_id = _place(world, type="recurring", tokenIn="USDC", tokenOut="SOL", amountPerRun="50", intervalSeconds=60, runs=3)
    world.run()
    parent, children = world.orders.items[parent_id], _children(world, parent_id)
    assert parent.status is S.COMPLETED and parent.amountIn == Decimal(150) and [c.amountIn for c in children] == [Decimal(50)] * 3
    banded_id = _place(world, type="recurring", tokenIn="USDC", tokenOut="SOL", amountPerRun="50", intervalSeconds=60, runs=2, maxPrice="0.0000001")
    world.run()
    banded = world.orders.items[banded_id]
    assert banded.status is S.EXPIRED and _children(world, banded_id) == [], "every run's price was above the band: skipped, never retried"
    assert [k.slot for k in banded.strategy.skipped] == [0, 1] and "is above the maxPrice" in banded.strategy.skipped[0].reason


def test_a_key_has_at_most_its_cap_of_active_strategies():
    world = World()
    world.submission.max_strategies_per_key = 1
    _place(world, **TWAP)
    with pytest.raises(TooManyStrategies, match="KeyMaxActiveStrategies"):
        _place(world, **TWAP)
    world.run()
    _place(world, **TWAP)  # the first ended: room again


def test_cancel_with_no_child_in_flight_ends_the_parent_and_no_slot_starts_after():
    world = World()
    parent_id = _place(world, type="twap", amountIn="10", slices=5, intervalSeconds=30)
    world.run(horizon_ms=40_000)  # two slices filled, the third not yet due
    assert world.orders.items[parent_id].strategy.inflight is None
    cancelled = world.cancel(parent_id)
    assert cancelled.status is S.CANCELLED and cancelled.strategy.filled == 2
    world.run()
    assert len(_children(world, parent_id)) == 2 and world.orders.items[parent_id].status is S.CANCELLED
    assert "Cancelled: 2/5 filled" in world.orders.items[parent_id].history[-1].message


def test_cancel_while_a_child_is_pending_cancels_the_child_with_it():
    world = World()
    parent_id = _place(world, type="twap", amountIn="10", slices=5, intervalSeconds=30)
    world._tick()  # the first slot starts: its child is queued, not yet routed
    child_id = world.orders.items[parent_id].strategy.inflight
    assert world.orders.items[child_id].status is S.PENDING
    cancelled = world.cancel(parent_id)
    assert cancelled.status is S.CANCELLED and world.orders.items[child_id].status is S.CANCELLED
    assert cancelled.strategy.children[0].status == "cancelled" and cancelled.strategy.inflight is None
    world.run()
    assert len(_children(world, parent_id)) == 1


def test_cancel_while_a_child_is_routing_lets_it_finish_and_counts_its_fill():
    world = World()
    parent_id = _place(world, type="twap", amountIn="10", slices=5, intervalSeconds=30)
    world._tick()
    child_id = world.orders.items[parent_id].strategy.inflight
    child = world.orders.items[child_id]
    world.orders.items[child_id] = child.model_copy(update={"status": S.ROUTING})  # the consumer took it
    asked = world.cancel(parent_id)
    assert asked.status is S.ACTIVE and asked.strategy.cancelRequested and asked.strategy.inflight == child_id
    assert "Cancel requested" in asked.history[-1].message
    world.orders.items[child_id] = child  # let the engine run it from pending for real
    world.run()
    parent = world.orders.items[parent_id]
    assert parent.status is S.CANCELLED and parent.strategy.filled == 1 and len(_children(world, parent_id)) == 1
    assert world.cancel(parent_id).__class__.__name__ == "NotCancellable"


def test_a_slot_whose_child_was_never_made_makes_the_same_child_at_the_next_look():
    world = World()
    parent_id = _place(world, **TWAP)
    create = world.orders.create
    world.orders.create = lambda order: (_ for _ in ()).throw(RuntimeError("the run died"))  # type: ignore[method-assign]
    world._tick()
    world.orders.create = create  # type: ignore[method-assign]
    parent = world.orders.items[parent_id]
    assert parent.strategy.inflight == child_order_id(parent_id, 0) and parent.strategy.inflight not in world.orders.items
    world.run()
    assert [c.slot for c in _children(world, parent_id)] == [0, 1, 2, 3, 4] and world.orders.items[parent_id].status is S.COMPLETED


def test_a_duplicate_look_at_a_started_slot_makes_no_second_child_and_no_second_message():
    world = World()
    parent_id = _place(world, **TWAP)
    world._tick()
    runner = world.trigger.strategies
    parent = world.orders.items[parent_id]
    fill = parent.strategy.children[0]
    sent = world.calls.counts.get("queue.send", 0)
    runner._launch(parent, fill)  # the same slot launched again: the child exists
    assert len(_children(world, parent_id)) == 1
    assert world.calls.counts.get("queue.send", 0) == sent, "not queued twice"


def test_a_parent_push_carries_its_totals_and_the_child_it_is_about_without_the_lists():
    world = World()
    parent_id = _place(world, **TWAP)
    world.run(horizon_ms=5_000)
    parent = world.orders.items[parent_id]
    data = status_data(parent)
    assert set(data) == {"strategy", "child", "skip"} and "children" not in data["strategy"] and "skipped" not in data["strategy"]
    assert data["child"]["orderId"] == child_order_id(parent_id, 0) and data["child"]["status"] == "confirmed" and data["skip"] is None
    assert data["strategy"]["filledIn"] == "2"


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"type": "twap", "amountIn": "10", "slices": 5}, "intervalSeconds or durationSeconds"),
        ({"type": "twap", "amountIn": "10", "slices": 5, "intervalSeconds": 30, "sliceAmount": "2"}, "slices or sliceAmount"),
        ({"type": "twap", "amountIn": "10", "slices": 1, "intervalSeconds": 30}, "greater than or equal to 2"),
        ({"type": "twap", "amountIn": "10", "slices": 101, "intervalSeconds": 30}, "less than or equal to 100"),
        ({"type": "twap", "amountIn": "10", "sliceAmount": "0.01", "intervalSeconds": 30}, "a twap has 2 to 100"),
        ({"type": "twap", "amountIn": "10", "slices": 5, "intervalSeconds": 5}, "at least 10 s apart"),
        ({"type": "twap", "amountIn": "10", "slices": 5, "intervalSeconds": 30, "jitterSeconds": 8}, "a quarter of the interval"),
        ({"type": "twap", "amountIn": "10", "slices": 5, "intervalSeconds": 30, "runs": 3}, "runs does not belong to a twap"),
        ({"type": "twap", "amountIn": "10", "slices": 5, "intervalSeconds": 30, "deadline": "30"}, "deadline does not belong"),
        ({"type": "recurring", "amountIn": "50", "intervalSeconds": 60, "runs": 3}, "send amountPerRun, not amountIn"),
        ({"type": "recurring", "amountPerRun": "50", "intervalSeconds": 59, "runs": 3}, "intervalSeconds of at least 60"),
        ({"type": "recurring", "amountPerRun": "50", "intervalSeconds": 60}, "runs or endsAt"),
        ({"type": "recurring", "amountPerRun": "50", "intervalSeconds": 60, "runs": 3, "limitPrice": "1"}, "limitPrice does not belong"),
        ({"type": "recurring", "amountPerRun": "50", "intervalSeconds": 60, "runs": 3, "minPrice": "2", "maxPrice": "1"}, "minPrice must not be above"),
        ({"type": "recurring", "amountPerRun": "1.0000000001", "intervalSeconds": 60, "runs": 3}, "amountPerRun: has more than 9 decimal places"),
        ({"type": "recurring", "intervalSeconds": 60, "runs": 3}, "a recurring order needs amountPerRun"),
        ({"type": "recurring", "amountPerRun": "1e30", "intervalSeconds": 60, "runs": 3}, "amountPerRun: must be at most"),
        ({"type": "recurring", "amountPerRun": "5", "intervalSeconds": 60, "runs": 3, "maxPrice": "0"}, "0 < price <= 1000000000000 (tokenOut per tokenIn)"),
        ({"type": "market", "amountIn": "1", "slices": 3}, "belong to strategy orders"),
        ({"type": "twap", "amountIn": "10", "slices": 5.0, "intervalSeconds": 30}, "whole number"),
    ],
)
def test_a_strategy_request_that_cannot_run_is_a_400_that_says_why(fields, fragment):
    with pytest.raises(ValidationError) as caught:
        ExecuteOrderRequest(**{"tokenIn": "SOL", "tokenOut": "USDC", **fields})
    assert any(fragment in e["msg"] for e in caught.value.errors()), caught.value.errors()


def test_a_recurring_order_until_a_time_makes_the_runs_that_fit_and_refuses_too_many_or_none():
    world = World()
    now_s = world.clock.now_ms() // 1000
    from datetime import datetime, timezone

    def at(seconds: int) -> str:
        return datetime.fromtimestamp(now_s + seconds, timezone.utc).isoformat()

    parent_id = _place(world, type="recurring", tokenIn="USDC", tokenOut="SOL", amountPerRun="5", intervalSeconds=60, endsAt=at(150))
    assert world.orders.items[parent_id].strategy.slices == 3
    with pytest.raises(InvalidRequest, match="at most 100"):
        _place(world, type="recurring", tokenIn="USDC", tokenOut="SOL", amountPerRun="5", intervalSeconds=60, endsAt=at(60 * 200))
    with pytest.raises(InvalidRequest, match="already passed"):
        _place(world, type="recurring", tokenIn="USDC", tokenOut="SOL", amountPerRun="5", intervalSeconds=60, endsAt=at(-5))


# ---------------------------------------------------------------- sniper orders
class Launches:
    """The launches port as the sniper sees it: a token's pools, and their depth, now."""

    def __init__(self) -> None:
        self.by_symbol: dict[str, list] = {}
        self.reads = 0

    def pools(self, symbol: str) -> list:
        self.reads += 1
        return list(self.by_symbol.get(symbol, []))


def _sniper_world() -> tuple[World, Launches]:
    world = World()
    launches = Launches()
    world.trigger.strategies.launches = launches
    return world, launches


def _snipe(world: World, **fields) -> str:
    from solroute.models.requests import SniperRequest

    body = {"type": "sniper", "tokenIn": "SOL", "tokenOut": "BONK", "amountIn": "1", "maxPrice": "1", "timeInForceSeconds": 600, **fields}
    return world.submission.submit(SniperRequest(**body), TEST_CALLER).orderId


def test_a_sniper_watches_writing_nothing_until_its_pool_appears_then_buys_once():
    from solroute.ports import LaunchedPool

    world, launches = _sniper_world()
    parent_id = _snipe(world)
    for _ in range(5):
        world._tick()
        world.clock.advance(1)
    parent = world.orders.items[parent_id]
    assert parent.seq == 1 and _children(world, parent_id) == [] and launches.reads == 5, "watching: one look a tick, no write"
    launches.by_symbol["BONK"] = [LaunchedPool("raydium", "BONK", "SOL", Decimal(1000))]
    world.run()
    parent, children = world.orders.items[parent_id], _children(world, parent_id)
    assert parent.status is S.COMPLETED and len(children) == 1 and children[0].status is S.CONFIRMED
    assert "Snipe fired: BONK pool on raydium holds 1000 SOL" in parent.history[1].message
    assert children[0].quote.minAmountOut == Decimal(1), "at most maxPrice SOL per BONK: at least 1 BONK for 1 SOL"


def test_a_sniper_waits_for_its_liquidity_and_its_price_and_expires_if_neither_comes():
    from solroute.ports import LaunchedPool

    world, launches = _sniper_world()
    deep_id = _snipe(world, minLiquidity="5000")
    cheap_id = _snipe(world, maxPrice="0.0000000001")  # BONK never gets that cheap
    launches.by_symbol["BONK"] = [LaunchedPool("meteora", "BONK", "SOL", Decimal(1000))]
    for _ in range(3):
        world._tick()
        world.clock.advance(1)
    assert _children(world, deep_id) == [] and _children(world, cheap_id) == [], "too shallow; too dear"
    launches.by_symbol["BONK"] = [LaunchedPool("meteora", "BONK", "SOL", Decimal(6000))]
    world.run()
    assert world.orders.items[deep_id].status is S.COMPLETED
    cheap = world.orders.items[cheap_id]
    assert cheap.status is S.EXPIRED and _children(world, cheap_id) == [] and "nothing was bought" in cheap.history[-1].message


def test_a_sniper_only_fires_on_its_venues():
    from solroute.ports import LaunchedPool

    world, launches = _sniper_world()
    parent_id = _snipe(world, dexes=["meteora"], timeInForceSeconds=30)
    launches.by_symbol["BONK"] = [LaunchedPool("raydium", "BONK", "SOL", Decimal(10**6))]
    world.run()
    assert world.orders.items[parent_id].status is S.EXPIRED and _children(world, parent_id) == []


def test_a_sniper_request_may_name_a_token_not_launched_yet_but_not_a_malformed_one():
    from solroute.models.requests import SniperRequest

    body = {"type": "sniper", "tokenIn": "USDC", "amountIn": "100", "maxPrice": "0.5"}
    assert SniperRequest(**body, tokenOut="newt").tokenOut == "NEWT"
    for bad, fragment in (("n", "token symbol"), ("NEW-T", "token symbol"), ("USDC", "must differ")):
        with pytest.raises(ValidationError, match=fragment):
            SniperRequest(**body, tokenOut=bad)
    with pytest.raises(ValidationError, match="decimal places"):
        SniperRequest(**{**body, "amountIn": "1.0000001"}, tokenOut="NEWT")
    with pytest.raises(ValidationError, match="0 < maxPrice <= 1000000000000 \\(tokenIn per tokenOut"):
        SniperRequest(**{**body, "maxPrice": "0"}, tokenOut="NEWT")


def test_a_run_keeps_ticking_for_a_strategy_due_soon_and_ends_when_the_next_is_far_off():
    """An hourly run leaves the trigger to its schedule (a run a minute); a slot due within the
    horizon keeps the run ticking so it starts on time. Neither counts as an open limit order."""
    world = World()
    hourly = _place(world, type="recurring", tokenIn="USDC", tokenOut="SOL", amountPerRun="5", intervalSeconds=3600, runs=2)
    world.run(horizon_ms=10_000)  # its first run fills
    assert world.orders.items[hourly].strategy.filled == 1
    report = world.trigger.run(budget_ms=55_000, min_run_ms=0)
    assert report.ran and report.ticks == 1 and report.open_orders == 0, "nothing due within the horizon: the run ends at once"
    world.orders.items[hourly] = world.orders.items[hourly].model_copy(update={
        "strategy": world.orders.items[hourly].strategy.model_copy(update={"nextAtMs": world.clock.now_ms() + 30_000}),
    })  # fmt: skip
    report = world.trigger.run(budget_ms=55_000, min_run_ms=0)
    assert report.ticks > 30 and report.slots == 1 and report.open_orders == 0, "due in 30 s: ticked until it started"


def test_a_cancel_that_dies_after_its_first_write_still_ends_the_parent_cancelled_with_no_new_slot():
    """The DELETE writes the parent's cancel before it touches the child: a request that dies
    right after (no answer to the client) has still stopped the schedule."""
    world = World()
    parent_id = _place(world, type="twap", amountIn="10", slices=5, intervalSeconds=30)
    world._tick()  # slot 0's child is pending
    save, calls = world.orders.save_transition, []

    def dies_on_the_second_write(before, after, *args):
        calls.append(after.orderId)
        if len(calls) == 2:
            raise RuntimeError("the API function died")
        return save(before, after, *args)

    world.orders.save_transition = dies_on_the_second_write  # type: ignore[method-assign]
    assert isinstance(world.cancel(parent_id), RuntimeError)
    world.orders.save_transition = save  # type: ignore[method-assign]
    assert calls[0] == parent_id and world.orders.items[parent_id].strategy.cancelRequested
    world.run()
    parent = world.orders.items[parent_id]
    assert parent.status is S.CANCELLED and len(_children(world, parent_id)) == 1, "no slot started after the cancel"


def test_a_child_the_queue_refuses_fails_and_gives_its_place_in_the_key_backlog_back():
    world = World(rate_per_minute=100, key_backlog_ms=5_000)
    parent_id = _place(world, **TWAP)
    world.queue.fail_sends = 1
    world._tick()
    child = world.orders.items[child_order_id(parent_id, 0)]
    assert child.status is S.FAILED and "could not be queued" in child.failureReason
    assert world.calls.counts.get("quota.decrement", 0) > 0, "its place in the key's backlog went back"
    world.run()
    parent = world.orders.items[parent_id]
    assert parent.status is S.COMPLETED and parent.strategy.retriesUsed == 1, "the slice was retried at the next interval"
