"""Accept a validated order: store it as pending, then queue it; or, for a limit order, store it
as open (the trigger queues it when the market reaches its price)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Callable

from aws_lambda_powertools import Logger

from solroute.logic.key_quota import KeyQuota
from solroute.logic.state_machine import transition
from solroute.logic.strategies import new_parent
from solroute.logic.trigger import wake_trigger
from solroute.logic.webhooks import webhook_fields
from solroute.models import timeouts
from solroute.models.amounts import plain
from solroute.models.errors import InvalidRequest, QueueUnavailable, TooManyOpenOrders, TooManyStrategies, TransientError
from solroute.models.keys import Principal
from solroute.models.order import BoundQuote, HistoryEntry, Order, OrderStatus
from solroute.models.requests import ExecuteOrderRequest, SniperRequest
from solroute.models.strategy import STRATEGY_TYPES
from solroute.models.tokens import resolve_token
from solroute.ports import Clock, OrderQueue, OrderRepository, Wallets

logger = Logger(child=True)


def new_order_id() -> str:
    return str(uuid.uuid4())


def _key_fields(request: ExecuteOrderRequest, caller: Principal) -> dict:
    """The key that submitted the order (its public id: it names the key, it cannot authenticate):
    the webhook's signer, a limit order's key (under whose limits the trigger queues it), and
    what an operator or the owner reads to tell which key placed an order; and the webhook, the
    order's or its key's."""
    return {"keyId": caller.key_id, **webhook_fields(request, caller)}


class OrderSubmission:
    def __init__(
        self,
        orders: OrderRepository,
        queue: OrderQueue,
        clock: Clock,
        new_id: Callable[[], str] = new_order_id,
        start_timeout_ms: int = timeouts.START_TIMEOUT_SECONDS * 1000,
        quota: KeyQuota | None = None,
        trigger_wake: OrderQueue | None = None,
        max_open_per_key: int = 0,
        wallets: Wallets | None = None,
        max_strategies_per_key: int = 0,
    ) -> None:
        self.orders = orders
        self.queue = queue
        self.clock = clock
        self.new_id = new_id
        self.start_timeout_ms = start_timeout_ms
        self.quota = quota  # None: no per-key limits
        self.trigger_wake = trigger_wake  # told when a limit order opens (None: the trigger's schedule finds it)
        # The most open limit orders one key may have (0: no cap): the trigger judges every open
        # order every tick, so one key's resting orders must not grow without bound.
        self.max_open_per_key = max_open_per_key
        self.wallets = wallets  # the RPC chain's: an order its key's wallet cannot pay for is refused
        # The most active strategies one key may have (0: no cap): the trigger looks at each due one every tick.
        self.max_strategies_per_key = max_strategies_per_key

    def submit(self, request: ExecuteOrderRequest | SniperRequest, caller: Principal) -> Order:
        """Store the order as ``caller``'s and queue it; raises RateLimited (nothing stored) when
        the caller's key is past its rate or its backlog, TooManyOpenOrders for a limit order
        past its key's cap of open ones. An order that could not be stored or queued (503) gives
        back what it took of its key's limits: the client's retry is not refused for it."""
        now_ms = self.clock.now_ms()
        terms = request.quote_terms
        if terms is not None and terms.expires_at_ms <= now_ms:
            raise InvalidRequest(
                f"price moved: quote expired at {self.clock.iso(terms.expires_at_ms)}; get a new one from GET /api/quote",
                [{"field": "quoteId", "message": "quote expired"}],
            )
        expires_at_ms = request.expires_at_ms(now_ms)
        strategy = request.type in STRATEGY_TYPES
        limit = request.type == "limit" or strategy  # neither queues now: the trigger queues what they start
        if request.type == "limit":
            self._check_open_cap(caller)
        if strategy:
            self._check_strategy_cap(caller)
        self._check_balance(request, caller)
        decision = None
        if self.quota is not None:
            # A limit order does not queue now: it takes its place when the trigger queues it.
            decision = self.quota.admit(caller.key_id, caller.rate_per_minute, now_ms, queues=not limit)
            if not decision.accepted:
                logger.info("order refused: key limit", extra={"key_id": caller.key_id, "reason": decision.reason, "retry_after_s": decision.retry_after_s})
                raise decision.error()
        try:
            if strategy:
                return self._accept_strategy(request, caller, now_ms)
            return self._accept(request, caller, now_ms, expires_at_ms, terms)
        except (TransientError, QueueUnavailable):
            if self.quota is not None:
                self.quota.refund(caller.key_id, decision)
            raise

    def _check_balance(self, request: ExecuteOrderRequest | SniperRequest, caller: Principal) -> None:
        """The wallet must hold what the order spends now (a limit order too: it may fill at any
        moment). Funds that vanish later fail the swap on chain, atomically, with nothing moved."""
        if self.wallets is None:
            return
        held = self.wallets.balances(caller.key_id).get(resolve_token(request.tokenIn).symbol, Decimal(0))
        if held >= request.amountIn:
            return
        address = self.wallets.address(caller.key_id)
        logger.info("order refused: wallet balance", extra={"key_id": caller.key_id, "token": request.tokenIn, "held": plain(held)})
        raise InvalidRequest(
            f"insufficient balance: the wallet {address} holds {plain(held)} {request.tokenIn}, the order spends {plain(request.amountIn)}"
            f" {request.tokenIn}; fund the wallet (solroute wallet fund) or spend less",
            [{"field": "amountIn", "message": f"the wallet holds {plain(held)} {request.tokenIn}"}],
        )

    def _check_open_cap(self, caller: Principal) -> None:
        cap = self.max_open_per_key
        if cap and self.orders.count_open(caller.key_id, cap) >= cap:
            logger.info("limit order refused: open orders cap", extra={"key_id": caller.key_id, "cap": cap})
            raise TooManyOpenOrders(
                f"this API key already has {cap} open limit orders, the most it may have (KeyMaxOpenOrders);"
                " cancel one, or wait for one to fill or expire",
                {"openOrders": cap, "max": cap},
            )

    def _check_strategy_cap(self, caller: Principal) -> None:
        cap = self.max_strategies_per_key
        if cap and self.orders.count_strategies(caller.key_id, cap) >= cap:
            logger.info("strategy refused: active strategies cap", extra={"key_id": caller.key_id, "cap": cap})
            raise TooManyStrategies(
                f"this API key already has {cap} active strategies, the most it may have (KeyMaxActiveStrategies);"
                " cancel one, or wait for one to end",
                {"activeStrategies": cap, "max": cap},
            )

    def _accept_strategy(self, request: ExecuteOrderRequest | SniperRequest, caller: Principal, now_ms: int) -> Order:
        """Store the parent as active; the trigger starts its slots (woken now for the first)."""
        parent = new_parent(request, self.new_id(), now_ms, self.clock, caller.rate_per_minute, _key_fields(request, caller) | {"owner": caller.owner})
        self.orders.create(parent)
        logger.info("strategy placed", extra={"order_id": parent.orderId, "type": parent.type, "key_id": caller.key_id})
        wake_trigger(self.trigger_wake, parent.orderId)
        return parent

    def _accept(self, request: ExecuteOrderRequest, caller: Principal, now_ms: int, expires_at_ms: int | None, terms: Any) -> Order:
        stamp = self.clock.iso(now_ms)
        limit = request.type == "limit"
        if limit:
            assert request.limitPrice is not None
            first = HistoryEntry(
                status=OrderStatus.OPEN, seq=1, timestamp=stamp, timestampMs=now_ms,
                message=f"Limit order open: waiting for {plain(request.limitPrice)} {request.tokenOut} per {request.tokenIn} or better,"
                f" until {self.clock.iso(expires_at_ms or now_ms)}",
            )  # fmt: skip
        else:
            first = HistoryEntry(status=OrderStatus.PENDING, seq=1, timestamp=stamp, timestampMs=now_ms, message="Order received")
        order = Order(
            orderId=self.new_id(),
            type=request.type,
            tokenIn=request.tokenIn,
            tokenOut=request.tokenOut,
            amountIn=request.amountIn,
            slippage=request.slippage,
            wallet=request.wallet,
            maxPriceImpact=request.maxPriceImpact,
            dexes=request.allowed_venues,
            quote=BoundQuote(minAmountOut=terms.min_amount_out, expiresAtMs=terms.expires_at_ms) if terms else None,
            limitPrice=request.limitPrice,
            expiresAtMs=expires_at_ms,
            owner=caller.owner, **_key_fields(request, caller),
            status=first.status,
            createdAt=stamp,
            updatedAt=stamp,
            statusAtMs=now_ms,
            history=[first],
            # If this process dies between storing and queueing the order, or the queue and
            # the database both refuse below, the sweeper fails the order after this.
            startDeadlineMs=None if limit else now_ms + self.start_timeout_ms,
        )
        self.orders.create(order)
        if limit:  # the trigger queues it when the market reaches its price
            wake_trigger(self.trigger_wake, order.orderId)
            return order
        try:
            self.queue.send(order.orderId)
        except QueueUnavailable as error:
            self._fail_unqueued(order, error)
            raise
        return order

    def _fail_unqueued(self, order: Order, error: QueueUnavailable) -> None:
        # Never leave an order pending that no consumer will ever see. If this write fails too,
        # the order still never executes: the sweeper fails it at its start deadline.
        reason = f"could not be queued for execution: {error.message}"
        failed = transition(order, OrderStatus.FAILED, "Order could not be queued", self.clock, failureReason=reason)
        try:
            self.orders.save_transition(order, failed)
        except Exception as write_error:  # noqa: BLE001 - the client is told 503 either way
            logger.error(
                "could not fail the unqueued order; the sweeper will at its start deadline",
                extra={"order_id": order.orderId, "error": str(write_error), "start_deadline_ms": order.startDeadlineMs},
            )
            return
        logger.error("order failed: queue unavailable", extra={"order_id": order.orderId, "reason": reason})
