"""The engine on the RPC chain, in process: the local validator (localcloud/services/solana) on
the engine's fake clock, reached through the engine's own JSON-RPC client minus the socket, the
tokens and venues bootstrapped on it by the engine's bootstrap, and a funded wallet for the
test caller's key. Everything else as tests/support/engine.py: in-memory orders, queue and
limiter."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from localcloud.services.solana import LocalValidator
from localcloud.services.solana.errors import RpcError as ValidatorError
from solroute.dal.solana.bootstrap import airdrop, bootstrap
from solroute.dal.solana.chain import RpcChain
from solroute.dal.solana.rpc import RpcFailure, SolanaRpc
from solroute.dal.solana.wallets import ChainWallets
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DEX_SEEDS
from solroute.dex.simulation import SimulationConfig
from solroute.dex.solana.keys import ChainKeys
from solroute.dex.venue import SimulatedDex
from solroute.logic.execution import OrderExecutor
from solroute.logic.rate_limit import RateLimiter, SlidingLog
from solroute.logic.routing import Router
from solroute.logic.submission import OrderSubmission
from solroute.ports import PricedVenue
from tests.fakes import TEST_CALLER, FakeClock, InMemoryOrders, InMemoryQueue, InMemoryRateLimitStore
from tests.support.engine import RELIABLE, Engine

WALLET_FUNDS = {"SOL": Decimal(100), "USDC": Decimal(20_000)}


class InProcessRpc(SolanaRpc):
    """The engine's RPC client with the validator's dispatch where the HTTP exchange would be."""

    def __init__(self, validator: LocalValidator) -> None:
        super().__init__("http://in-process.invalid")
        self.validator = validator
        self.calls: list[str] = []

    def call(self, method: str, *params: Any) -> Any:
        self.calls.append(method)
        try:
            return self.validator.dispatch(method, list(params))
        except ValidatorError as error:
            raise RpcFailure(error.code, error.message, error.data) from None


@dataclass
class RpcEngine(Engine):
    validator: LocalValidator = None  # type: ignore[assignment]
    rpc: InProcessRpc = None  # type: ignore[assignment]
    chain: RpcChain = None  # type: ignore[assignment]
    wallets: ChainWallets = None  # type: ignore[assignment]

    def balance(self, token: str, key_id: str = TEST_CALLER.key_id) -> Decimal:
        return self.wallets.balances(key_id)[token]


def build_rpc_engine(config: SimulationConfig = RELIABLE, rate_per_minute: int = 100, max_attempts: int = 3, faults: FaultPlan = NO_FAULTS,
                     funds: dict[str, Decimal] = WALLET_FUNDS, clock: FakeClock | None = None) -> RpcEngine:  # fmt: skip
    clock = clock or FakeClock()
    randomness = Randomness(config.seed)
    venues = [SimulatedDex(seed, config, randomness, clock) for seed in DEX_SEEDS]
    router = Router(venues)
    validator, rpc, chain, wallets = local_chain(clock, config, router.venues, faults, funds)
    orders, queue, store = InMemoryOrders(), InMemoryQueue(), InMemoryRateLimitStore()
    executor = OrderExecutor(orders, router, chain, RateLimiter(store, SlidingLog(rate_per_minute), clock), clock, max_attempts=max_attempts)
    submission = OrderSubmission(orders, queue, clock, wallets=wallets)
    rpc.calls.clear()
    return RpcEngine(clock, orders, queue, None, store, submission, executor, validator, rpc, chain, wallets)  # type: ignore[arg-type]


def local_chain(clock: FakeClock, config: SimulationConfig, venues: Mapping[str, PricedVenue], faults: FaultPlan, funds: dict[str, Decimal],
                rpc_type: type[InProcessRpc] = InProcessRpc, root: bytes | None = None) -> tuple[LocalValidator, Any, RpcChain, ChainWallets]:  # fmt: skip
    """The local validator on ``clock`` (its confirmation delay the config's swap delay),
    bootstrapped, the RPC chain over it and the test caller's wallet funded with ``funds``."""
    validator = LocalValidator(now_ms=lambda: clock.ms, confirm_min_ms=config.swap_delay_min_ms, confirm_max_ms=config.swap_delay_max_ms,
                               seed=bytes(32), rng=random.Random(config.seed))  # fmt: skip
    rpc = rpc_type(validator)
    keys = ChainKeys(root or os.urandom(32))
    bootstrap(rpc, keys, airdrop(rpc), sleep=clock.sleep)
    chain = RpcChain(rpc, lambda: keys, venues, clock, config, faults)
    wallets = ChainWallets(chain, faucet=True, label="local")
    for token, amount in funds.items():
        wallets.fund(TEST_CALLER.key_id, token, amount)
    return validator, rpc, chain, wallets
