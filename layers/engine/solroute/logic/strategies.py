"""Strategy orders (TWAP, recurring): a parent that runs ordinary market orders, one slot at a
time, on the trigger's loop (docs/strategies.md, docs/lifecycle.md).

Every change of a parent is one conditional write on its status and seq (a status change that
keeps it ``active`` until it ends), so two trigger runs, a duplicate tick and a cancel are
ordered by the store: exactly one of them moves the parent from a given seq. A slot starts in
two steps, in this order:

1. the parent records the slot started, naming its child (an id derived from the parent and the
   slot) as the one in flight: the write a cancel races, with one winner;
2. the child is created (put if absent) and queued.

A run that dies between them leaves a parent naming a child that does not exist: the next look
creates it, the same child. One child runs at a time and each spends at most what is left, so a
parent never fills more than its total. When the child is final, the next look records its
outcome on the parent (its fill and the running totals), and ends the parent when it is done.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Callable

from aws_lambda_powertools import Logger

from solroute.logic.key_quota import KeyQuota
from solroute.logic.routing import limit_minimum
from solroute.logic.state_machine import transition
from solroute.models import timeouts
from solroute.models.amounts import plain, quantize_down
from solroute.models.errors import DuplicateOrder, InvalidRequest, QueueUnavailable, StaleOrder
from solroute.models.order import BoundQuote, HistoryEntry, Order, OrderStatus
from solroute.models.requests import ExecuteOrderRequest, SniperRequest
from solroute.models.route import Route
from solroute.models.strategy import SNIPER_RETRIES, ChildFill, SkippedSlot, Strategy, child_order_id
from solroute.models.tokens import resolve_token
from solroute.ports import Clock, Launches, OrderQueue, OrderRepository

logger = Logger(child=True)
S = OrderStatus
MIN_CHILD_WINDOW_MS = 30_000  # a child must start routing within its interval, and never less than this

# What the trigger lends a strategy: the best route for an amount now and the best zero-size rate
# (None, 0 when the pair has no route at this moment).
Pricer = Callable[[Order, Decimal], tuple[Route | None, Decimal]]

STARTED, SETTLED, SKIPPED, ENDED, HELD, WAITING = "started", "settled", "skipped", "ended", "held", "waiting"


# ---------------------------------------------------------------------- placing a parent
def new_parent(request: ExecuteOrderRequest | SniperRequest, order_id: str, now_ms: int, clock: Clock, rate_per_minute: int, fields: dict) -> Order:
    """The parent as placed: active, its first slot due now."""
    if isinstance(request, SniperRequest):
        return _new_sniper(request, order_id, now_ms, clock, rate_per_minute, fields)
    decimals = resolve_token(request.tokenIn).decimals
    if request.type == "twap":
        slices = request.twap_slices
        slice_amount = request.sliceAmount or quantize_down(request.amountIn / slices, decimals).normalize()
        if slice_amount <= 0:
            raise InvalidRequest(
                f"amountIn {plain(request.amountIn)} {request.tokenIn} is too small to cut into {slices} slices",
                [{"field": "amountIn", "message": f"too small for {slices} slices"}],
            )
        total, interval = request.amountIn, request.interval_seconds
        retries = slices if request.maxRetries is None else request.maxRetries
        plan = f"TWAP active: {plain(total)} {request.tokenIn} -> {request.tokenOut} in {slices} slices, one every {interval} s"
        if request.limitPrice is not None:
            plan += f", each at {plain(request.limitPrice)} {request.tokenOut} per {request.tokenIn} or better"
    else:
        slices = request.recurring_runs(now_ms)
        slice_amount = request.amountIn  # the amount of one run
        with localcontext() as exact:
            exact.prec = 80
            total = slice_amount * slices
        interval, retries = request.intervalSeconds or 0, 0
        plan = f"Recurring active: {plain(slice_amount)} {request.tokenIn} -> {request.tokenOut} every {interval} s, {slices} runs"
        band = [f"{name} {plain(v)}" for name, v in (("at least", request.minPrice), ("at most", request.maxPrice)) if v is not None]
        if band:
            plan += f", each {' and '.join(band)} {request.tokenOut} per {request.tokenIn}"
    strategy = Strategy(
        kind=request.type, slices=slices, sliceAmount=slice_amount, intervalSeconds=interval, startMs=now_ms,
        jitterSeconds=request.jitterSeconds or 0, limitPrice=request.limitPrice if request.type == "twap" else None,
        minPrice=request.minPrice, maxPrice=request.maxPrice, maxRetries=retries, keyRatePerMinute=rate_per_minute, nextAtMs=now_ms,
    )  # fmt: skip
    # No slot starts after its last one is due (the open-orders index, which parents share with
    # limit orders, also keys on it).
    last_slot = slices + retries - 1 if strategy.is_twap else slices - 1
    expires_at_ms = now_ms + (last_slot * interval + strategy.jitterSeconds) * 1000
    stamp = clock.iso(now_ms)
    return Order(
        orderId=order_id, type=request.type, expiresAtMs=expires_at_ms, tokenIn=request.tokenIn, tokenOut=request.tokenOut, amountIn=total,
        slippage=request.slippage, wallet=request.wallet, maxPriceImpact=request.maxPriceImpact, dexes=request.allowed_venues,
        status=S.ACTIVE, createdAt=stamp, updatedAt=stamp, statusAtMs=now_ms,
        history=[HistoryEntry(status=S.ACTIVE, seq=1, timestamp=stamp, timestampMs=now_ms, message=plan)],
        strategy=strategy, **fields,
    )  # fmt: skip


def _new_sniper(request: SniperRequest, order_id: str, now_ms: int, clock: Clock, rate_per_minute: int, fields: dict) -> Order:
    expires_at_ms = request.expires_at_ms(now_ms)
    venues = ", ".join(request.allowed_venues or ["any venue"])
    depth = f" holding at least {plain(request.minLiquidity)} of its quote token" if request.minLiquidity is not None else ""
    plan = (
        f"Sniper active: watching {venues} for a {request.tokenOut} pool{depth} until {clock.iso(expires_at_ms)}; then buys with"
        f" {plain(request.amountIn)} {request.tokenIn}, paying at most {plain(request.maxPrice)} {request.tokenIn} per {request.tokenOut}"
    )
    strategy = Strategy(
        kind="sniper", slices=1, sliceAmount=request.amountIn, intervalSeconds=0, startMs=now_ms, maxPrice=request.maxPrice,
        minLiquidity=request.minLiquidity, maxRetries=SNIPER_RETRIES, keyRatePerMinute=rate_per_minute, nextAtMs=now_ms,
    )  # fmt: skip
    stamp = clock.iso(now_ms)
    return Order(
        orderId=order_id, type="sniper", expiresAtMs=expires_at_ms, tokenIn=request.tokenIn, tokenOut=request.tokenOut, amountIn=request.amountIn,
        slippage=request.slippage, wallet=request.wallet, maxPriceImpact=request.maxPriceImpact, dexes=request.allowed_venues,
        status=S.ACTIVE, createdAt=stamp, updatedAt=stamp, statusAtMs=now_ms,
        history=[HistoryEntry(status=S.ACTIVE, seq=1, timestamp=stamp, timestampMs=now_ms, message=plan)],
        strategy=strategy, **fields,
    )  # fmt: skip


# ---------------------------------------------------------------------- the parent's arithmetic
def child_amount(parent: Order) -> Decimal:
    """What the next child spends: a slice, or what is left (a TWAP's last slice takes the rest)."""
    s = _strategy(parent)
    if not s.is_twap:
        return s.sliceAmount
    left = parent.amountIn - s.filledIn
    return left if s.filled == s.slices - 1 else min(s.sliceAmount, left)


def _strategy(order: Order) -> Strategy:
    assert order.strategy is not None, f"order {order.orderId} is not a strategy"
    return order.strategy


def _label(parent: Order, slot: int) -> str:
    s = _strategy(parent)
    if s.is_twap:
        return f"Slice {min(s.filled + 1, s.slices)}/{s.slices}"
    if s.is_sniper:
        return "Snipe" if slot == 0 else f"Snipe (try {slot + 1})"
    return f"Run {slot + 1}/{s.slices}"


def _outcome(parent: Order) -> OrderStatus | None:
    """The status the parent ends in now, if it is done (None: it goes on)."""
    s = _strategy(parent)
    if s.inflight:
        return None
    if s.cancelRequested:
        return S.CANCELLED
    if s.filled >= s.slices:
        return S.COMPLETED
    out_of_slots = s.retriesUsed > s.maxRetries if s.is_twap or s.is_sniper else s.nextSlot >= s.slices
    if not out_of_slots:
        return None
    return S.PARTIALLY_FILLED if s.filled else S.EXPIRED


def _summary(parent: Order, status: OrderStatus) -> str:
    s = _strategy(parent)
    head = {S.COMPLETED: "Completed", S.PARTIALLY_FILLED: "Partially filled", S.EXPIRED: "Expired", S.CANCELLED: "Cancelled"}[status]
    if not s.filled:
        return f"{head}: nothing was filled ({len(s.skipped)} slots skipped, {len(s.children)} children not confirmed)"
    text = (
        f"{head}: {s.filled}/{s.slices} filled, {plain(s.filledIn)} {parent.tokenIn} -> {plain(s.filledOut)} {parent.tokenOut},"
        f" average {plain(s.averagePrice or 0)}"
    )
    if s.shortfallBps is not None and s.arrivalPrice is not None:
        text += f", {plain(s.shortfallBps)} bps shortfall against {plain(s.arrivalPrice)} at arrival"
    return text + f"; fees {plain(s.fees)} {parent.tokenIn}"


def _moved(parent: Order, message: str, clock: Clock, **changes: object) -> Order:
    """The parent with ``changes`` made to its strategy, as one change: active, or its end."""
    s = _strategy(parent).model_copy(update=changes)
    if s.nextSlot != _strategy(parent).nextSlot or "inflight" in changes:
        s = s.model_copy(update={"nextAtMs": s.due_at_ms(s.nextSlot)})
    draft = parent.model_copy(update={"strategy": s})
    ending = _outcome(draft)
    if ending is None:
        return transition(parent, S.ACTIVE, message, clock, strategy=s)
    ended = s.model_copy(update={"nextAtMs": None})
    return transition(parent, ending, f"{message}. {_summary(draft, ending)}", clock, strategy=ended)


def settled(parent: Order, child: Order, clock: Clock) -> Order:
    """The parent once its in-flight child is final: the child's outcome and the totals."""
    s = _strategy(parent)
    fill = s.child(child.orderId)
    assert fill is not None and child.is_final
    label = _label(parent, fill.slot)
    now_ms = clock.now_ms()
    changes: dict = {"inflight": None, "lastSlot": fill.slot}
    result = child.execution
    if child.status is S.CONFIRMED and result is not None:
        filled_in, filled_out = (s.filledIn + fill.amountIn).normalize(), (s.filledOut + result.amountOut).normalize()
        average = (filled_out / filled_in).quantize(Decimal("1e-12")).normalize()
        done = fill.model_copy(update={
            "status": child.status.value, "amountOut": result.amountOut, "price": result.executedPrice, "fee": result.fee,
            "networkFee": result.networkFee, "endedAtMs": now_ms,
        })  # fmt: skip
        changes.update(filled=s.filled + 1, filledIn=filled_in, filledOut=filled_out, fees=(s.fees + result.fee).normalize(),
                       networkFees=(s.networkFees + (result.networkFee or 0)).normalize(), averagePrice=average)  # fmt: skip
        if s.arrivalPrice:
            changes["shortfallBps"] = ((s.arrivalPrice - average) / s.arrivalPrice * 10_000).quantize(Decimal("0.01"))
        message = (
            f"{label} filled: {plain(fill.amountIn)} {parent.tokenIn} -> {plain(result.amountOut)} {parent.tokenOut} at"
            f" {plain(result.executedPrice.normalize())} {parent.tokenOut} per {parent.tokenIn}; filled {plain(filled_in)}/{plain(parent.amountIn)} {parent.tokenIn}, average {plain(average)}"
        )
    else:
        reason = child.failureReason or child.status.value
        done = fill.model_copy(update={"status": child.status.value, "endedAtMs": now_ms, "reason": reason})
        message = f"{label} not filled: child {child.orderId} {child.status.value} ({reason})"
        if s.is_sniper:
            changes["retriesUsed"] = s.retriesUsed + 1
            message += f"; it fires again while its condition holds ({s.retriesUsed + 1} of {s.maxRetries} retries used)"
        elif s.is_twap:
            changes["retriesUsed"] = s.retriesUsed + 1
            if not s.cancelRequested:  # else no slot starts again
                message += f"; retried at the next interval ({s.retriesUsed + 1} of {s.maxRetries} retries used)"
    changes["children"] = [done if c.orderId == fill.orderId else c for c in s.children]
    return _moved(parent, message, clock, **changes)


def skipped(parent: Order, reason: str, clock: Clock, arrival: Decimal | None) -> Order:
    s = _strategy(parent)
    slot = s.nextSlot
    changes: dict = {"nextSlot": slot + 1, "lastSlot": slot, "skipped": [*s.skipped, SkippedSlot(slot=slot, atMs=clock.now_ms(), reason=reason)]}
    if s.arrivalPrice is None and arrival:
        changes["arrivalPrice"] = arrival
    message = f"{_label(parent, slot)} skipped: {reason}"
    if s.is_twap:
        changes["retriesUsed"] = s.retriesUsed + 1
        message += f"; retried at the next interval ({s.retriesUsed + 1} of {s.maxRetries} retries used)"
    return _moved(parent, message, clock, **changes)


def cancel_requested(parent: Order, clock: Clock) -> Order:
    s = _strategy(parent)
    message = (
        f"Cancel requested: no slot starts again; child {s.inflight} is cancelled if it has not started routing,"
        " else it finishes truthfully (its fill counts)"
    )
    return _moved(parent, message, clock, cancelRequested=True, lastSlot=None)


def cancelled(parent: Order, clock: Clock) -> Order:
    return _moved(parent, "Cancelled by its owner", clock, cancelRequested=True, lastSlot=None)


# ---------------------------------------------------------------------- the trigger's part
class StrategyRunner:
    """Looks at one active parent when the trigger finds it due: records a landed child, starts
    a due slot (or skips it), or ends the parent."""

    def __init__(
        self,
        orders: OrderRepository,
        queue: OrderQueue,
        clock: Clock,
        quota: KeyQuota | None = None,
        margin: Decimal = Decimal(0),
        start_timeout_ms: int = timeouts.START_TIMEOUT_SECONDS * 1000,
        launches: Launches | None = None,
    ) -> None:
        self.launches = launches  # where a sniper watches for its pool (None: no token is ever launched)
        self.orders = orders
        self.queue = queue
        self.clock = clock
        self.quota = quota
        self.margin = margin
        self.start_timeout_ms = start_timeout_ms

    def step(self, order_id: str, price: Pricer) -> str:
        parent = self.orders.get(order_id)
        if parent is None or parent.status is not S.ACTIVE or parent.strategy is None:
            return WAITING  # the index lags the table
        s = parent.strategy
        try:
            if s.inflight:
                return self._follow_child(parent)
            if _outcome(parent) is not None:  # a cancel asked for with nothing in flight, or nothing left to do
                self.orders.save_transition(parent, _moved(parent, "Nothing left to start", self.clock))
                return ENDED
            if s.nextAtMs is None or self.clock.now_ms() < s.nextAtMs:
                return WAITING
            if s.is_sniper:
                return self._watch(parent, price)
            return self._start_slot(parent, price)
        except StaleOrder:
            return WAITING  # moved meanwhile (a cancel, another run): the next look reads it again

    def _follow_child(self, parent: Order) -> str:
        s = _strategy(parent)
        child = self.orders.get(s.inflight or "")
        if child is None:  # the slot started and the run stopped before making its child: make it now
            fill = s.child(s.inflight)
            assert fill is not None
            self._launch(parent, fill)
            return WAITING
        if not child.is_final:
            return WAITING
        after = settled(parent, child, self.clock)
        self.orders.save_transition(parent, after)
        logger.info("strategy child landed", extra={"order_id": parent.orderId, "child_id": child.orderId, "child_status": child.status.value,
                                                     "status": after.status.value})  # fmt: skip
        return ENDED if after.is_final else SETTLED

    def _start_slot(self, parent: Order, price: Pricer) -> str:
        s = _strategy(parent)
        amount = child_amount(parent)
        route, rate = price(parent, amount)
        arrival = s.arrivalPrice or (rate.quantize(Decimal("1e-12")).normalize() if rate else None)
        reason = self._why_not(parent, amount, route)
        if reason is not None:
            self.orders.save_transition(parent, skipped(parent, reason, self.clock, arrival))
            logger.info("strategy slot skipped", extra={"order_id": parent.orderId, "slot": s.nextSlot, "reason": reason})
            return SKIPPED
        return self._begin_slot(parent, amount, f"{_label(parent, s.nextSlot)} started", arrival)

    def _watch(self, parent: Order, price: Pricer) -> str:
        """A sniper: fire once its token's pool is there (deep enough) and its price is at most
        the sniper's; else keep watching, writing nothing. Past its expiry, it ends expired."""
        s = _strategy(parent)
        if parent.expiresAtMs is not None and self.clock.now_ms() >= parent.expiresAtMs:
            reason = f"no {parent.tokenOut} pool met its condition at its price by {self.clock.iso(parent.expiresAtMs)}"
            ended = transition(parent, S.EXPIRED, f"Expired: {reason}; nothing was bought", self.clock, strategy=s.model_copy(update={"nextAtMs": None}),
                               failureReason=reason)  # fmt: skip
            self.orders.save_transition(parent, ended)
            logger.info("sniper expired", extra={"order_id": parent.orderId, "status": "expired"})
            return ENDED
        pools = [p for p in (self.launches.pools(parent.tokenOut) if self.launches else []) if parent.dexes is None or p.dex in parent.dexes]
        ready = [p for p in pools if s.minLiquidity is None or p.liquidity >= s.minLiquidity]
        if not ready:
            return WAITING
        route, rate = price(parent, s.sliceAmount)
        if route is None or route.amount_out <= 0:
            return WAITING
        paid = (s.sliceAmount / route.amount_out).quantize(Decimal("1e-12")).normalize()
        if s.maxPrice is not None and paid > s.maxPrice:
            logger.debug("sniper's pool is there, its price is not", extra={"order_id": parent.orderId, "price": plain(paid)})
            return WAITING
        pool = max(ready, key=lambda p: p.liquidity)
        arrival = rate.quantize(Decimal("1e-12")).normalize() if rate else None
        why = f"{parent.tokenOut} pool on {pool.dex} holds {plain(pool.liquidity.normalize())} {pool.quote}; buying at {plain(paid)} {parent.tokenIn} per {parent.tokenOut}"
        return self._begin_slot(parent, s.sliceAmount, f"{_label(parent, s.nextSlot)} fired: {why}", arrival)

    def _begin_slot(self, parent: Order, amount: Decimal, what: str, arrival: Decimal | None) -> str:
        """Start the next slot: its place in the key's limits, the parent's write naming its
        child (the write a cancel races), then the child."""
        s = _strategy(parent)
        place = None
        if self.quota is not None and parent.keyId:
            place = self.quota.admit(parent.keyId, s.keyRatePerMinute, self.clock.now_ms(), queues=True)
            if not place.accepted:
                logger.info("strategy slot held: its key is at its limits; the next tick tries again",
                            extra={"order_id": parent.orderId, "reason": place.reason})  # fmt: skip
                return HELD
        slot = s.nextSlot
        fill = ChildFill(slot=slot, orderId=child_order_id(parent.orderId, slot), amountIn=amount, status=S.PENDING.value, atMs=self.clock.now_ms())
        message = f"{what}: child {fill.orderId} sells {plain(amount)} {parent.tokenIn}"
        changes: dict = {"inflight": fill.orderId, "nextSlot": slot + 1, "lastSlot": slot, "children": [*s.children, fill]}
        if s.arrivalPrice is None and arrival:
            changes["arrivalPrice"] = arrival
        started = _moved(parent, message, self.clock, **changes)
        try:
            self.orders.save_transition(parent, started)
        except StaleOrder:
            if self.quota is not None and parent.keyId:
                self.quota.refund(parent.keyId, place)
            raise
        if not self._launch(started, fill) and self.quota is not None and parent.keyId:
            self.quota.refund(parent.keyId, place)  # not queued after all: its place in the key's backlog goes back
        logger.info("strategy slot started", extra={"order_id": parent.orderId, "slot": slot, "child_id": fill.orderId})
        return STARTED

    def _why_not(self, parent: Order, amount: Decimal, route: Route | None) -> str | None:
        """Why the slot cannot trade now (None: it can)."""
        s = _strategy(parent)
        if route is None or route.amount_out <= 0:
            return f"no route trades {plain(amount)} {parent.tokenIn} -> {parent.tokenOut} within the price impact cap now"
        price = (route.amount_out / amount).quantize(Decimal("1e-12")).normalize()
        floor = s.limitPrice if s.is_twap else s.minPrice
        if floor is not None and route.amount_out < limit_minimum(floor, amount, resolve_token(parent.tokenOut).decimals) / (1 - self.margin):
            return f"the best price {plain(price)} {parent.tokenOut} per {parent.tokenIn} is below the {'limit' if s.is_twap else 'minPrice'} {plain(floor)}"
        if s.maxPrice is not None and price > s.maxPrice:
            return f"the best price {plain(price)} {parent.tokenOut} per {parent.tokenIn} is above the maxPrice {plain(s.maxPrice)}"
        return None

    def _launch(self, parent: Order, fill: ChildFill) -> bool:
        """Create the slot's child (if absent) and queue it; False when the queue refused it: the
        child fails (nothing was sent) and the parent records it unfilled at its next look."""
        child = child_order(parent, fill, self.clock, self.start_timeout_ms)
        try:
            self.orders.create(child)
        except DuplicateOrder:
            return True  # made and queued by a look that got this far before
        try:
            self.queue.send(child.orderId)
        except QueueUnavailable as error:
            reason = f"could not be queued for execution: {error.message}"
            try:
                self.orders.save_transition(child, transition(child, S.FAILED, "Order could not be queued", self.clock, failureReason=reason))
            except StaleOrder:
                pass
            logger.error("strategy child could not be queued; it failed", extra={"order_id": parent.orderId, "child_id": child.orderId})
            return False
        return True


def child_order(parent: Order, fill: ChildFill, clock: Clock, start_timeout_ms: int) -> Order:
    """The market order a slot makes: the same every time it is built from the same parent."""
    s = _strategy(parent)
    floor = s.limitPrice if s.is_twap else s.minPrice
    if s.is_sniper and s.maxPrice:
        with localcontext() as exact:
            exact.prec = 80
            floor = 1 / s.maxPrice  # tokenOut per tokenIn: at most maxPrice tokenIn paid per tokenOut
    window_ms = max(MIN_CHILD_WINDOW_MS, s.intervalSeconds * 1000)
    deadline_ms = fill.atMs + window_ms
    quote = BoundQuote(minAmountOut=limit_minimum(floor, fill.amountIn, resolve_token(parent.tokenOut).decimals), expiresAtMs=deadline_ms) if floor else None
    now_ms = clock.now_ms()
    stamp = clock.iso(now_ms)
    label = _label(parent, fill.slot)
    return Order(
        orderId=fill.orderId, type="market", tokenIn=parent.tokenIn, tokenOut=parent.tokenOut, amountIn=fill.amountIn,
        slippage=parent.slippage, wallet=parent.wallet, maxPriceImpact=parent.maxPriceImpact, dexes=parent.dexes, quote=quote,
        expiresAtMs=deadline_ms, owner=parent.owner, keyId=parent.keyId, webhookUrl=parent.webhookUrl, status=S.PENDING,
        createdAt=stamp, updatedAt=stamp, statusAtMs=now_ms,
        history=[HistoryEntry(status=S.PENDING, seq=1, timestamp=stamp, timestampMs=now_ms,
                              message=f"Order received: slot {fill.slot} of {parent.type} {parent.orderId} ({label})")],
        startDeadlineMs=now_ms + start_timeout_ms, parentId=parent.orderId, slot=fill.slot,
    )  # fmt: skip
