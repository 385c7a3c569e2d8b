"""Following a strategy parent (`submit --twap`, `watch`), `get` and `cancel` of one: each push
as a line with the running totals, the final report, the exit codes; and the totals stay true
when pushes are lost or the socket is reopened, since they come from the parent's own strategy
object, never from counting pushes. Against the stand-in API (tests/support/stand_in.py), with
parents built as the contract says (tests/cli/parents.py)."""

import json
import time

from solroute.models.amounts import plain

import pytest
from aiohttp import web
from typer.testing import CliRunner

from solroute_cli import follow
from solroute_cli.main import app
from tests.cli.parents import PARENT_ID, Parent, child_id, completed_twap
from tests.support.background import serving
from tests.support.stand_in import StandIn

runner = CliRunner()


@pytest.fixture
def fast(monkeypatch):
    for name, value in {"QUIET_FIRST_S": 0.05, "QUIET_MAX_S": 0.2, "KEEPALIVE_S": 60.0, "RECONNECT_FIRST_S": 0.01}.items():
        monkeypatch.setattr(follow, name, value)
    return monkeypatch


def watch(parent: Parent, replies: list[list[dict]], *options: str, orders: dict | None = None, **stand_in):
    api = StandIn(orders=orders if orders is not None else {PARENT_ID: parent.last}, replies=replies, **stand_in)
    with serving(api.app()) as url:
        return runner.invoke(app, ["watch", PARENT_ID, "--api", url, "--timeout", "30", *options])


def line_of(output: str, seq_text: str) -> str:
    return next(line for line in output.splitlines() if seq_text in line)


def test_watch_shows_each_slot_each_fill_with_the_running_totals_each_skip_and_the_final_report(fast):
    fast.setattr(follow, "QUIET_FIRST_S", 60.0)  # every push arrives: no read is needed
    parent = completed_twap()
    shown = watch(parent, [[parent.snapshot(1), *(parent.push(seq) for seq in range(2, 10))]])
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    totals = "filled 1/3, 1/3 SOL in, 150.1 USDC out, average price 150.1 USDC per SOL"
    assert f"Slice 1/3 started: child {child_id(0)} sells 1 SOL | filled 0/3, 0/3 SOL in, 0 USDC out, average price -" in out
    assert f"Slice 1/3 filled: 1 SOL -> 150.1 USDC at 150.1; filled 1/3 SOL, average 150.100000 | {totals}" in out
    assert f"Slice 2/3 skipped: the best price 139.8 is below the limit 140; retried at the next interval (1 of 3 retries used) | {totals}" in out
    assert "filled 2/3, 2/3 SOL in, 300.4 USDC out, average price 150.2 USDC per SOL" in line_of(out, "Slice 2/3 filled")
    assert "ACTIVE" in line_of(out, "Slice 3/3 started") and "✓ completed" in line_of(out, "Completed: 3/3 filled")
    report = out[out.index("completed in "):].splitlines()
    assert report[1:] == [
        "  twap completed: filled 3/3, 3/3 SOL in, 450.3 USDC out, average price 150.1 USDC per SOL",
        "  price: average 150.1 USDC per SOL vs arrival 150.2 USDC per SOL, shortfall 6.7 bps",
        "  fees: 0.009 SOL, network fees 0.000015 SOL",
        "  skipped (1):",
        "    slice 2/3 (slot 1): the best price 139.8 is below the limit 140",
        "  children (3):",
        f"    slice 1/3 (slot 0) filled: child {child_id(0)} 1 SOL -> 150.1 USDC at 150.1 USDC per SOL",
        f"    slice 2/3 (slot 2) filled: child {child_id(2)} 1 SOL -> 150.3 USDC at 150.3 USDC per SOL",
        f"    slice 3/3 (slot 3) filled: child {child_id(3)} 1 SOL -> 149.9 USDC at 149.9 USDC per SOL",
    ]


def _ended(status: str) -> Parent:
    parent = Parent()
    if status == "completed":
        for slot in range(3):
            parent.start(slot).land(slot)
    elif status == "partially_filled":
        parent.start(0).land(0).start(1).land(1, status="failed", reason="price moved beyond the slippage")
    elif status == "cancelled":
        parent.start(0).request_cancel().land(0)
    return parent.end(status)


@pytest.mark.parametrize("status, code", [("completed", 0), ("partially_filled", 1), ("expired", 1), ("cancelled", 1)])
def test_a_strategy_exits_0_only_when_completed(fast, status, code):
    parent = _ended(status)
    shown = watch(parent, [[parent.snapshot(parent.last["seq"])]])
    assert shown.exit_code == code, shown.output
    assert f"{status} in " in shown.stdout and f"  twap {status}: filled " in shown.stdout


def test_a_child_that_did_not_fill_is_shown_with_its_status_and_reason(fast):
    parent = _ended("partially_filled")
    shown = watch(parent, [[parent.snapshot(1), *(parent.push(seq) for seq in range(2, parent.last["seq"] + 1))]])
    assert f"Slice 2/3 not filled: child {child_id(1)} failed (price moved beyond the slippage)" in shown.stdout
    assert "| filled 1/3, 1/3 SOL in" in line_of(shown.stdout, "Slice 2/3 not filled")
    assert f"    slice 2/3 (slot 1) not filled: child {child_id(1)} failed: price moved beyond the slippage" in shown.stdout, "the report"
    assert "◐ partially filled" in shown.stdout


def test_when_the_pushes_are_lost_the_totals_are_the_snapshots_not_a_count_of_pushes(fast):
    """Only the first fill's push arrives; the read that repairs the stream shows the parent's own totals."""
    parent = completed_twap()
    shown = watch(parent, [[parent.snapshot(2), parent.push(3)]])
    assert shown.exit_code == 0, shown.output
    assert "| filled 1/3, 1/3 SOL in, 150.1 USDC out" in line_of(shown.stdout, "Slice 1/3 filled")
    assert "| filled 3/3, 3/3 SOL in, 450.3 USDC out, average price 150.1 USDC per SOL" in line_of(shown.stdout, "Completed: 3/3 filled")
    assert "Slice 2/3 skipped: the best price 139.8 is below the limit 140" in shown.stdout, "a lost step: its words from the read"


def test_a_reopened_socket_s_snapshot_gives_the_totals_of_that_moment(fast):
    fast.setattr(follow, "QUIET_FIRST_S", 60.0)  # no read: only the second connection's snapshot can fill the gap
    parent = completed_twap()
    replies = [[parent.snapshot(2)], [parent.snapshot(6), *(parent.push(seq) for seq in range(7, 10))]]
    shown = watch(parent, replies, close_after={0})
    assert shown.exit_code == 0, shown.output
    assert "| filled 2/3, 2/3 SOL in, 300.4 USDC out, average price 150.2 USDC per SOL" in line_of(shown.stdout, "Slice 2/3 filled")
    assert sum("Slice 2/3 filled" in line for line in shown.stdout.splitlines()) == 1, "shown once"


class _EndsAt(dict):
    """The parent as the API answers it: active until ``at`` (epoch s), completed from then on."""

    def __init__(self, active: dict, ended: dict, at: float) -> None:
        super().__init__({PARENT_ID: active})
        self.ended, self.at = ended, at

    def get(self, key, default=None):  # noqa: ANN001, ANN201 - dict's signature
        found = super().get(key, default)
        return self.ended if found is not None and time.time() >= self.at else found


def test_a_strategy_is_followed_for_its_whole_schedule_not_just_the_timeout(fast):
    now_ms = int(time.time() * 1000)
    parent = Parent(slices=2, interval_s=1, start_ms=now_ms, extra={"maxRetries": 0})
    parent.start(0).land(0).start(1).land(1).end("completed")
    orders = _EndsAt(parent.at(2), parent.last, time.time() + 1.5)
    shown = watch(parent, [[parent.snapshot(2)]], "--timeout", "0.5", orders=orders)
    assert shown.exit_code == 0, shown.output
    assert "completed in " in shown.stdout


def test_under_json_a_parent_is_one_line_per_status_with_the_strategy_and_no_report(fast):
    fast.setattr(follow, "QUIET_FIRST_S", 60.0)
    parent = completed_twap()
    shown = watch(parent, [[parent.snapshot(2), *(parent.push(seq) for seq in range(3, 10))]], "--json")
    assert shown.exit_code == 0, shown.output
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, 10)) and lines[-1]["status"] == "completed"
    assert lines[2]["data"]["child"]["status"] == "confirmed" and lines[2]["data"]["strategy"]["filled"] == 1
    assert "children" not in lines[-1]["data"]["strategy"]


class Parents(StandIn):
    """The stand-in, answering DELETE of a parent with ``cancelled`` (the order as the API returns it)."""

    def __init__(self, parent: Parent, cancelled: dict) -> None:
        super().__init__(orders={PARENT_ID: parent.last}, replies=[])
        self.cancelled = cancelled

    async def cancel(self, request: web.Request) -> web.Response:
        self.record(request, "DELETE /api/orders/{id}")
        return web.json_response(self.cancelled)


def test_cancel_of_a_parent_with_a_child_routing_says_the_child_finishes_first():
    parent = Parent()
    parent.start(0).land(0).start(1).request_cancel()
    with serving(Parents(parent, parent.last).app()) as url:
        shown = runner.invoke(app, ["cancel", PARENT_ID, "--api", url])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith(f"cancel requested for order {PARENT_ID}: child {child_id(1)} of slice 2/3 (slot 1) has started routing and finishes first")
    assert f"`solroute watch {PARENT_ID} --api {url}` follows it" in shown.stdout


def test_cancel_of_a_parent_with_nothing_in_flight_says_it_is_cancelled_with_its_totals():
    parent = Parent()
    parent.start(0).land(0).end("cancelled")
    with serving(Parents(parent, parent.last).app()) as url:
        shown = runner.invoke(app, ["cancel", PARENT_ID, "--api", url])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == f"order {PARENT_ID} cancelled: filled 1/3, 1/3 SOL in, 150.1 USDC out, average price 150.1 USDC per SOL"


def test_get_of_a_parent_shows_its_schedule_progress_prices_children_and_skips():
    parent = completed_twap()
    with serving(StandIn(orders={PARENT_ID: parent.at(5)}).app()) as url:
        shown = runner.invoke(app, ["get", PARENT_ID, "--api", url])
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "3 SOL -> USDC, twap, slippage 1.000%" in out
    assert "strategy: 3 slices every 10s, 1 each, limit 140, retries 1/3" in out
    assert "progress: [#######.............] filled 1/3, 1/3 SOL in, 150.1 USDC out, average price 150.1 USDC per SOL, next: slot 3" in out
    assert "price: average 150.1 USDC per SOL vs arrival 150.2 USDC per SOL, shortfall 6.7 bps" in out
    rows = {line.split()[1]: line.split() for line in out.splitlines() if line.strip()[:1].isdigit() and child_id(0)[:8] in line}
    assert rows[child_id(0)][2:5] == ["confirmed", "1", "150.1"] and rows[child_id(2)][2] == "pending"
    assert any(line.split()[:1] == ["2"] and "the best price 139.8 is below the limit 140" in line for line in out.splitlines())
    assert f"watch {PARENT_ID}" in out, "not final: the hint to follow it"


def test_list_shows_a_parents_filled_out():
    parent = completed_twap()
    api = StandIn(page={"orders": [parent.last], "cursor": None})
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["list", "--api", url])
    assert "3 SOL" in shown.stdout and "450.3 USDC" in shown.stdout


def test_a_parent_the_engine_really_ran_is_followed_reported_and_shown_from_its_snapshot(fast):
    """The in-memory engine's TWAP (tests/world.py), as GET and the subscription's snapshot give it."""
    from solroute.models.requests import ExecuteOrderRequest

    from tests.fakes import TEST_CALLER
    from tests.support.stand_in import order_json, snapshot_frame
    from tests.world import World

    world = World()
    request = ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", type="twap", amountIn="3", slices=3, intervalSeconds=10)
    parent_id = world.submission.submit(request, TEST_CALLER).orderId
    world.run()
    parent = world.orders.items[parent_id]
    api = StandIn(orders={parent_id: order_json(parent)}, replies=[[snapshot_frame(parent)]])
    with serving(api.app()) as url:
        followed = runner.invoke(app, ["watch", parent_id, "--api", url])
        got = runner.invoke(app, ["get", parent_id, "--api", url])
    assert followed.exit_code == 0, followed.output
    s = parent.strategy
    def price(value):
        return f"{plain(value.normalize())} USDC per SOL"

    totals = f"filled 3/3, {s.filledIn}/3 SOL in, {s.filledOut} USDC out, average price {price(s.averagePrice)}"
    assert f"  twap completed: {totals}" in followed.stdout
    assert f"  price: average {price(s.averagePrice)} vs arrival {price(s.arrivalPrice)}, shortfall {s.shortfallBps} bps" in followed.stdout
    for child in s.children:
        assert f"slice {child.slot + 1}/3 (slot {child.slot}) filled: child {child.orderId} {child.amountIn} SOL -> {child.amountOut} USDC at {price(child.price)}" in followed.stdout
        assert child.orderId in got.stdout
    assert f"| {totals}" in line_of(followed.stdout, "Completed: 3/3 filled"), "the snapshot's last step carries its totals"
    assert f"progress: [####################] {totals}" in got.stdout


def test_a_parent_is_followed_at_least_until_the_engine_s_own_bound_on_it(fast):
    """The parent's expiresAtMs (a TWAP's last slot due, a sniper's expiry) holds the follow too."""
    now_ms = int(time.time() * 1000)
    parent = Parent(slices=1, interval_s=0, start_ms=now_ms - 600_000, extra={"maxRetries": 0})
    parent.start(0).land(0).end("completed")
    active = {**parent.at(1), "expiresAtMs": now_ms + 1_000}
    shown = watch(parent, [[{**parent.snapshot(1), "order": active}]], "--timeout", "0.5",
                  orders=_EndsAt(active, parent.last, time.time() + 1.5))  # fmt: skip
    assert shown.exit_code == 0, shown.output


def test_a_sniper_parent_is_named_by_its_max_price_not_a_schedule():
    from solroute_cli.strategy_view import schedule_text

    assert schedule_text({"kind": "sniper", "slices": 1, "intervalSeconds": 0, "maxPrice": "0.01"}) == "sniper, max price 0.01 (tokenIn per tokenOut)"
