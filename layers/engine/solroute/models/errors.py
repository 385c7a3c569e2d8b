"""Typed domain errors. HTTP status codes are assigned in one place: functions/api/http_errors.py."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base for every error the domain raises on purpose."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(DomainError):
    code = "INVALID_REQUEST"


class OrderNotFound(DomainError):
    code = "ORDER_NOT_FOUND"


class NoWallets(DomainError):
    """This stack runs the simulated ledger chain, which keeps no wallets (GET /api/wallet)."""

    code = "NO_WALLETS"


class DuplicateOrder(DomainError):
    """An order with this id is already stored."""

    code = "DUPLICATE_ORDER"


class TooManySubscribers(DomainError):
    """An order has as many live WebSocket subscribers as it may keep."""

    code = "TOO_MANY_SUBSCRIBERS"


class TooManyConnections(DomainError):
    """An API key has as many WebSocket connections open as it may (WebSocketConnectionsPerKey)."""

    code = "TOO_MANY_CONNECTIONS"


class Unauthenticated(DomainError):
    """No valid API key reached the function (the authorizer found none, or did not run)."""

    code = "UNAUTHORIZED"


class RateLimited(DomainError):
    """A per-key limit refused the request; it may be retried after ``retry_after_s`` seconds."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after_s: int, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after_s = retry_after_s


class TooManyOpenOrders(DomainError):
    """A limit order past its API key's cap of open limit orders (KeyMaxOpenOrders)."""

    code = "TOO_MANY_OPEN_ORDERS"


class TooManyStrategies(DomainError):
    """A strategy order past its API key's cap of active strategies (KeyMaxActiveStrategies)."""

    code = "TOO_MANY_STRATEGIES"


class IdempotencyConflict(DomainError):
    code = "IDEMPOTENCY_CONFLICT"


class QueueUnavailable(DomainError):
    code = "QUEUE_UNAVAILABLE"


class NotCancellable(DomainError):
    """The order has started routing (or is final): only the chain decides it now."""

    code = "NOT_CANCELLABLE"


class InvalidTransition(DomainError):
    """The state machine forbids this move (a bug, or a message replayed out of order)."""

    code = "INVALID_TRANSITION"


class StaleOrder(DomainError):
    """A conditional write lost: the order is no longer in the status/seq we read."""

    code = "STALE_ORDER"


class AttemptsExhausted(DomainError):
    code = "ATTEMPTS_EXHAUSTED"


class TransientError(DomainError):
    """Worth retrying with backoff: a venue or RPC hiccup."""

    code = "TRANSIENT_ERROR"


class DexUnavailable(TransientError):
    code = "DEX_UNAVAILABLE"


class RpcError(TransientError):
    code = "RPC_ERROR"


class NotFinalYet(DomainError):
    """The chain cannot tell the transaction's outcome yet (landed but not confirmed, or not seen
    while its blockhash may still land): ask again at ``at_ms``."""

    code = "NOT_FINAL_YET"

    def __init__(self, message: str, at_ms: int) -> None:
        super().__init__(message)
        self.at_ms = at_ms


class StoreBusy(TransientError):
    """The database throttled a request (DynamoDB's ProvisionedThroughputExceeded and kin)."""

    code = "STORE_BUSY"


class PermanentOrderError(DomainError):
    """Retrying cannot help: the order fails at once."""

    code = "ORDER_FAILED"


class NoWallet(PermanentOrderError):
    """The order has no wallet to pay from (submitted without an API key's wallet)."""

    code = "NO_WALLET"


class NoLiquidity(PermanentOrderError):
    code = "NO_LIQUIDITY"


class PriceImpactTooHigh(PermanentOrderError):
    """The best route moves the price more than the order accepts: nothing is sent."""

    code = "PRICE_IMPACT_TOO_HIGH"


class PriceMoved(PermanentOrderError):
    """The order's quote can no longer be met: it expired, or the market moved below its minimum
    (on the RPC chain: the venues would no longer co-sign the route at the order's minimum)."""

    code = "PRICE_MOVED"


class LimitNotMet(PermanentOrderError):
    """A triggered limit order's best route no longer meets its limit price (nothing was built)."""

    code = "LIMIT_NOT_MET"


class TransactionExpired(PermanentOrderError):
    """The swap's transaction can no longer land (on Solana: its blockhash expired)."""

    code = "TRANSACTION_EXPIRED"


class DuplicateKey(DomainError):
    """An API key with this hash is already stored (a stored key is never overwritten)."""

    code = "DUPLICATE_KEY"


class KeyNotFound(DomainError):
    code = "KEY_NOT_FOUND"
