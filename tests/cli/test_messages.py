"""The CLI reads the WebSocket messages the engine sends, as solroute.models.websocket_messages
defines them. The CLI does not import those models (pydantic and the order's models would add
~150 ms to every command's start), so these tests hold the two together: each message type the
models define is read, and every update the CLI shows or prints (--json) is a status_update."""

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from solroute.logic.broadcast import snapshot, status_update
from solroute.models.websocket_messages import TYPES, ErrorMessage, StatusUpdate, read_message

from solroute_cli.errors import CliError
from solroute_cli.watch import updates_from
from tests.support.stand_in import order_json, run_order
from tests.support.engine import RELIABLE, build_engine


def as_received(frame: dict) -> dict:
    return json.loads(json.dumps(frame))


def orders_in_every_status():
    """A confirmed, a failed and an open order, each as it stood at every status it went through."""
    failing = build_engine(replace(RELIABLE, failure_rate=Decimal(1)))
    failed = failing.submit()
    failing.run(failed.orderId, receive_count=3)
    resting = build_engine().submit(type="limit", limitPrice="1", timeInForceSeconds=600)
    for final in (run_order(tokenIn="WIF", tokenOut="USDC", amountIn="100"), failing.orders.get(failed.orderId), resting):
        for k, entry in enumerate(final.history, start=1):
            yield final.model_copy(update={"history": final.history[:k], "status": entry.status, "seq": entry.seq})


ORDERS = list(orders_in_every_status())


def test_the_cli_knows_every_message_type_the_engine_defines():
    assert TYPES == ("status_update", "snapshot", "error")


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"{o.type}-{o.status.value}")
def test_a_live_update_is_shown_as_it_came_and_is_a_status_update(order):
    live = as_received(status_update(order))
    assert updates_from(live) == [live]
    assert StatusUpdate.model_validate(live).frame() == live


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"{o.type}-{o.status.value}")
def test_each_status_a_snapshot_holds_is_shown_as_a_status_update(order):
    frame = as_received(snapshot(order))
    assert read_message(frame) is not None
    updates = updates_from(frame)
    assert [u["seq"] for u in updates] == [h.seq for h in order.history]
    for update in updates:
        assert list(update) == list(StatusUpdate.model_fields), "the fields (and their order) of a live status_update"
        StatusUpdate.model_validate(update)
    live = as_received(status_update(order))
    envelope = [name for name in StatusUpdate.model_fields if name != "data"]
    assert {k: updates[-1][k] for k in envelope} == {k: live[k] for k in envelope}


def test_an_order_read_over_http_is_shown_as_a_snapshot_is():
    order = run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1.5")
    read = order_json(order)
    from_read = updates_from({"type": "snapshot", "order": read, "history": read["history"]})
    assert from_read == updates_from(as_received(snapshot(order)))


@pytest.mark.parametrize("details", [{}, {"orderId": "3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60"}, {"max": 10, "named": 11}])
def test_an_error_message_is_a_cli_error_with_its_code_and_details(details):
    frame = as_received(ErrorMessage.of("ORDER_NOT_FOUND", "no order with id x", details).frame())
    with pytest.raises(CliError) as raised:
        updates_from(frame)
    assert raised.value.error_code == "ORDER_NOT_FOUND" and (raised.value.details or {}) == details
    assert "no order with id x" in str(raised.value)


def test_a_message_of_a_type_neither_knows_is_skipped_by_both():
    frame = {"type": "heartbeat", "at": 1}
    assert read_message(frame) is None and updates_from(frame) == []
