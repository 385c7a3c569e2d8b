"""Issue 22: limit orders at their seams with routing, the chain's drift, the dead-letter path,
the sweeper and the trigger's own faults. The whole engine in memory (tests/world.py); every test
ends with G1-G6."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solroute.dex.simulation import SimulationConfig
from solroute.logic.key_quota import QUEUE
from solroute.logic.routing import limit_minimum
from solroute.models.errors import DexUnavailable, LimitNotMet, NoLiquidity, PriceImpactTooHigh, TooManyOpenOrders
from solroute.models.keys import Principal
from solroute.models.order import Order
from solroute.models.order import OrderStatus as S
from solroute.models.requests import ExecuteOrderRequest

from tests.fakes import TEST_CALLER
from tests.support.limit_orders import AMOUNT, QUICK, best_out, misjudged_limit_order
from tests.world import START_TIMEOUT_MS, Fault, World, check_guarantees

DRIFT = SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0, swap_delay_min_ms=0, swap_delay_max_ms=0, price_drift=Decimal("0.005"))


def _statuses(order: Order) -> list[S]:
    return [h.status for h in order.history]


def _near_limit(world: World, short_of_margin: Decimal) -> Decimal:
    """A limit the market pays now by ``short_of_margin`` of the drift margin (0.5: half of it)."""
    margin = DRIFT.price_drift
    return (best_out(world, world.clock.now_ms()) * (1 - margin * short_of_margin) / AMOUNT).quantize(Decimal("0.000001"))


def test_routing_judges_a_limit_with_the_triggers_margin_and_reopens_before_anything_is_built():
    """Defect 1: a route that pays the limit by less than PriceDrift was built and sent, and the
    chain's own drift could fail it ("slippage exceeded") minutes into an hour-long life."""
    world = World(DRIFT)
    world.trigger.margin = Decimal(0)  # the trigger queues it as soon as the route pays the limit at all
    order_id = world.submit(type="limit", limitPrice=str(_near_limit(world, Decimal("0.5"))), timeInForceSeconds=5)
    world.run(horizon_ms=60_000)
    order = world.orders.get(order_id)
    statuses = _statuses(order)
    assert S.BUILDING not in statuses and order.transaction is None and world.ledger.landed() == {}, statuses
    assert statuses[-1] is S.EXPIRED and S.OPEN in statuses[1:], statuses
    reopened = next(h for h in order.history[1:] if h.status is S.OPEN)
    assert "by less than the 0.50% the price may move" in reopened.message, reopened.message
    check_guarantees(world)


def test_a_limit_orders_minimum_out_is_its_limit_whatever_its_slippage():
    """A limit order's protection is its limit: a slippage below PriceDrift must not fail a fill
    that meets the limit (here a slippage of 0.01% against a drift of up to 0.5%)."""
    for seed in range(20):  # the chain's drift differs per order: some move against the quote
        world = World(SimulationConfig(**{**DRIFT.__dict__, "seed": seed}))
        limit = (best_out(world, world.clock.now_ms()) * Decimal("0.98") / AMOUNT).quantize(Decimal("0.000001"))
        order_id = world.submit(type="limit", limitPrice=str(limit), slippage="0.0001", timeInForceSeconds=600)
        world.run(horizon_ms=60_000)
        order = world.orders.get(order_id)
        assert order.status is S.CONFIRMED, f"seed {seed}: {order.failureReason}"
        assert order.transaction.minAmountOut == limit_minimum(limit, AMOUNT, 6)
        check_guarantees(world)


def test_one_open_order_that_cannot_be_expired_never_stops_the_others(monkeypatch):
    """Defect 5: any error but a throttle while expiring one order ended the tick: nothing
    triggered and nothing expired, for any client."""
    world = World(QUICK)
    broken = world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=1)
    due = world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=1)
    reached = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)
    world.clock.advance(2)
    expire = world.trigger._expire

    def fails_for_one(order_id, now_ms):
        if order_id == broken:
            raise ValueError("a stored order this code cannot read")
        return expire(order_id, now_ms)

    monkeypatch.setattr(world.trigger, "_expire", fails_for_one)
    report = world.trigger.tick()
    assert report.expired == [due] and report.triggered == [reached], report
    assert world.orders.get(broken).status is S.OPEN


# ---------------------------------------------------------------- cycles and the dead-letter path
def test_a_dead_letter_of_an_earlier_cycle_touches_neither_the_open_order_nor_its_later_cycle():
    """Defect 4: the dead-letter function raised InvalidTransition (open -> failed) on a limit
    order that went back to open (a poison message for 14 days), and a dead letter that found the
    order triggered again would have failed a live order of a later cycle."""
    world = World(QUICK)
    order_id = misjudged_limit_order(world, 600)
    world.trigger.tick()
    first = world.queue.receive()
    assert first.cycle == 1
    world.deliver(first)
    assert world.orders.get(order_id).status is S.OPEN
    assert world.dead_letter(first), "a dead letter of a reopened order is settled (dropped), not a poison message"
    assert world.orders.get(order_id).status is S.OPEN
    world.clock.advance(1)  # past its first cool-down
    world.trigger.tick()
    second = world.orders.get(order_id)
    assert (second.status, second.cycle) == (S.PENDING, 2)
    assert world.dead_letter(first)
    assert world.orders.get(order_id) == second, "the earlier cycle's dead letter left the live cycle alone"
    stale = world.executor.process(order_id, 1, None, cycle=1)
    assert stale.action == "done" and world.orders.get(order_id) == second, "a stale delivery neither"


def test_a_dead_lettered_limit_order_that_sent_nothing_rests_again_instead_of_failing():
    world = World(QUICK)
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)
    world.trigger.tick()
    message = world.queue.receive()
    assert world.dead_letter(message)
    order = world.orders.get(order_id)
    assert order.status is S.OPEN and "processing crashed" in order.history[-1].message and order.failureReason is None


@pytest.mark.parametrize(
    "error",
    [NoLiquidity("no liquidity for 1.5 SOL"), PriceImpactTooHigh("price impact 9% is above the 5% limit"), DexUnavailable("no venue returned a quote")],
    ids=["no-liquidity", "price-impact", "venues-down"],
)
def test_a_limit_order_that_cannot_route_now_rests_again_and_fills_later(monkeypatch, error):
    """A venue down for every attempt, no liquidity or a price impact over the cap at routing
    killed a resting limit order: they are the market's state now, not the order's fault."""
    world = World(QUICK)
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=3600)
    route, failures = world.executor.router.route, {"left": 4}

    def fails_for_a_while(order, now_ms=0):
        if failures["left"]:
            failures["left"] -= 1
            raise error
        return route(order, now_ms)

    monkeypatch.setattr(world.executor.router, "route", fails_for_a_while)
    world.run()
    order = world.orders.get(order_id)
    statuses = _statuses(order)
    assert order.status is S.CONFIRMED and statuses.count(S.OPEN) >= 2, statuses
    rested = [h.message for h in order.history[1:] if h.status is S.OPEN]
    assert all(error.message in m and "open again until" in m for m in rested), rested
    check_guarantees(world)


def test_a_limit_order_that_never_finds_a_venue_rests_until_it_expires_and_sends_nothing():
    world = World(QUICK, fault_plan="quote-timeout=1")
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=60)
    world.run()
    order = world.orders.get(order_id)
    assert order.status is S.EXPIRED and order.transaction is None and world.ledger.landed() == {}
    assert any("no venue returned a quote" in h.message for h in order.history if h.status is S.OPEN)
    check_guarantees(world)


# ---------------------------------------------------------------- the sweeper and the trigger's queue
def test_a_triggered_limit_order_whose_message_never_reached_the_queue_rests_again_and_fills():
    """The sweeper failed such an order 5-9 minutes later ("never reached the execution queue"),
    after a single crash, and nobody told its client anything."""
    world = World(QUICK, faults=[Fault("orders.save_transition", "crash-after", first=1)])
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=3600)
    world.run()
    order = world.orders.get(order_id)
    statuses = _statuses(order)
    assert statuses[:4] == [S.OPEN, S.PENDING, S.OPEN, S.PENDING] and order.status is S.CONFIRMED, statuses
    assert "no consumer received its message in time" in order.history[2].message
    check_guarantees(world)


def test_a_triggered_limit_order_the_queue_refuses_rests_again_at_once():
    world = World(QUICK)
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=3600)
    world.queue.fail_sends = 3
    assert world.trigger.tick().triggered == []
    order = world.orders.get(order_id)
    assert _statuses(order) == [S.OPEN, S.PENDING, S.OPEN] and "Could not be queued" in order.history[-1].message
    world.run()
    assert world.orders.get(order_id).status is S.CONFIRMED
    check_guarantees(world)


# ---------------------------------------------------------------- crashes under a backlog
def test_a_delivery_that_crashes_under_a_backlog_is_not_swept_while_its_redelivery_is_due():
    """Under SIGKILLs in a 200-order run, orders whose first delivery came late (a backlogged
    queue) and died were failed "never reached the execution queue" before their message came
    back a visibility timeout later. A delivery moves the start deadline past its redelivery."""
    world = World(QUICK, faults=[Fault("orders.record_attempt", "crash-before")])
    order_id = world.submit()
    world.clock.advance(200)  # the consumers were busy: the first delivery comes 200 s after acceptance
    world.run()
    order = world.orders.get(order_id)
    assert order.status is S.CONFIRMED, order.failureReason
    check_guarantees(world)


# ---------------------------------------------------------------- the per-key limits
LIGHT = Principal(owner="light-owner", key_id="sr_lightkey", rate_per_minute=60)


def test_an_order_refused_with_503_gives_back_its_keys_count_and_its_place():
    """Defect 2: an order the API could not store or queue still spent its key's count for the
    minute and a place in the shared queue; the client's correct retry then got 429."""
    world = World(QUICK, rate_per_minute=100, key_backlog_ms=5_000)
    two_a_minute = Principal(owner=TEST_CALLER.owner, key_id="sr_twoaminute", rate_per_minute=2)
    assert world.submit(two_a_minute) is not None
    world.queue.fail_sends = 1
    assert world.submit(two_a_minute) is None, "503: the queue refused it"
    world.calls.faults.append(Fault("orders.create", "throttle", first=world.calls.counts.get("orders.create", 0) + 1))
    assert world.submit(two_a_minute) is None, "503: the order store refused it"
    assert world.quota_store.read("sr_twoaminute").count == 1, "only the accepted order is counted"
    queue_after_refusals = world.quota_store.read(QUEUE).reach_ms
    assert world.submit(two_a_minute) is not None, "the retry is accepted, not refused for orders that do not exist"
    assert world.quota_store.read(QUEUE).reach_ms - queue_after_refusals == world.quota.rules.engine_interval_ms
    assert world.submit(two_a_minute) is None, "and the rate still holds: two a minute"


def test_triggered_limit_orders_take_their_place_in_the_queue_under_their_keys_backlog_bound():
    """Defect 3: limit orders were charged when placed (where they do not queue) and entered the
    queue with no admission when they triggered: one key's 40 orders at one price made another
    key's market order wait 12 s, and the wait grew with the number of orders."""
    world = World(QUICK, rate_per_minute=100, key_backlog_ms=5_000)
    heavy = [world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=3600) for _ in range(40)]
    tick = world.trigger.tick()
    assert 0 < len(tick.triggered) < 15 and len(tick.held) == 40 - len(tick.triggered), (len(tick.triggered), len(tick.held))
    assert all(world.orders.get(i).status is S.OPEN for i in tick.held), "the rest wait open for a later tick"
    light = world.submit(LIGHT)
    assert light is not None, "another key's order is never refused for the heavy key's"
    now, interval = world.clock.now_ms(), world.quota.rules.engine_interval_ms
    assert world.quota_store.read(QUEUE).reach_ms - now <= 5_000 + interval, "it waits behind at most the backlog bound"
    world.run()
    assert all(world.orders.get(i).status is S.CONFIRMED for i in (*heavy, light)), "every held order is queued as the queue drains"
    check_guarantees(world)


def test_a_key_may_have_at_most_its_cap_of_open_limit_orders():
    world = World(QUICK, max_open_per_key=3)
    opened = [world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=600) for _ in range(3)]
    assert all(opened)
    with pytest.raises(TooManyOpenOrders) as refused:
        world.submission.submit(ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", type="limit", limitPrice="1000000"), TEST_CALLER)
    assert "already has 3 open limit orders" in refused.value.message and refused.value.details == {"openOrders": 3, "max": 3}
    assert world.submit(LIGHT, type="limit", limitPrice="1000000") is not None, "the cap is per key"
    assert world.submit() is not None, "and for limit orders only"
    world.cancel(opened[0])
    assert world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=600) is not None, "a cancelled order frees its place"


def test_a_tick_reads_a_bounded_number_of_open_orders_and_the_pass_goes_on_at_the_next():
    world = World(QUICK)
    world.trigger.max_per_tick = 2
    ids = [world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=600) for _ in range(5)]
    reads = [world.trigger.tick() for _ in range(3)]
    assert [(t.open, t.more) for t in reads] == [(2, True), (2, True), (1, False)]
    cheap = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=600)
    report = world.trigger.run(10_000, min_run_ms=0)
    assert report.triggered == 1 and world.orders.get(cheap).status is S.PENDING, "a run reads on until its pass is complete"
    assert all(world.orders.get(i).status is S.OPEN for i in ids)


@pytest.mark.parametrize("cycle_two_reaches", ["pending", "submitted"])
def test_a_give_up_of_an_earlier_cycle_never_touches_the_later_cycle(monkeypatch, cycle_two_reaches):
    """Review of defect 4's fix: a delivery of cycle 1 that gives up (its quotes: no liquidity) after
    a duplicate delivery reopened the order and the trigger queued it again must leave cycle 2
    alone (it failed a live order, signed and about to be sent, "no liquidity")."""
    world = World(QUICK, fault_plan="crash-before-send=1" if cycle_two_reaches == "submitted" else "")
    order_id = world.submit(type="limit", limitPrice="0.000001", timeInForceSeconds=3600)
    world.trigger.tick()
    first = world.queue.receive()
    assert first.cycle == 1
    real_route, calls = world.executor.router.route, {"n": 0}

    def route(order, now_ms=0):
        calls["n"] += 1
        if calls["n"] == 1:  # delivery A (attempt 1) waits on slow quotes; meanwhile:
            # B, a duplicate delivery of the same cycle-1 message, counts attempt 2 and finds the price gone
            world.executor.process(order_id, 1, None, cycle=1)
            assert world.orders.get(order_id).status is S.OPEN
            world.clock.advance(1)  # past its first cool-down
            world.trigger.tick()  # the price is back: cycle 2
            assert world.orders.get(order_id).cycle == 2
            if cycle_two_reaches == "submitted":
                world.deliver(world.queue.receive())  # cycle 2 routes, signs, stores submitted; dies before sending
            assert world.orders.get(order_id).status.value == cycle_two_reaches
            raise NoLiquidity("no liquidity for 1.5 SOL")  # A's quotes come back
        if calls["n"] == 2:
            raise LimitNotMet("the best route now returns less than the limit")
        return real_route(order, now_ms)

    monkeypatch.setattr(world.executor.router, "route", route)
    world.deliver(first)  # A
    after = world.orders.get(order_id)
    assert after.status.value == cycle_two_reaches, [(h.status.value, h.message) for h in after.history]


def test_a_run_goes_on_while_orders_are_open_when_their_number_is_a_multiple_of_the_page():
    """Review: a Scan page that stops at its limit has a cursor even when nothing follows, and the
    next read is empty: the run took that empty read for "nothing open" and ended, leaving every
    order unwatched until the next minute's run."""
    world = World(QUICK)
    world.trigger.max_per_tick = 2
    ids = [world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=600) for _ in range(4)]
    report = world.trigger.run(20_000, min_run_ms=0)
    assert report.ticks >= 19, f"the run ended after {report.ticks} ticks with 4 orders open"
    assert all(world.orders.get(i).status is S.OPEN for i in ids)
    for order_id in ids:
        world.cancel(order_id)
    assert world.trigger.run(20_000, min_run_ms=0).ticks <= 3, "a whole pass that finds nothing open ends the run"


def test_the_sweeper_never_fails_an_order_whose_delivery_just_held_its_deadline():
    """Review: moving the start deadline changes neither status nor seq, so a sweeper that read the
    order before a delivery held its deadline (and died) still failed it."""
    world = World(QUICK, faults=[Fault("orders.record_attempt", "crash-before")])  # the delivery dies after the hold
    order_id = world.submit()
    world.clock.advance(START_TIMEOUT_MS / 1000 + 1)  # a backlogged queue: the first delivery comes late
    message = world.queue.receive()
    orders = world.sweeper.orders

    class ReadThenDelivery:
        def __getattr__(self, name):
            return getattr(orders, name)

        def get(self, oid):
            seen = orders.get(oid)  # the sweeper's read: pending, past its deadline
            world.deliver(message)  # meanwhile a consumer receives the message, holds the deadline, dies
            assert orders.get(oid).startDeadlineMs > world.clock.now_ms(), "the delivery held the deadline"
            return seen

    world.sweeper.orders = ReadThenDelivery()
    world.sweeper.sweep()
    world.sweeper.orders = orders
    order = world.orders.get(order_id)
    assert order.status is S.PENDING, f"swept while its redelivery is due: {order.failureReason}"
    world.run()
    assert world.orders.get(order_id).status is S.CONFIRMED
    check_guarantees(world)


def test_an_order_whose_price_hovers_at_the_margin_cycles_less_and_less_often():
    """Review: nothing bounded the cycles of an order whose route keeps missing its price at
    routing; each cycle adds three history entries to an item DynamoDB caps at 400 KB."""
    world = World(QUICK)
    order_id = misjudged_limit_order(world, 3600)
    world.run(horizon_ms=3600_000 + 60_000)
    order = world.orders.get(order_id)
    reopened = [h.timestampMs for h in order.history[1:] if h.status is S.OPEN]
    assert order.status is S.EXPIRED and 10 <= len(reopened) <= 14, f"{len(reopened)} cycles in an hour"
    gaps = [b - a for a, b in zip(reopened, reopened[1:])]
    assert all(later >= 2 * earlier - 1_000 for earlier, later in zip(gaps, gaps[1:])), gaps
    check_guarantees(world)
