"""The trigger: watch open limit orders and queue each one the moment the market reaches its price.

One loop, not one timer per order. A run holds a lease (so at most one runs at a time) and,
every ``tick_ms``, reads the index that holds only open orders (one query: the pair, amount,
limit, venues and price impact cap of each are projected into it), prices every pool those
orders could use once per venue at this moment (the venues' prices are a pure function of time:
no venue call), and judges each order:

- past its expiry: ``open -> expired``;
- its best route, at this moment's prices, pays at least its limit even if the price then moves
  against it by the most the simulation lets it (``margin``, the template's PriceDrift) between
  now and landing: ``open -> pending``, with a start deadline, and queued like any order (the
  same 100-a-minute and 10-at-once limits apply from there);
- otherwise it stays open.

Each move is a conditional write on the status and seq just read (re-read first: the index lags),
so a cancel racing the trigger is decided by whichever writes first. A run ends when no order is
open (after ``min_run_ms``: a just-opened order may not be in the index yet) or its time is up;
the function runs again every minute, and whenever an order opens (the API, and the consumer for
an order it sends back to open, put a message on a wake-up queue). A run whose time is up while
orders are open puts a message there too, before it gives the lease back: its successor starts
at once and waits for the lease (a run that finds the lease held waits a while rather than give
up: the holder may be just ending). So some run is ticking whenever an order is open.

One order that cannot be judged (an error) is logged and skipped: it never stops the others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Sequence

from aws_lambda_powertools import Logger

from solroute.logic.key_quota import KeyQuota
from solroute.logic.route_search import best_rate, search
from solroute.logic.routing import display, limit_minimum, route_pairs
from solroute.logic.state_machine import reopened, transition
from solroute.logic.strategies import ENDED, SKIPPED as SLOT_SKIPPED, STARTED, StrategyRunner
from solroute.models import timeouts
from solroute.models.amounts import plain
from solroute.models.errors import QueueUnavailable, StaleOrder, StoreBusy
from solroute.models.order import Order, OrderStatus
from solroute.models.route import Curve, Route
from solroute.models.tokens import resolve_token
from solroute.models.venues import INTERMEDIATES
from solroute.ports import Clock, Launches, Lease, OrderQueue, OrderRepository, PricedVenue, WatchedOrder

logger = Logger(child=True)
S = OrderStatus
SEND_TRIES = 3
# The most open orders one tick reads and judges (the template's TriggerOrdersPerTick): past it, a
# pass over every open order takes several ticks. docs/scaling.md has what a tick costs.
MAX_PER_TICK = 2_000
MAX_COOLDOWN_MS = 3_600_000  # the longest an order that went back to open waits before it is queued again
# A run keeps ticking for a strategy due within this (the schedule starts a run every minute: one
# due later is picked up by a later run, so an hourly recurring order does not keep a run going).
STRATEGY_HORIZON_MS = 90_000


class _NotQueued(Exception):
    """The order did not end up queued (cancelled meanwhile, or the queue refused it)."""


@dataclass
class TickReport:
    open: int = 0  # open orders this tick read (and judged)
    more: bool = False  # the pass over every open order goes on at the next tick
    pass_left: int = 0  # orders the pass so far found open and left open (the whole pass's, once ``more`` is False)
    triggered: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # reached their price, but their key's orders fill the queue: still open
    slots: list[str] = field(default_factory=list)  # strategies that started a slot (a child order)
    skipped_slots: list[str] = field(default_factory=list)
    strategies_ended: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    ran: bool = False
    ticks: int = 0
    triggered: int = 0
    expired: int = 0
    held: int = 0
    slots: int = 0  # strategy slots started (child orders made)
    skipped_slots: int = 0
    strategies_ended: int = 0
    # When a run (this one or an earlier) last ended a pass over every open order: the lag an
    # operator's alarm watches (None: no run has yet). A run that found the lease held reports
    # what the lease holds.
    passed_at_ms: int | None = None
    open_orders: int | None = None  # left open by this run's last whole pass (None: it ended none)

    def lag_seconds(self, now_ms: int) -> float | None:
        """Seconds since every open order was last judged (None: no run has passed yet)."""
        return None if self.passed_at_ms is None else round(max(0, now_ms - self.passed_at_ms) / 1000, 3)


QUEUED, HELD, SKIPPED = "queued", "held", "skipped"


class Trigger:
    def __init__(
        self,
        orders: OrderRepository,
        queue: OrderQueue,
        venues: Sequence[PricedVenue],
        clock: Clock,
        lease: Lease,
        margin: Decimal = Decimal(0),
        max_price_impact: Decimal = Decimal("0.05"),
        start_timeout_ms: int = timeouts.START_TIMEOUT_SECONDS * 1000,
        tick_ms: int = 1000,
        min_run_ms: int = 5000,
        lease_wait_ms: int = 15_000,
        wake: OrderQueue | None = None,
        quota: KeyQuota | None = None,
        max_per_tick: int = MAX_PER_TICK,
        launches: Launches | None = None,
    ) -> None:
        self.orders = orders
        self.queue = queue
        self.venues = {v.name: v for v in venues}
        self.clock = clock
        self.lease = lease
        self.margin = margin
        self.max_price_impact = max_price_impact
        self.start_timeout_ms = start_timeout_ms
        self.tick_ms = tick_ms
        self.min_run_ms = min_run_ms
        self.lease_wait_ms = lease_wait_ms
        self.wake = wake  # the queue that starts a run: a run whose time is up while orders are open wakes its successor
        self.quota = quota  # each key's share of the shared queue (None: no per-key limits)
        self.max_per_tick = max_per_tick  # the most open orders one tick reads and judges
        self._cursor: Any = None  # where the pass over the open orders goes on (None: from the start)
        self._pass_left = 0  # open orders the current pass has read and left open (and strategies due soon)
        self._pass_strategies = 0  # of which strategies
        self._pass_started_ms = 0  # when the current pass read its first page
        self._passed_at_ms: int | None = None  # when this run's last whole pass started (every order judged since)
        self._passed_open: int | None = None  # what that pass left open
        self.strategies = StrategyRunner(orders, queue, clock, quota, margin, start_timeout_ms, launches)

    # ------------------------------------------------------------------ the loop
    def run(self, budget_ms: int, min_run_ms: int | None = None) -> RunReport:
        """Tick until no order is open (after ``min_run_ms``) or ``budget_ms`` is spent."""
        min_run_ms = self.min_run_ms if min_run_ms is None else min_run_ms
        report = RunReport()
        holder = uuid.uuid4().hex
        start_ms = self.clock.now_ms()
        while not self.lease.acquire(holder, self.clock.now_ms() + budget_ms + 5000, self.clock.now_ms()):
            waited_ms = self.clock.now_ms() - start_ms
            if waited_ms >= min(self.lease_wait_ms, budget_ms):
                logger.debug("another trigger run holds the lease")
                report.passed_at_ms = self.lease.passed_at_ms
                return report
            self.clock.sleep(min(self.tick_ms, self.lease_wait_ms - waited_ms) / 1000)
        budget_ms -= self.clock.now_ms() - start_ms
        start_ms = self.clock.now_ms()
        report.ran = True
        self._passed_at_ms = self._passed_open = None
        try:
            while True:
                tick_start = self.clock.now_ms()
                try:
                    tick: TickReport | None = self.tick()
                except Exception as error:  # a store that did not answer: the run goes on, the next tick reads again
                    logger.warning("trigger tick failed; the next tick tries again", extra={"error": getattr(error, "message", str(error))})
                    tick = None
                report.ticks += 1
                if tick is not None:
                    report.triggered += len(tick.triggered)
                    report.expired += len(tick.expired)
                    report.held += len(tick.held)
                    report.slots += len(tick.slots)
                    report.skipped_slots += len(tick.skipped_slots)
                    report.strategies_ended += len(tick.strategies_ended)
                now = self.clock.now_ms()
                # Only a whole pass can show that nothing is open: a page that ends a pass may be empty
                # (DynamoDB can return a cursor at the last item) while earlier pages found orders.
                nothing_open = tick is not None and not tick.more and tick.pass_left <= 0
                if nothing_open and now - start_ms >= min_run_ms:
                    break
                if now + self.tick_ms - start_ms > budget_ms:
                    self._hand_over()  # orders are still open: the next run starts now, not at the next minute
                    break
                self.clock.sleep(max(0, tick_start + self.tick_ms - now) / 1000)
        finally:
            report.passed_at_ms = self._passed_at_ms if self._passed_at_ms is not None else self.lease.passed_at_ms
            report.open_orders = self._passed_open
            try:
                self.lease.release(holder, self._passed_at_ms)
            except StoreBusy:  # it lapses at its time
                logger.warning("could not release the trigger's lease; it lapses by itself")
        if report.triggered or report.expired or report.held or report.slots or report.strategies_ended:
            logger.info("trigger run done", extra={
                "ticks": report.ticks, "triggered": report.triggered, "expired": report.expired, "held": report.held,
                "slots": report.slots, "strategies_ended": report.strategies_ended,
            })  # fmt: skip
        return report

    def _hand_over(self) -> None:
        """Wake the next run before this one gives the lease back; it waits for the lease."""
        wake_trigger(self.wake, "trigger")

    def tick(self) -> TickReport:
        """Judge the open orders once, at this moment's prices: all of them, or, when there are
        more than ``max_per_tick``, the next ``max_per_tick`` of a pass the next ticks go on with
        (so a tick's cost is bounded however many orders are open)."""
        now_ms = self.clock.now_ms()
        read = self.orders.open_orders(self.max_per_tick, self._cursor)
        if self._cursor is None:  # this read starts a pass over every open order
            self._pass_left = self._pass_strategies = 0
            self._pass_started_ms = now_ms
        self._cursor = read.cursor
        parents = [w for w in read.orders if w.strategy is not None]
        watched = [w for w in read.orders if w.strategy is None]
        soon = [w for w in parents if w.due_at_ms <= now_ms + STRATEGY_HORIZON_MS]
        self._pass_left += len(watched) + len(soon)  # a strategy due soon keeps the run ticking, as an open order does
        self._pass_strategies += len(soon)
        report = TickReport(open=len(watched) + len(soon), more=read.cursor is not None, pass_left=self._pass_left)
        self._run_strategies([w for w in soon if w.due_at_ms <= now_ms], report)
        if not watched:
            self._end_of_pass(report)
            return report
        due = [w for w in watched if w.expires_at_ms and w.expires_at_ms <= now_ms]
        for w in due:
            try:
                if self._expire(w.order_id, now_ms):
                    report.expired.append(w.order_id)
                    self._pass_left -= 1
            except StoreBusy as error:
                logger.warning("could not expire an open order; the next tick tries again", extra={"order_id": w.order_id, "error": error.message})
            except Exception:  # one order must never stop the others being expired or judged
                logger.exception("could not expire an open order; skipped this tick", extra={"order_id": w.order_id})
        live = [w for w in watched if w not in due]
        prices = self._prices(live, now_ms)
        for w in live:
            try:
                route = self.reaches_limit(w, prices)
                outcome = self._queue(w, route, now_ms) if route is not None else SKIPPED
                if outcome == QUEUED:
                    report.triggered.append(w.order_id)
                    self._pass_left -= 1
                elif outcome == HELD:
                    report.held.append(w.order_id)
            except StoreBusy as error:
                logger.warning("could not move an open order; the next tick tries again", extra={"order_id": w.order_id, "error": error.message})
            except Exception:  # one order must never stop the others being judged
                logger.exception("could not judge an open order; skipped this tick", extra={"order_id": w.order_id})
        report.pass_left = self._pass_left
        self._end_of_pass(report)
        return report

    def _run_strategies(self, due: Sequence[WatchedOrder], report: TickReport) -> None:
        """Give each due strategy its look: record a landed child, start or skip a slot, end it."""
        for w in due:
            try:
                outcome = self.strategies.step(w.order_id, self._price)
            except StoreBusy as error:
                logger.warning("could not move a strategy; the next tick tries again", extra={"order_id": w.order_id, "error": error.message})
                continue
            except Exception:  # one strategy must never stop the others, or the limit orders
                logger.exception("could not run a strategy; skipped this tick", extra={"order_id": w.order_id})
                continue
            if outcome == STARTED:
                report.slots.append(w.order_id)
            elif outcome == SLOT_SKIPPED:
                report.skipped_slots.append(w.order_id)
            elif outcome == ENDED:
                report.strategies_ended.append(w.order_id)

    def _price(self, parent: Order, amount: Decimal) -> tuple[Route | None, Decimal]:
        """The best route for ``amount`` of the parent's pair now (within its venues and price
        impact cap), and the best zero-size rate."""
        prices = self._pair_prices(route_pairs(parent.tokenIn, parent.tokenOut), self.clock.now_ms())

        def pools(a: str, b: str) -> list[Curve]:
            return [c for c in prices.get((a, b), []) if parent.dexes is None or c.dex in parent.dexes]

        rate = best_rate(parent.tokenIn, parent.tokenOut, pools, INTERMEDIATES)
        found = search(parent.tokenIn, parent.tokenOut, amount, pools, INTERMEDIATES)
        cap = parent.maxPriceImpact if parent.maxPriceImpact is not None else self.max_price_impact
        if found is None or found.chosen.price_impact > cap:
            return None, rate
        return found.chosen, rate

    def _end_of_pass(self, report: TickReport) -> None:
        """A tick that read the last page judged every open order since its pass began."""
        if not report.more:
            self._passed_at_ms, self._passed_open = self._pass_started_ms, self._pass_left - self._pass_strategies

    # ------------------------------------------------------------------ judging
    def _prices(self, watched: Sequence[WatchedOrder], at_ms: int) -> dict[tuple[str, str], list[Curve]]:
        """Every pool the watched orders could use, as each venue prices it at ``at_ms``."""
        return self._pair_prices(sorted({p for w in watched for p in route_pairs(w.token_in, w.token_out)}), at_ms)

    def _pair_prices(self, pairs: Sequence[tuple[str, str]], at_ms: int) -> dict[tuple[str, str], list[Curve]]:
        by_pair: dict[tuple[str, str], list[Curve]] = {}
        for venue in self.venues.values():
            for curve in venue.pools_at(pairs, at_ms):
                by_pair.setdefault((curve.token_in, curve.token_out), []).append(curve)
        return by_pair

    def judge(self, w: WatchedOrder, at_ms: int) -> Route | None:
        """reaches_limit at the prices of ``at_ms`` (pure: tests find a trigger time with it)."""
        return self.reaches_limit(w, self._prices([w], at_ms))

    def reaches_limit(self, w: WatchedOrder, prices: dict[tuple[str, str], list[Curve]]) -> Route | None:
        """The route the order would take now, if it pays the limit with the margin to spare
        and keeps to the order's price impact cap; else None."""

        def pools(a: str, b: str) -> list[Curve]:
            return [c for c in prices.get((a, b), []) if w.dexes is None or c.dex in w.dexes]

        floor = limit_minimum(w.limit_price, w.amount_in, resolve_token(w.token_out).decimals)
        needed = floor / (1 - self.margin)
        if best_rate(w.token_in, w.token_out, pools, INTERMEDIATES) * w.amount_in < needed:
            return None  # even a trade of no size would not pay it: most open orders, most ticks
        found = search(w.token_in, w.token_out, w.amount_in, pools, INTERMEDIATES)
        if found is None:
            return None
        route = found.chosen
        cap = w.max_price_impact if w.max_price_impact is not None else self.max_price_impact
        if route.amount_out < needed or route.price_impact > cap:
            return None
        return route

    # ------------------------------------------------------------------ moving orders
    def _fresh(self, order_id: str) -> Order | None:
        order = self.orders.get(order_id)
        return order if order is not None and order.status is S.OPEN else None  # the index lags the table

    def _queue(self, w: WatchedOrder, route: Route, now_ms: int) -> str:
        """Queue the order (QUEUED), or leave it open: its key's orders fill the shared queue
        (HELD: a later tick tries again), or it moved since the index was read (SKIPPED)."""
        order = self._fresh(w.order_id)
        if order is None or self._cooling_down(order, now_ms):
            return SKIPPED
        place = self.quota.admit_to_queue(order.keyId, now_ms) if self.quota is not None and order.keyId else None
        if place is not None and not place.accepted:
            logger.debug("limit reached, but its key's orders fill the shared queue; it waits open", extra={"order_id": order.orderId, "reason": place.reason})
            return HELD
        try:
            return self._move_to_pending(order, w, route, now_ms)
        except Exception as error:  # not queued after all: its place goes back
            if self.quota is not None and order.keyId:
                self.quota.refund(order.keyId, place)
            if isinstance(error, _NotQueued):
                return SKIPPED
            raise

    @staticmethod
    def _cooling_down(order: Order, now_ms: int) -> bool:
        """An order that went back to open waits before it is queued again, longer each time
        (1 s, 2 s, 4 s, ... up to an hour): one whose price hovers at the trigger's margin would
        otherwise cycle every few seconds for as long as it is open, each cycle adding to its
        history (an item DynamoDB caps at 400 KB). At most 744 cycles in 30 days, instead of
        hundreds of thousands."""
        reopened_at = [h.timestampMs for h in order.history[1:] if h.status is S.OPEN]
        if not reopened_at:
            return False
        return now_ms < reopened_at[-1] + min(MAX_COOLDOWN_MS, 1000 * 2 ** min(len(reopened_at) - 1, 30))

    def _move_to_pending(self, order: Order, w: WatchedOrder, route: Route, now_ms: int) -> str:
        message = (
            f"Limit reached: {display('+'.join(dict.fromkeys(leg.dex for leg in route.legs)))} returns {plain(route.amount_out)}"
            f" {order.tokenOut} for {plain(order.amountIn)} {order.tokenIn} (limit {plain(order.limitPrice or 0)}); queued to execute"
        )
        pending = transition(order, S.PENDING, message, self.clock, startDeadlineMs=now_ms + self.start_timeout_ms)
        try:
            self.orders.save_transition(order, pending)
        except StaleOrder as stale:
            raise _NotQueued from stale  # cancelled (or expired) since it was read
        for attempt in range(1, SEND_TRIES + 1):
            try:
                self.queue.send(order.orderId, cycle=pending.cycle)
                break
            except QueueUnavailable as error:
                if attempt == SEND_TRIES:
                    self._rest_unqueued(pending, error)
                    raise _NotQueued from error
                self.clock.sleep(0.05 * 2**attempt)
        logger.info("limit order triggered", extra={"order_id": order.orderId, "amount_out": plain(route.amount_out), "limit": plain(w.limit_price)})
        return QUEUED

    def _rest_unqueued(self, pending: Order, error: QueueUnavailable) -> None:
        """The queue refused the triggered order: it waits open again (a later tick queues it).
        If even that write fails, it is pending with a start deadline: the sweeper reopens it."""
        logger.error("triggered order could not be queued; open again", extra={"order_id": pending.orderId, "error": error.message})
        try:
            self.orders.save_transition(pending, reopened(pending, f"Could not be queued to execute ({error.message}); nothing was sent", self.clock))
        except (StaleOrder, StoreBusy) as failure:
            logger.warning("could not reopen the unqueued order; the sweeper will", extra={"order_id": pending.orderId, "error": failure.message})

    def _expire(self, order_id: str, now_ms: int) -> bool:
        order = self._fresh(order_id)
        if order is None or order.expiresAtMs is None or order.expiresAtMs > now_ms:
            return False
        reason = f"the market did not reach the limit price ({plain(order.limitPrice or 0)} {order.tokenOut} per {order.tokenIn}) by {self.clock.iso(order.expiresAtMs)}; nothing was swapped"
        try:
            self.orders.save_transition(order, transition(order, S.EXPIRED, f"Expired: {reason}", self.clock, failureReason=reason))
        except StaleOrder:
            return False
        logger.info("limit order expired", extra={"order_id": order_id, "status": "expired"})
        return True


def wake_trigger(wake: OrderQueue | None, order_id: str) -> None:
    """Start a trigger run now (an order opened, reopened, or a run handed over), rather than at
    the next minute. Best effort: the scheduled run finds every open order either way."""
    if wake is None:
        return
    try:
        wake.send(order_id)
    except QueueUnavailable as error:
        logger.warning("could not wake the trigger; its next scheduled run will carry on", extra={"order_id": order_id, "error": error.message})
