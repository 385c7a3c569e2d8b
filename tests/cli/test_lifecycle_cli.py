"""The CLI's limit, expiry, deadline and cancel options, and how the live view shows the new statuses."""

import pytest

from solroute_cli.commands import duration_seconds, lifecycle_fields
from solroute_cli.main import main
from solroute_cli.watch import describe, progress, updates_from
from tests.support.cloud_process import free_port


def _fields(limit: str | None = None, expires: str | None = None, deadline: str | None = None) -> dict:
    return lifecycle_fields(limit, expires, deadline)


def test_limit_expires_and_deadline_become_the_fields_the_api_takes():
    assert _fields() == {}
    assert _fields(limit="150") == {"type": "limit", "limitPrice": "150"}
    assert _fields(limit="150", expires="10m") == {"type": "limit", "limitPrice": "150", "timeInForceSeconds": 600}
    assert _fields(limit="150", expires="2026-12-31T00:00:00Z")["expiresAt"] == "2026-12-31T00:00:00Z"
    assert _fields(deadline="30s") == {"deadline": "30"}
    assert _fields(deadline="2026-12-31T00:00:00Z") == {"deadline": "2026-12-31T00:00:00Z"}
    assert [duration_seconds(t) for t in ("90", "90s", "10m", "2h", "1d", "x", "1.5m")] == [90, 90, 600, 7200, 86400, None, None]


@pytest.mark.parametrize("argv, fragment", [(["--expires", "10m"], "--expires is for limit orders"), (["--limit", "1", "--deadline", "5"], "--deadline is for market orders")])
def test_options_of_the_other_order_type_are_a_usage_error_before_anything_is_sent(argv, fragment, capsys):
    nothing_listens = f"http://127.0.0.1:{free_port()}"  # reaching it would exit 3, not 2
    code = main(["submit", "SOL", "USDC", "1.5", *argv, "--api", nothing_listens])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"solroute submit: {fragment}")


def test_the_live_view_shows_open_expired_and_cancelled_with_their_reasons():
    assert progress("open").startswith("OPEN") and progress("expired").endswith("expired") and progress("cancelled").endswith("cancelled")
    ended = {"status": "cancelled", "seq": 2, "message": "Cancelled: …", "data": {"reason": "cancelled by its owner before it started routing"}}
    assert describe(ended) == "cancelled by its owner before it started routing"
    snapshot = {"type": "snapshot", "order": {"failureReason": "the market did not reach the limit price"},
                "history": [{"status": "open", "seq": 1, "message": "Limit order open"}, {"status": "expired", "seq": 2, "message": "Expired"}]}  # fmt: skip
    shown = updates_from(snapshot)
    assert [u["status"] for u in shown] == ["open", "expired"] and describe(shown[1]) == "the market did not reach the limit price"


def test_a_live_update_that_overtakes_the_snapshot_waits_for_it_and_no_status_is_lost_or_shown_twice():
    from solroute_cli.watch import InOrder

    def live(seq: int, status: str) -> dict:
        return {"type": "status_update", "seq": seq, "status": status, "message": status, "data": {}}

    snapshot = {"type": "snapshot", "order": {}, "history": [
        {"status": "pending", "seq": 1, "message": "Order received"}, {"status": "routing", "seq": 2, "message": "Comparing"},
    ]}  # fmt: skip
    in_order = InOrder()
    assert in_order.add(updates_from(live(2, "routing"))) == [], "routing waits: pending has not been seen"
    shown = in_order.add(updates_from(snapshot))
    assert [u["status"] for u in shown] == ["pending", "routing"] and shown[1]["data"] == {}, "each once, in order"
    assert [u["status"] for u in in_order.add(updates_from(live(3, "building")))] == ["building"]
    assert in_order.add(updates_from(live(3, "building"))) == [] and in_order.add(updates_from(snapshot)) == [], "never twice"
