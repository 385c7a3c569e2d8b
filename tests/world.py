"""A whole engine in memory, on a fake clock: the API's submission, an SQS queue with its
visibility timeouts, receive counts and redrive, the consumer, the dead-letter function and
the sweeper, all calling the real domain code. Faults are injected at the ports (a store call
throttled, the process dying before or after a call) and at the simulation's fault points.
``check_guarantees`` asserts G1-G6 of docs/guarantees.md against the chain: the ledger, or (with
``chain="rpc"``) the local validator's own record of what landed; and, for strategies' parents,
S1-S5 (tests/support/strategy_checks.py)."""

from __future__ import annotations

import heapq
import itertools
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from solroute.dex.chain import SimulatedChain
from solroute.dex.faults import FaultPlan
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DEX_SEEDS
from solroute.dex.simulation import SimulationConfig
from solroute.dex.venue import SimulatedDex
from solroute.logic.execution import OrderExecutor
from solroute.logic.key_quota import KeyQuota, engine_interval_ms
from solroute.logic.rate_limit import RateLimiter, SlidingLog
from solroute.logic.routing import Router
from solroute.logic.state_machine import TRANSITIONS
from solroute.logic.submission import OrderSubmission
from solroute.logic.cancel import OrderCancellation
from solroute.logic.sweeper import Sweeper
from solroute.logic.trigger import Trigger
from solroute.models.amounts import smallest_unit
from solroute.models.errors import QueueUnavailable, RateLimited, RpcError, StoreBusy, TooManyOpenOrders
from solroute.models.keys import Principal
from solroute.models.order import Order, OrderStatus
from solroute.models.requests import ExecuteOrderRequest
from solroute.models.tokens import resolve_token
from tests.fakes import FakeClock, InMemoryLease, InMemoryLedger, InMemoryOrders, InMemoryRateLimitStore, TEST_CALLER
from tests.quota_fakes import InMemoryKeyQuotaStore
from tests.support.rpc_world import check_chain_truth, rpc_side
from tests.support.strategy_checks import check_strategies

S = OrderStatus
# Where a limit order may go back to open from: a new cycle (nothing was swapped).
REOPENS_FROM = (S.PENDING, S.ROUTING, S.BUILDING, S.SUBMITTED)
VISIBILITY_MS = 180_000  # template.yaml: QueueVisibilityTimeout
MAX_RECEIVES = 5  # template.yaml: maxReceiveCount
SWEEP_EVERY_MS = 60_000  # template.yaml: rate(1 minute)
TICK_MS = 1000  # template.yaml: TriggerTickMs
START_TIMEOUT_MS = 300_000  # template.yaml: StartTimeout
DLQ_REASON = "processing crashed: the order's message was dead-lettered after repeated failed deliveries"


THROTTLES = {"queue": QueueUnavailable, "rpc": RpcError}


class Crash(BaseException):
    """The process died (a Lambda crash, a kill, a timeout): nothing after it runs."""


# ---------------------------------------------------------------- faults at the ports
@dataclass
class Fault:
    """Fire ``kind`` on calls number ``first`` .. ``first + times - 1`` of ``operation``."""

    operation: str  # "orders.save_transition", "ledger.put_if_absent", "limiter.read", ...
    kind: str  # "throttle" (raises StoreBusy), "crash-before", "crash-after"
    first: int = 1
    times: int = 1

    def hits(self, nth: int) -> bool:
        return self.first <= nth < self.first + self.times


class Calls:
    """Counts calls per operation, fires the faults, and lets race tests pause a thread."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.log: list[str] = []
        self.faults: list[Fault] = []
        self.pause: Callable[[str], None] = lambda operation: None
        self._lock = threading.Lock()

    def before(self, operation: str) -> int:
        self.pause(operation)
        with self._lock:
            nth = self.counts[operation] = self.counts.get(operation, 0) + 1
            self.log.append(operation)
        for fault in self.faults:
            if fault.operation == operation and fault.hits(nth):
                if fault.kind == "throttle":  # the store throttles; the queue refuses; the RPC node times out
                    raise THROTTLES.get(operation.partition(".")[0], StoreBusy)(f"injected: {operation} throttled")
                if fault.kind == "crash-before":
                    raise Crash(f"injected: died before {operation}")
        return nth

    def steps(self) -> list[tuple[str, int]]:
        """Every call made so far, as (operation, which call of it): the places a fault can go."""
        seen: dict[str, int] = {}
        numbered = []
        for operation in self.log:
            seen[operation] = seen.get(operation, 0) + 1
            numbered.append((operation, seen[operation]))
        return numbered

    def after(self, operation: str, nth: int) -> None:
        for fault in self.faults:
            if fault.operation == operation and fault.kind == "crash-after" and fault.hits(nth):
                raise Crash(f"injected: died after {operation}")


class Instrumented:
    """Wraps a port: every public method call goes through ``calls``."""

    def __init__(self, name: str, target: Any, calls: Calls) -> None:
        self._name, self._target, self._calls = name, target, calls

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._target, attribute)
        if attribute.startswith("_") or not callable(value):
            return value
        operation = f"{self._name}.{attribute}"

        def call(*args: Any, **kwargs: Any) -> Any:
            nth = self._calls.before(operation)
            result = value(*args, **kwargs)
            self._calls.after(operation, nth)
            return result

        return call


# ---------------------------------------------------------------- SQS on the fake clock
@dataclass(order=True)
class _Message:
    visible_at: int
    message_id: int
    order_id: str = field(compare=False)
    not_before_ms: int | None = field(compare=False, default=None)
    cycle: int | None = field(compare=False, default=None)
    receive_count: int = field(compare=False, default=0)
    deleted: bool = field(compare=False, default=False)


class SimQueue:
    """An OrderQueue with SQS's semantics on the fake clock: delays, visibility timeouts,
    ChangeMessageVisibility, ApproximateReceiveCount and redrive after MAX_RECEIVES."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.heap: list[_Message] = []
        self.by_handle: dict[str, _Message] = {}
        self.dead_letters: list[_Message] = []
        self.fail_sends = 0  # the next n sends raise QueueUnavailable
        self._ids = itertools.count(1)

    def send(self, order_id: str, delay_seconds: int = 0, not_before_ms: int | None = None, settle: bool = False, cycle: int | None = None) -> None:
        # One queue stands for both: the settle queue's only difference is who consumes it.
        if self.fail_sends:
            self.fail_sends -= 1
            raise QueueUnavailable("the order queue did not accept the order")
        self._push(_Message(self.clock.now_ms() + delay_seconds * 1000, next(self._ids), order_id, not_before_ms, cycle))

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        message = self.by_handle[receipt_handle]
        message.visible_at = self.clock.now_ms() + delay_seconds * 1000
        heapq.heapify(self.heap)

    def _push(self, message: _Message) -> None:
        heapq.heappush(self.heap, message)
        self.by_handle[str(message.message_id)] = message

    def receive(self) -> _Message | None:
        """The next visible message (now hidden for the visibility timeout), or None."""
        while self.heap and (self.heap[0].deleted or self.heap[0] in self.dead_letters):
            heapq.heappop(self.heap)
        if not self.heap or self.heap[0].visible_at > self.clock.now_ms():
            return None
        message = self.heap[0]
        if message.receive_count >= MAX_RECEIVES:  # redrive: the next receive moves it to the DLQ
            heapq.heappop(self.heap)
            self.dead_letters.append(message)
            return self.receive()
        message.receive_count += 1
        message.visible_at = self.clock.now_ms() + VISIBILITY_MS
        heapq.heapify(self.heap)
        return message

    def delete(self, message: _Message) -> None:
        message.deleted = True

    def next_visible_ms(self) -> int | None:
        live = [m.visible_at for m in self.heap if not m.deleted]
        return min(live) if live else None


# ---------------------------------------------------------------- the engine
class World:
    def __init__(
        self,
        config: SimulationConfig | None = None,
        faults: list[Fault] | None = None,
        fault_plan: str = "",
        rate_per_minute: int = 0,
        max_attempts: int = 3,
        key_backlog_ms: int | None = None,
        max_open_per_key: int = 0,
        chain: str = "ledger",
    ) -> None:
        config = config or SimulationConfig(seed=7, failure_rate=Decimal(0), quote_delay_ms=0)
        self.clock = FakeClock()
        self.calls = Calls()
        self.calls.faults = list(faults or [])
        self.orders = InMemoryOrders()
        self.ledger = InMemoryLedger()
        self.limiter_store = InMemoryRateLimitStore()
        self.queue = SimQueue(self.clock)
        self.sends = Instrumented("queue", self.queue, self.calls)  # the queue as the engine's code calls it
        self.attempt_history: dict[str, list[int]] = {}
        randomness = Randomness(config.seed)
        plan = FaultPlan.parse(fault_plan, randomness, crash=_raise_crash)
        orders = Instrumented("orders", _AttemptWatcher(self.orders, self.attempt_history), self.calls)
        venues = [SimulatedDex(seed, config, randomness, self.clock, plan) for seed in DEX_SEEDS]
        router = Router(venues, limit_margin=config.price_drift)
        # The chain: the simulated one over the ledger, or the RPC chain over the local validator
        # (tests/support/rpc_world.py), its JSON-RPC calls steps as the stores' are.
        self.rpc = rpc_side(self.clock, self.calls, config, router.venues, plan) if chain == "rpc" else None
        port = self.rpc.chain if self.rpc else SimulatedChain(Instrumented("ledger", self.ledger, self.calls), config, randomness, self.clock, plan)
        limiter = RateLimiter(Instrumented("limiter", self.limiter_store, self.calls), SlidingLog(rate_per_minute), self.clock)
        self.executor = OrderExecutor(orders, router, port, limiter, self.clock, max_attempts=max_attempts, start_timeout_ms=START_TIMEOUT_MS)
        # Per-key limits (the API counts orders, the trigger queues limit orders), when asked for:
        # the backlog rule at the engine's pace (RateLimitPerMinute, 100 when the limiter is off).
        self.quota_store = InMemoryKeyQuotaStore()
        interval_ms = engine_interval_ms(rate_per_minute or 100, Decimal("61.5"))
        self.quota = KeyQuota(Instrumented("quota", self.quota_store, self.calls), key_backlog_ms, interval_ms) if key_backlog_ms else None
        # Order ids from a counter, not uuid4: the chain's simulated drift and delay are seeded by the
        # swap's signature, which hashes the id, so a run (and the fault matrices' steps) is the same every time.
        ids = itertools.count(1)
        self.submission = OrderSubmission(
            orders, self.sends, self.clock, new_id=lambda: f"00000000-0000-4000-8000-{next(ids):012d}",
            start_timeout_ms=START_TIMEOUT_MS, quota=self.quota, max_open_per_key=max_open_per_key, wallets=self.rpc.wallets if self.rpc else None,
        )
        self.sweeper = Sweeper(orders, self.clock)
        self.venues = venues
        self.trigger = Trigger(
            orders, self.sends, venues, self.clock, InMemoryLease(), margin=config.price_drift, start_timeout_ms=START_TIMEOUT_MS, tick_ms=TICK_MS,
            quota=self.quota,
        )
        self.cancellation = OrderCancellation(orders, self.clock)
        self.accepted: list[str] = []
        self.cancels: list[tuple[str, int, Order | Exception]] = []  # every DELETE: the order, when, its answer (S4)
        self._next_tick = self.clock.now_ms()
        self._next_sweep = self.clock.now_ms() + SWEEP_EVERY_MS

    def submit(self, caller: Principal = TEST_CALLER, **fields: Any) -> str | None:
        """POST an order; its id if accepted (202), None if refused (503, or a key's limit)."""
        # A recurring order names amountPerRun and never amountIn (the parent's is the runs' total).
        default = {} if fields.get("type") == "recurring" else {"amountIn": "1.5"}
        body = {"tokenIn": "SOL", "tokenOut": "USDC", **default, **fields}
        try:
            order = self.submission.submit(ExecuteOrderRequest(**body), caller)
        except (QueueUnavailable, StoreBusy, RpcError, RateLimited, TooManyOpenOrders, Crash):  # a 503 or 429 or 409, or no answer at all
            return None
        self.accepted.append(order.orderId)
        return order.orderId

    def deliver(self, message: _Message) -> None:
        """One consumer invocation, as functions/order_consumer/app.py runs it."""
        try:
            outcome = self.executor.process(message.order_id, message.receive_count, message.not_before_ms, message.cycle)
            if outcome.apply(self.sends, message.order_id, str(message.message_id)):
                self.queue.delete(message)
        except (Crash, Exception):  # noqa: BLE001 - a failed record: SQS shows it again after its visibility timeout
            pass

    def dead_letter(self, message: _Message) -> bool:
        """The dead-letter function, as functions/dead_letter/app.py runs it."""
        try:
            outcome = self.executor.give_up(message.order_id, DLQ_REASON, message.cycle)
            outcome.apply(self.sends, message.order_id, str(message.message_id))
            return True
        except (Crash, Exception):  # noqa: BLE001 - a failed record stays on the dead-letter queue
            return False

    def run(self, horizon_ms: int = 3_600_000) -> None:
        """Deliver, redrive, dead-letter and sweep until nothing is left to do."""
        end = self.clock.now_ms() + horizon_ms
        while self.clock.now_ms() < end:
            if message := self.queue.receive():
                self.deliver(message)
                continue
            if self.queue.dead_letters:
                dead = self.queue.dead_letters.pop(0)
                if not self.dead_letter(dead):
                    self.queue.dead_letters.append(dead)
                    self.clock.advance(30)  # the DLQ's own visibility timeout
                continue
            if self.clock.now_ms() >= self._next_sweep:
                self._sweep()
                continue
            if self.clock.now_ms() >= self._next_tick:
                self._tick()
                continue
            if self._settled():
                return
            upcoming = [t for t in (self.queue.next_visible_ms(), self._next_sweep, self._next_tick) if t is not None]
            self.clock.ms = max(self.clock.now_ms() + 1, min(upcoming))

    def _sweep(self) -> None:
        self._next_sweep = self.clock.now_ms() + SWEEP_EVERY_MS
        try:
            self.sweeper.sweep()
        except (Crash, StoreBusy):
            pass  # the next run sweeps again

    def _tick(self) -> None:
        """One tick of the trigger's run (the run itself loops on the real clock)."""
        self._next_tick = self.clock.now_ms() + TICK_MS
        try:
            self.trigger.tick()
        except (Crash, StoreBusy, QueueUnavailable):
            pass  # the next tick judges every open order again

    def cancel(self, order_id: str) -> Order | Exception:
        """DELETE /api/orders/{id}: the cancelled order, or the error the client is told."""
        at_ms = self.clock.now_ms()
        try:
            answer: Order | Exception = self.cancellation.cancel(order_id, TEST_CALLER.owner)
        except (Exception, Crash) as error:  # noqa: BLE001 - NotCancellable (409), a store error (503), or no answer at all
            answer = error  # type: ignore[assignment]
        self.cancels.append((order_id, at_ms, answer))
        return answer

    def _settled(self) -> bool:
        # A strategy's parent is active (not final) until it ends: the loop keeps ticking the trigger for its slots.
        return self.queue.next_visible_ms() is None and all(o.is_final for o in self.orders.items.values())


class _AttemptWatcher:
    """Records every attempt count an order is stored with (G4: they never go down)."""

    def __init__(self, orders: InMemoryOrders, history: dict[str, list[int]]) -> None:
        self._orders, self._history = orders, history

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._orders, attribute)
        if attribute not in ("create", "save_transition", "record_attempt", "extend_start_deadline"):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            for order_id, order in self._orders.items.items():
                seen = self._history.setdefault(order_id, [])
                if not seen or seen[-1] != order.attempts:
                    seen.append(order.attempts)
            return result

        return call


def _raise_crash(point: str) -> None:
    raise Crash(f"chaos: {point}")


# ---------------------------------------------------------------- the guarantees
def check_guarantees(world: World, max_attempts: int = 3, bound_ms: int | None = None) -> None:
    """G1-G6 (docs/guarantees.md), judged against the chain: the ledger, or the validator's own
    record of what landed and getSignatureStatuses."""
    orders = world.orders.items
    landed = world.rpc.landed() if world.rpc else world.ledger.landed()
    if world.rpc:
        check_chain_truth(world.rpc, orders, _story)
    by_signature = {o.transaction.signature: o for o in orders.values() if o.transaction}
    for signature in landed:
        assert signature in by_signature, "G2: a swap landed whose signature no order stored first"
    for order_id in orders:  # accepted or not: an order the API stored must end too
        order = orders[order_id]
        # G3: every accepted order is final (within the bound, when one is given).
        assert order.is_final, f"G3: order stuck in {order.status.value}: {_story(order)}"
        if order.strategy is not None:  # a strategy's parent never routes: its children do (checked as orders); S5 bounds it
            assert order.transaction is None and order.routing is None and order.attempts == 0, f"G1: a parent routed: {_story(order)}"
            _check_history(order)
            continue
        if bound_ms is not None:
            assert order.statusAtMs - order.history[0].timestampMs <= bound_ms, f"G3: final after the bound: {_story(order)}"
        # G1 and G2: the final status is what the chain says; at most one swap per order.
        record = landed.get(order.transaction.signature) if order.transaction else None
        if order.status in (S.CANCELLED, S.EXPIRED):  # ended before routing: nothing was ever built
            assert order.transaction is None and order.routing is None, f"G1: {order.status.value} after routing: {_story(order)}"
        if record is None:
            assert order.status in (S.FAILED, S.CANCELLED, S.EXPIRED), f"G1: confirmed without a landed swap: {_story(order)}"
        elif record["status"] == "success":
            assert order.status is S.CONFIRMED, f"G1: the swap landed but the order is {order.status.value}: {_story(order)}"
            assert order.execution.txHash == order.transaction.signature
            assert order.execution.amountOut == Decimal(record["amountOut"])
        else:
            assert order.status is S.FAILED, f"G1: {_story(order)}"
            if "error" in record:  # the ledger's words (the RPC chain's reason: check_chain_truth)
                assert order.failureReason == record["error"], f"G1: failed without the chain's reason: {_story(order)}"
        # G4: attempts never go down (but when a limit order goes back to open, in the write that
        # reopens it: a new routing cycle), and no more than max_attempts start in a cycle.
        seen = world.attempt_history.get(order_id, [0])
        reopened = sum(1 for a, b in zip(order.history, order.history[1:]) if b.status is S.OPEN and a.status in REOPENS_FROM)
        assert sum(1 for a, b in zip(seen, seen[1:]) if b < a) <= reopened, f"G4: attempts went down: {seen}"
        assert all(b == 0 for a, b in zip(seen, seen[1:]) if b < a), f"G4: attempts went down but not to a new cycle: {seen}"
        assert order.attempts <= max_attempts and len(order.attemptStartedAtMs) == order.attempts, f"G4: {_story(order)}"
        _check_history(order)
        # G6: no order confirms with less than one unit of the output token.
        if order.status is S.CONFIRMED:
            assert order.execution.amountOut >= smallest_unit(resolve_token(order.tokenOut).decimals), f"G6: {_story(order)}"
    check_strategies(orders, world.cancels, _story)


def _check_history(order: Order) -> None:
    """G5: the history is one path through the state machine. A limit order may cycle
    open -> ... -> open; a strategy's parent starts active and stays active until it ends."""
    statuses = [h.status for h in order.history]
    repeats = (S.ACTIVE,) if order.strategy is not None else (S.OPEN, *REOPENS_FROM)
    once = [s for s in statuses if s not in repeats]
    first = (S.ACTIVE,) if order.strategy is not None else (S.PENDING, S.OPEN)
    assert statuses[0] in first and len(set(once)) == len(once), f"G5: {_story(order)}"
    assert all(b in TRANSITIONS[a] for a, b in zip(statuses, statuses[1:])), f"G5: {_story(order)}"
    assert [h.seq for h in order.history] == list(range(1, len(statuses) + 1)) == list(range(1, order.seq + 1)), f"G5: {_story(order)}"


def _story(order: Order) -> str:
    steps = " > ".join(f"{h.status.value}({h.message})" for h in order.history)
    return f"{order.orderId} attempts={order.attempts}: {steps}"
