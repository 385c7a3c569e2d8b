import pytest
from solroute.models.errors import QueueUnavailable
from solroute.models.order import OrderStatus as S


def test_an_order_is_stored_pending_then_queued(engine):
    order = engine.submit(wallet="9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM")
    stored = engine.orders.get(order.orderId)
    assert stored.status is S.PENDING and stored.seq == 1 and stored.history[0].message == "Order received"
    assert engine.queue.sent == [(order.orderId, 0, None)]


def test_an_order_that_cannot_be_queued_is_failed_not_left_pending(engine):
    engine.queue.fail = True
    with pytest.raises(QueueUnavailable):
        engine.submit()
    (stored,) = engine.orders.items.values()
    assert stored.status is S.FAILED and "could not be queued" in stored.failureReason


def test_an_order_with_an_expired_quote_is_refused_and_a_live_one_is_bound(engine):
    from decimal import Decimal

    from solroute.models.errors import InvalidRequest
    from solroute.models.quote import QuoteTerms

    terms = QuoteTerms("SOL", "USDC", Decimal("1.5"), Decimal("220"), engine.clock.now_ms() + 1000, "n")
    order = engine.submit(quoteId=terms.encode())
    assert (order.quote.minAmountOut, order.quote.expiresAtMs) == (Decimal("220"), terms.expires_at_ms)
    engine.clock.advance(1)
    with pytest.raises(InvalidRequest, match="price moved: quote expired at"):
        engine.submit(quoteId=terms.encode())
    assert len(engine.orders.items) == 1, "nothing stored for the refused order"


def test_a_limit_order_is_stored_open_not_queued_and_wakes_the_trigger_best_effort(engine):
    from solroute.logic.submission import OrderSubmission

    from tests.fakes import InMemoryQueue

    wake = InMemoryQueue()
    engine.submission = OrderSubmission(engine.orders, engine.queue, engine.clock, trigger_wake=wake)
    order = engine.submit(type="limit", limitPrice="150", timeInForceSeconds=600)
    stored = engine.orders.get(order.orderId)
    assert (stored.status, stored.startDeadlineMs, stored.expiresAtMs) == (S.OPEN, None, engine.clock.now_ms() + 600_000)
    assert stored.history[0].message.startswith("Limit order open: waiting for 150 USDC per SOL or better")
    assert engine.queue.sent == [] and wake.sent == [(order.orderId, 0, None)], "not queued to execute; the trigger is told"
    wake.fail = True
    assert engine.submit(type="limit", limitPrice="150").status is S.OPEN, "a lost wake-up only waits for the next scheduled run"
    market = engine.submit(deadline="30")
    assert engine.orders.get(market.orderId).expiresAtMs == engine.clock.now_ms() + 30_000 and len(wake.sent) == 1
