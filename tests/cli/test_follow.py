"""`solroute submit` and `watch` never trust one push: a status the WebSocket never brings is read
over HTTP when the stream goes quiet, a socket the server closes is opened and subscribed again,
and a quiet connection is kept alive with a subscribe (API Gateway closes one idle for 10 minutes).
Each status is shown once, in seq order, whichever way it came. Run against a stand-in API whose
WebSocket answers each subscribe as a test scripts it (tests/cli/stand_in.py); the timings are
shortened so that each rule strikes within the test."""

import pytest
from typer.testing import CliRunner

from solroute_cli import follow
from solroute_cli.main import app
from tests.support.stand_in import StandIn, order_json, run_order, snapshot_frame
from tests.support.background import serving

CONFIRMED = run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1.5")
STEPS = ["PENDING", "ROUTING", "BUILDING", "SUBMITTED", "CONFIRMED"]
runner = CliRunner()


def partial_snapshot(order, statuses: int) -> dict:
    """The subscription's snapshot of ``order`` when it had only its first ``statuses`` statuses."""
    frame = snapshot_frame(order)
    history = frame["history"][:statuses]
    frame.update(history=history, status=history[-1]["status"], seq=history[-1]["seq"])
    frame["order"].update(history=history, status=history[-1]["status"], seq=history[-1]["seq"])
    return frame


def shown_steps(output: str) -> list[str]:
    return [word for word in output.split() if word in STEPS]


@pytest.fixture
def fast(monkeypatch):
    """Rules that strike in milliseconds; each test lengthens the ones it must keep out of its way."""
    for name, value in {"QUIET_FIRST_S": 0.05, "QUIET_MAX_S": 0.2, "KEEPALIVE_S": 60.0, "RECONNECT_FIRST_S": 0.01}.items():
        monkeypatch.setattr(follow, name, value)
    return monkeypatch


def test_when_every_push_is_lost_the_final_status_is_read_once_the_stream_is_quiet(fast):
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)}, replies=[])  # the socket opens; nothing ever arrives
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", CONFIRMED.orderId, "--api", url, "--timeout", "30"])
    assert shown.exit_code == 0, shown.output
    assert shown_steps(shown.stdout) == STEPS, "each status once, in order"
    assert "confirmed in" in shown.stdout
    assert ("GET /api/orders/{id}", api.demo_key, {}) in api.seen


def test_a_lost_push_is_repaired_by_a_read_then_a_new_subscribe(fast):
    """The snapshot came, the pushes after it were lost: a read shows them, and the client subscribes
    again (the engine forgets a connection whose push failed)."""
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)}, replies=[[partial_snapshot(CONFIRMED, 2)]])
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["submit", "SOL", "USDC", "1.5", "--api", url, "--timeout", "30"])
    assert shown.exit_code == 0, shown.output
    assert shown_steps(shown.stdout) == STEPS
    assert len(api.subscribed) >= 2, "subscribed again after the read found what the stream had lost"


def test_a_socket_the_server_closes_mid_order_is_reopened_and_its_snapshot_fills_the_gap(fast):
    fast.setattr(follow, "QUIET_FIRST_S", 60.0)  # no read may rescue it: only the new connection can
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)},
                  replies=[[partial_snapshot(CONFIRMED, 2)], [snapshot_frame(CONFIRMED)]], close_after={0})  # fmt: skip
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", CONFIRMED.orderId, "--api", url, "--timeout", "30"])
    assert shown.exit_code == 0, shown.output
    assert shown_steps(shown.stdout) == STEPS
    assert [what for what, _, _ in api.seen].count("WebSocket") == 2
    assert "GET /api/orders/{id}" not in [what for what, _, _ in api.seen]


def test_a_quiet_connection_is_kept_alive_with_a_subscribe_whose_snapshot_counts_too(fast):
    fast.setattr(follow, "QUIET_FIRST_S", 60.0)
    fast.setattr(follow, "KEEPALIVE_S", 0.05)
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)}, replies=[[partial_snapshot(CONFIRMED, 2)], [], [snapshot_frame(CONFIRMED)]])
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", CONFIRMED.orderId, "--api", url, "--timeout", "30"])
    assert shown.exit_code == 0, shown.output
    assert shown_steps(shown.stdout) == STEPS
    assert [what for what, _, _ in api.seen].count("WebSocket") == 1, "one connection, kept alive"
    assert api.subscribed == [{"action": "subscribe", "orderId": CONFIRMED.orderId}] * 3


def test_a_read_that_finds_no_such_order_ends_the_follow_with_the_apis_error(fast):
    api = StandIn(orders={}, replies=[])
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", CONFIRMED.orderId, "--api", url, "--timeout", "30", "--json"])
    assert shown.exit_code == 1
    assert shown.stdout.strip() == '{"error": {"code": "ORDER_NOT_FOUND", "message": "no such order", "status": 404}}'


def test_an_error_frame_that_may_pass_does_not_end_the_follow(fast):
    busy = {"type": "error", "error": {"code": "TOO_MANY_SUBSCRIBERS", "message": "10 subscribers already", "details": {}}}
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)}, replies=[[busy]])
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", CONFIRMED.orderId, "--api", url, "--timeout", "30"])
    assert shown.exit_code == 0, shown.output
    assert shown_steps(shown.stdout) == STEPS


def test_while_the_socket_cannot_be_reopened_the_reads_go_on(fast):
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)}, replies=[[partial_snapshot(CONFIRMED, 2)]], close_after={0}, max_connections=1)
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", CONFIRMED.orderId, "--api", url, "--timeout", "30"])
    assert shown.exit_code == 0, shown.output
    assert shown_steps(shown.stdout) == STEPS
    assert [what for what, _, _ in api.seen].count("WebSocket") >= 2, "it tried to reconnect"


class _ExpiresAt(dict):
    """The order as the API answers it: open until ``at`` (epoch s), expired from then on."""

    def __init__(self, order_id: str, open_order: dict, expired: dict, at: float) -> None:
        super().__init__({order_id: open_order})
        self.expired, self.at = expired, at

    def get(self, key, default=None):  # noqa: ANN001, ANN201 - dict's signature
        import time

        found = super().get(key, default)
        return self.expired if found is not None and time.time() >= self.at else found


def _limit_order_expiring_at(at: float) -> tuple[dict, dict]:
    from decimal import Decimal

    from tests.world import World

    world = World()
    order_id = world.submit(type="limit", limitPrice="1000000", timeInForceSeconds=1)
    world.run()
    expired = order_json(world.orders.get(order_id))
    assert expired["status"] == "expired"
    expired["expiresAtMs"] = int(at * 1000)
    opened = {**expired, "status": "open", "seq": 1, "history": expired["history"][:1], "failureReason": None}
    assert Decimal(opened["limitPrice"]) == 1000000
    return opened, expired


def test_a_limit_order_whose_expiry_falls_between_quiet_reads_is_read_just_after_it(fast):
    """Acceptance trial: under ws-gone=1 a limit order expired at +90 s, the quiet reads had backed
    off past it, and `submit` said "not final" at +150 s."""
    import time

    fast.setattr(follow, "QUIET_FIRST_S", 600.0)  # no quiet read within the test: only the expiry's
    fast.setattr(follow, "EXPIRY_READ_AFTER_S", 0.1)
    opened, expired = _limit_order_expiring_at(time.time() + 1.0)
    api = StandIn(orders=_ExpiresAt(opened["orderId"], opened, expired, time.time() + 1.0), replies=[[snapshot_frame_json(opened)]])
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", opened["orderId"], "--api", url, "--timeout", "60"])
    assert "expired in" in shown.stdout, shown.output  # (an order that did not fill exits 1)


def test_a_follow_about_to_give_up_reads_the_order_once_more(fast):
    fast.setattr(follow, "QUIET_FIRST_S", 600.0)  # no quiet read: only the last look at the timeout
    api = StandIn(orders={CONFIRMED.orderId: order_json(CONFIRMED)}, replies=[[partial_snapshot(CONFIRMED, 2)]])
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["watch", CONFIRMED.orderId, "--api", url, "--timeout", "1"])
    assert shown.exit_code == 0 and shown_steps(shown.stdout) == STEPS, shown.output


def snapshot_frame_json(order: dict) -> dict:
    return {"type": "snapshot", "orderId": order["orderId"], "status": order["status"], "seq": order["seq"], "history": order["history"], "order": order}
