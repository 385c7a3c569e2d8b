"""Composition root: build each service once per Lambda container from the settings.

Handlers call these; warm invocations reuse the boto3 clients and thread pools inside.
"""

from __future__ import annotations

import threading
import weakref
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from solroute.dal import webhooks_http
from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
from solroute.dal.dynamodb.chain_ledger import DynamoChainLedger
from solroute.dal.dynamodb.connections import DynamoConnectionRepository
from solroute.dal.dynamodb.key_connections import DynamoKeyConnections
from solroute.dal.dynamodb.key_quota import DynamoKeyQuotaStore
from solroute.dal.dynamodb.lease import DynamoLease
from solroute.dal.dynamodb.orders import DynamoOrderRepository
from solroute.dal.dynamodb.rate_limit import DynamoRateLimitStore
from solroute.dal.dynamodb.streams import DynamoStreamReader, status_change_of
from solroute.dal.dynamodb.subscribers import DynamoSubscribers
from solroute.dal.dynamodb.webhooks import DynamoDeliveryLog, DynamoWebhookMaster
from solroute.dal.sqs import SqsOrderQueue
from solroute.dal.webhooks_sqs import SqsSetAside, SqsWebhookQueue
from solroute.dal.websocket import ApiGatewayNotifier
from solroute.dex.chain import SimulatedChain
from solroute.dex.faults import FaultPlan
from solroute.dex.market import Market
from solroute.dex.price_path import PricePath
from solroute.dex.randomness import Randomness
from solroute.dex.seeds import DEX_SEEDS
from solroute.dex.venue import SimulatedDex
from solroute.logic.broadcast import Broadcaster
from solroute.logic.cancel import OrderCancellation
from solroute.logic.execution import OrderExecutor
from solroute.logic.key_quota import KeyQuota, engine_interval_ms
from solroute.logic.keys import KeyAuthority, Revocations
from solroute.logic.orders import OrderQueries
from solroute.logic.quotes import QuoteService
from solroute.logic.rate_limit import RateLimiter, SlidingLog
from solroute.logic.routing import Router
from solroute.logic.submission import OrderSubmission
from solroute.logic.subscriptions import Subscriptions
from solroute.logic.sweeper import Sweeper
from solroute.logic.trigger import Trigger
from solroute.logic.wallets import WalletDesk
from solroute.logic.webhook_stream import WebhookStream
from solroute.logic.webhooks import WebhookSecrets, WebhookSender
from solroute.ports import Chain, Clock, Wallets
from solroute.settings import require, settings
from solroute.snapshot import register_after_restore, register_before_snapshot

if TYPE_CHECKING:
    from solroute.dal.solana.chain import RpcChain

QUOTA_TRIES = 32  # a key's quota item, written by one API instance after another under a burst
# Short timeouts: a slow AWS call should fail and be retried, not eat the function's timeout.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


class _OnFirstUse:
    """An AWS client or table made when it is first used. check_environment builds a function's
    services at init, which checks every name they need; making the boto3 objects themselves
    (reading botocore's service models: tens of ms each) waits for the first call, as it did
    before, so the init stays as short. One lock: boto3 makes nothing safely from two threads."""

    _lock = threading.Lock()
    _every: weakref.WeakSet[_OnFirstUse] = weakref.WeakSet()  # what reopen() forgets

    def __init__(self, make: Callable[[], Any], **known: Any) -> None:
        self._make, self._made = make, None
        self.__dict__.update(known)  # attributes answered without making it (a table's name)
        _OnFirstUse._every.add(self)

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._make()
        return getattr(self._made, name)


def reopen() -> None:
    """Forget every AWS client and resource made so far, and so their connection pools: the next
    use makes a new one. After a restore: the image's connections are dead on AWS, and shared by
    every forked instance locally (solroute.snapshot)."""
    with _OnFirstUse._lock:
        _dynamodb.cache_clear()
        for lazy in list(_OnFirstUse._every):
            lazy._made = None


def prime() -> None:
    """Before a snapshot: make every client and table the init's services will use, then forget
    them. botocore keeps the service models it loaded (~90 ms of CPU for DynamoDB and SQS), so each
    restored instance makes its own clients from them in a few ms; no client is in the snapshot."""
    for lazy in list(_OnFirstUse._every):
        lazy._make()
    reopen()


register_before_snapshot(prime)
register_after_restore(reopen)


@lru_cache(maxsize=None)
def _dynamodb() -> Any:
    return boto3.resource("dynamodb", config=_CLIENT_CONFIG)


def _table(name: str) -> Any:
    return _OnFirstUse(lambda: _dynamodb().Table(name), name=name)


@lru_cache(maxsize=1)
def clock() -> Clock:
    return Clock()


def check_environment(*services: Callable[[], Any]) -> None:
    """Read and validate the function's environment now (at init), and build the ``services``
    its handler uses: a bad value (an unknown fault point) or a missing one (a table or queue
    name: MissingSetting names the variable) fails the function at start-up, never mid-order.
    Building them makes no AWS call, nor any boto3 client (_OnFirstUse)."""
    settings()
    faults()
    for service in services:
        service()


def _required(field: str) -> str:
    return require(settings(), field)


@lru_cache(maxsize=1)
def faults() -> FaultPlan:
    """Chaos mode (template parameter FaultInjection); no faults unless it names some."""
    return FaultPlan.parse(settings().fault_injection, Randomness(settings().sim_seed))


@lru_cache(maxsize=1)
def _sqs() -> Any:
    return _OnFirstUse(lambda: boto3.client("sqs", config=_CLIENT_CONFIG))


@lru_cache(maxsize=1)
def order_repository() -> DynamoOrderRepository:
    return DynamoOrderRepository(_table(_required("orders_table")), faults())


@lru_cache(maxsize=4)
def order_queue(received_from: str = "") -> SqsOrderQueue:
    """The queues as a consumer sees them; ``received_from``: the queue its message came from."""
    config = settings()
    return SqsOrderQueue(_sqs(), _required("orders_queue_url"), settle_url=config.settle_queue_url, received_from=received_from)


def queue_url_of(queue_arn: str) -> str:
    """The URL of one of our queues, from the ARN an SQS record names ("" if it is neither)."""
    name = queue_arn.rpartition(":")[2]
    config = settings()
    return next((url for url in (config.orders_queue_url, config.settle_queue_url) if url and url.rstrip("/").rpartition("/")[2] == name), "")


@lru_cache(maxsize=1)
def subscriber_store() -> DynamoSubscribers:
    return DynamoSubscribers(_table(_required("orders_table")), faults())


@lru_cache(maxsize=1)
def connection_repository() -> DynamoConnectionRepository:
    return DynamoConnectionRepository(_table(_required("connections_table")), lambda: clock().now_ms() // 1000, faults())


@lru_cache(maxsize=1)
def notifier() -> ApiGatewayNotifier:
    config = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "max_attempts": 2})
    _required("websocket_url")
    client = _OnFirstUse(lambda: boto3.client("apigatewaymanagementapi", endpoint_url=settings().management_endpoint, config=config))
    return ApiGatewayNotifier(client, faults())


@lru_cache(maxsize=1)
def key_quota() -> KeyQuota:
    """Each API key's rate and share of the shared queue (the API counts orders, the trigger
    queues limit orders)."""
    config = settings()
    interval_ms = engine_interval_ms(config.rate_limit_per_minute, config.rate_limit_window_seconds)
    # A backlog shorter than one order's share of the engine could never admit anything.
    backlog_ms = max(config.key_backlog_seconds * 1000, interval_ms)
    # Each lost write returns the winner's state, so every round one contender wins: a burst
    # over N instances needs at most N tries for the last of them.
    return KeyQuota(DynamoKeyQuotaStore(_table(_required("rate_limit_table")), faults()), backlog_ms, interval_ms, max_tries=QUOTA_TRIES)


@lru_cache(maxsize=1)
def order_submission() -> OrderSubmission:
    # Only the API's SendMessage honours the sqs-send-error fault; consumers' requeues do not.
    config = settings()
    queue = SqsOrderQueue(_sqs(), _required("orders_queue_url"), faults())
    wake = SqsOrderQueue(_sqs(), config.trigger_wake_queue_url) if config.trigger_wake_queue_url else None
    return OrderSubmission(
        order_repository(), queue, clock(), start_timeout_ms=config.start_timeout_seconds * 1000, quota=key_quota(), trigger_wake=wake,
        max_open_per_key=config.key_max_open_orders, wallets=wallets(), max_strategies_per_key=config.key_max_active_strategies,
    )  # fmt: skip


@lru_cache(maxsize=1)
def order_queries() -> OrderQueries:
    return OrderQueries(order_repository())


@lru_cache(maxsize=1)
def price_path() -> PricePath:
    """The simulated market's prices over time: the same in every function of the stack."""
    config = settings()
    return PricePath(config.market_seed, config.volatility)


@lru_cache(maxsize=1)
def market() -> Market:
    """The pools, priced from the price path at any moment."""
    return Market(path=price_path())


@lru_cache(maxsize=1)
def order_cancellation() -> OrderCancellation:
    return OrderCancellation(order_repository(), clock())


@lru_cache(maxsize=1)
def router() -> Router:
    """The venues, as the consumer routes on them and the quote endpoint quotes them."""
    config = settings()
    randomness = Randomness(config.sim_seed)
    venues = [SimulatedDex(seed, config.simulation, randomness, clock(), faults(), market()) for seed in DEX_SEEDS]
    return Router(venues, max_price_impact=config.max_price_impact, limit_margin=config.sim_price_drift)


@lru_cache(maxsize=1)
def quote_service() -> QuoteService:
    return QuoteService(router(), clock(), ttl_ms=settings().quote_ttl_seconds * 1000)


@lru_cache(maxsize=1)
def wallet_desk() -> WalletDesk:
    return WalletDesk(wallets())


@lru_cache(maxsize=1)
def order_executor() -> OrderExecutor:
    config = settings()
    chain = chain_adapter()
    limiter = RateLimiter(
        DynamoRateLimitStore(_table(_required("rate_limit_table")), faults()),
        SlidingLog(config.rate_limit_per_minute, int(config.rate_limit_window_seconds * 1000), min_gap_ms=config.rate_limit_min_gap_ms),
        clock(),
    )
    return OrderExecutor(
        order_repository(),
        router(),
        chain,
        limiter,
        clock(),
        max_attempts=config.max_attempts,
        backoff_base_seconds=config.backoff_base_seconds,
        attempt_timeout_ms=config.attempt_timeout_seconds * 1000,
        start_timeout_ms=config.start_timeout_seconds * 1000,
        redelivery_ms=config.queue_visibility_timeout_seconds * 1000,
        trigger_wake=SqsOrderQueue(_sqs(), config.trigger_wake_queue_url) if config.trigger_wake_queue_url else None,
    )


@lru_cache(maxsize=1)
def chain_adapter() -> Chain:
    """The chain orders execute on: a Solana cluster over JSON-RPC when SOLANA_RPC_URL is set
    (the template's SolanaRpcUrl), else the simulated ledger chain (docs/chain.md)."""
    config = settings()
    if config.solana_rpc_url:
        return rpc_chain()
    ledger = DynamoChainLedger(_table(_required("chain_table")), faults())
    return SimulatedChain(ledger, config.simulation, Randomness(config.sim_seed), clock(), faults())


@lru_cache(maxsize=1)
def rpc_chain() -> RpcChain:
    # Imported here: solders costs ~30 ms of import, which a stack on the ledger chain never pays.
    from solroute.dal.solana.chain import RpcChain
    from solroute.dal.solana.rpc import SolanaRpc
    from solroute.dal.solana.secrets import SealedRootStore
    from solroute.dex.solana.keys import ChainKeys

    config = settings()
    root = SealedRootStore(_table(_required("api_keys_table")), _OnFirstUse(lambda: boto3.client("kms", config=_CLIENT_CONFIG)), _required("chain_kms_key"))
    # The root is opened on first use (one GetItem and one KMS call a process). Not _OnFirstUse:
    # opening it makes the KMS client and the table, which take _OnFirstUse's one lock.
    keys = lru_cache(maxsize=1)(lambda: ChainKeys(root.load()))
    # The opened root is never in a snapshot (it would outlive a revoked KMS grant in every instance
    # restored from it): dropped before one, opened again after a restore; the RPC connection too.
    register_before_snapshot(keys.cache_clear)
    rpc = SolanaRpc(config.solana_rpc_url, config.solana_rpc_timeout_seconds)
    register_after_restore(rpc.reopen)
    register_after_restore(keys.cache_clear)
    return RpcChain(rpc, keys, router().venues, clock(), config.simulation, faults())


@lru_cache(maxsize=1)
def wallets() -> Wallets | None:
    """Each API key's wallet; None on the simulated ledger chain (no wallets there)."""
    config = settings()
    if not config.solana_rpc_url:
        return None
    from solroute.dal.solana.wallets import ChainWallets

    chain = rpc_chain()
    host = urlsplit(config.solana_rpc_url).hostname
    # Traders see this label: the node's scheme, host and port, never a provider's API key in its path or query.
    return ChainWallets(chain, config.chain_faucet, "local" if host in ("127.0.0.1", "localhost", "::1") else chain.rpc.name)


@lru_cache(maxsize=1)
def trigger() -> Trigger:
    config = settings()
    return Trigger(
        order_repository(),
        SqsOrderQueue(_sqs(), _required("orders_queue_url")),
        list(router().venues.values()),  # type: ignore[arg-type] - the simulated venues price pools at any moment
        clock(),
        DynamoLease(_table(_required("rate_limit_table")), faults=faults()),
        margin=config.sim_price_drift,
        max_price_impact=config.max_price_impact,
        start_timeout_ms=config.start_timeout_seconds * 1000,
        tick_ms=config.trigger_tick_ms,
        wake=SqsOrderQueue(_sqs(), config.trigger_wake_queue_url) if config.trigger_wake_queue_url else None,
        quota=key_quota(),
        max_per_tick=config.trigger_orders_per_tick,
    )


@lru_cache(maxsize=1)
def sweeper() -> Sweeper:
    return Sweeper(order_repository(), clock())


def _revocations(ttl_s: float) -> Revocations:
    """Whether a WebSocket connection's key was revoked (by key id, in the API keys table)."""
    return Revocations(DynamoApiKeyStore(_table(_required("api_keys_table")), faults()), clock(), ttl_s)


@lru_cache(maxsize=1)
def broadcaster() -> Broadcaster:
    now_seconds = lambda: clock().now_ms() // 1000  # noqa: E731
    # A key found valid is taken as valid for the revocation delay: a revoked key's subscribers
    # stop receiving within it, for one read of the keys table per key per instance per that
    # many seconds, only while the key has subscribers (docs/access-control.md).
    ttl_s = settings().revocation_delay_seconds
    return Broadcaster(subscriber_store(), notifier(), now_seconds=now_seconds, revocations=_revocations(ttl_s))


@lru_cache(maxsize=1)
def subscriptions() -> Subscriptions:
    config = settings()
    key_connections = DynamoKeyConnections(_table(_required("connections_table")), lambda: clock().now_ms() // 1000, faults())
    # ttl 0: a subscribe frame is rare next to status pushes, so it reads the revocation every time.
    return Subscriptions(
        subscriber_store(), connection_repository(), notifier(), clock(), key_connections, _revocations(0),
        config.websocket_connections_per_key,
    )  # fmt: skip


@lru_cache(maxsize=1)
def webhook_queue() -> SqsWebhookQueue:
    return SqsWebhookQueue(_sqs(), _required("webhook_queue_url"))


@lru_cache(maxsize=1)
def webhook_stream() -> WebhookStream:
    reader = DynamoStreamReader(lambda: boto3.client("dynamodbstreams", config=_CLIENT_CONFIG))
    return WebhookStream(status_change_of, webhook_queue(), SqsSetAside(_sqs(), _required("webhook_stream_failure_queue_url")), reader)


@lru_cache(maxsize=1)
def webhook_sender() -> WebhookSender:
    config = settings()
    master = DynamoWebhookMaster(_table(_required("api_keys_table")), faults())
    return WebhookSender(
        WebhookSecrets(master), DynamoDeliveryLog(_table(_required("orders_table")), faults()), clock(), webhooks_http.post, webhooks_http.resolve,
        max_attempts=config.webhook_max_attempts, backoff_base_seconds=config.webhook_backoff_base_seconds,
        timeout_seconds=config.webhook_timeout_seconds,
        local_receivers=config.webhook_allow_loopback, closed_local_ports=config.webhook_closed_loopback_ports,
    )  # fmt: skip


@lru_cache(maxsize=1)
def key_authority() -> KeyAuthority:
    return KeyAuthority(DynamoApiKeyStore(_table(_required("api_keys_table")), faults()))
