"""The engine on in-memory fakes: submission and execution sharing one fake clock, orders, queue,
ledger and rate-limit store, with simulated venues that never fail unless told to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solroute.dex.chain import SimulatedChain
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DEX_SEEDS
from solroute.dex.simulation import SimulationConfig
from solroute.dex.venue import SimulatedDex
from solroute.logic.execution import OrderExecutor
from solroute.logic.rate_limit import RateLimiter, SlidingLog
from solroute.logic.routing import Router
from solroute.logic.submission import OrderSubmission
from solroute.models.requests import ExecuteOrderRequest
from tests.fakes import FakeClock, InMemoryLedger, InMemoryOrders, InMemoryQueue, InMemoryRateLimitStore, TEST_CALLER, TEST_OWNER

RELIABLE = SimulationConfig(seed=7, failure_rate=Decimal(0))


@dataclass
class Engine:
    clock: FakeClock
    orders: InMemoryOrders
    queue: InMemoryQueue
    ledger: InMemoryLedger
    limiter_store: InMemoryRateLimitStore
    submission: OrderSubmission
    executor: OrderExecutor

    def run(self, order_id: str, receive_count: int = 1):
        """Process an order as the queue would: each requeue comes back at its not-before
        time. Returns every outcome, the last one final."""
        outcomes = [self.executor.process(order_id, receive_count)]
        while outcomes[-1].action == "requeue":
            self.clock.ms = max(self.clock.ms, outcomes[-1].not_before_ms)
            outcomes.append(self.executor.process(order_id, 1, outcomes[-1].not_before_ms))
        return outcomes

    def submit(self, owner: str = TEST_OWNER, **fields):
        body = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", **fields}
        return self.submission.submit(ExecuteOrderRequest(**body), TEST_CALLER.model_copy(update={"owner": owner}))


def build_engine(config: SimulationConfig = RELIABLE, rate_per_minute: int = 100, max_attempts: int = 3) -> Engine:
    clock = FakeClock()
    randomness = Randomness(config.seed)
    orders, queue, ledger, store = InMemoryOrders(), InMemoryQueue(), InMemoryLedger(), InMemoryRateLimitStore()
    venues = [SimulatedDex(seed, config, randomness, clock) for seed in DEX_SEEDS]
    executor = OrderExecutor(
        orders,
        Router(venues),
        SimulatedChain(ledger, config, randomness, clock),
        RateLimiter(store, SlidingLog(rate_per_minute), clock),
        clock,
        max_attempts=max_attempts,
    )
    return Engine(clock, orders, queue, ledger, store, OrderSubmission(orders, queue, clock), executor)
