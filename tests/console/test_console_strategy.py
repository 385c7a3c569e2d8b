"""A parent order (TWAP, recurring) in the console, in headless Chromium against the stand-in API,
with the page and modules served by the console's own handler: the ticket's request bodies, and
the parent's view (progress, totals, slots, chart, cancel) built from a snapshot, folded from
pushes, repaired by a read after a lost push, and again after a reload. The orders are fixtures
shaped as docs/api.md and the issue 27 contract describe the parent (GET /api/orders/{id}, its
snapshot and its `status_update.data`); the console against the real engine is
tests/e2e/test_console.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import browser  # noqa: F401 - the fixture

from tests.console.serving import with_console
from tests.support.background import serving
from tests.support.stand_in import StandIn, order_json, run_order

PARENT = "5d1c2a7e-0000-4000-8000-00000000a001"
CHILDREN = [f"5d1c2a7e-0000-5000-8000-00000000c00{slot}" for slot in range(4)]
T0 = 1_767_225_600_000
EVERY_MS = 10_000


def entry(status: str, seq: int, message: str) -> dict:
    at = T0 + seq * 1000
    return {"status": status, "seq": seq, "timestamp": "2026-01-01T00:00:00.000Z", "timestampMs": at, "message": message}


def child(slot: int, status: str = "confirmed", price: str | None = None) -> dict:
    filled = status == "confirmed"
    return {"slot": slot, "orderId": CHILDREN[slot], "amountIn": "1", "status": status, "amountOut": price if filled else None,
            "price": price if filled else None, "fee": "0.003" if filled else None, "atMs": T0 + slot * EVERY_MS, "reason": None}  # fmt: skip


SKIP = {"slot": 1, "atMs": T0 + EVERY_MS, "reason": "the best price 139.8 is below the limit 140"}

# The TWAP's life, one step a seq: (status, message, strategy totals, the child or skip it is about).
TOTALS_0 = {"filled": 0, "filledIn": "0", "filledOut": "0", "fees": "0", "networkFees": "0", "averagePrice": None, "shortfallBps": None}
TOTALS_1 = {"filled": 1, "filledIn": "1", "filledOut": "150.1", "fees": "0.003", "networkFees": "0.00001", "averagePrice": "150.1", "shortfallBps": "6.66"}
TOTALS_2 = {"filled": 2, "filledIn": "2", "filledOut": "300.4", "fees": "0.006", "networkFees": "0.00002", "averagePrice": "150.2", "shortfallBps": "0"}
TOTALS_3 = {"filled": 3, "filledIn": "3", "filledOut": "450.3", "fees": "0.009", "networkFees": "0.00003", "averagePrice": "150.1", "shortfallBps": "6.66"}  # fmt: skip
STEPS = [
    ("active", "TWAP accepted: 3 slices of 1 SOL every 10 s", TOTALS_0, {"nextSlot": 0, "inflight": None}, None, None),
    ("active", "Slice 1/3 started", TOTALS_0, {"nextSlot": 1, "inflight": CHILDREN[0]}, child(0, "pending"), None),
    ("active", "Slice 1/3 filled: 150.1 USDC; filled 1/3", TOTALS_1, {"nextSlot": 1, "inflight": None}, child(0, price="150.1"), None),
    ("active", "Slot 2 skipped: " + SKIP["reason"], TOTALS_1, {"nextSlot": 2, "retriesUsed": 1}, None, SKIP),
    ("active", "Slice 2/3 started", TOTALS_1, {"nextSlot": 3, "inflight": CHILDREN[2]}, child(2, "routing"), None),
    ("active", "Slice 2/3 filled: 150.3 USDC; filled 2/3", TOTALS_2, {"nextSlot": 3, "inflight": None}, child(2, price="150.3"), None),
    ("active", "Slice 3/3 started", TOTALS_2, {"nextSlot": 4, "inflight": CHILDREN[3]}, child(3, "pending"), None),
    ("active", "Slice 3/3 filled: 149.9 USDC; filled 3/3", TOTALS_3, {"nextSlot": 4, "inflight": None}, child(3, price="149.9"), None),
    ("completed", "Completed: 3/3 slices, 450.3 USDC at 150.1 (arrival 150.2, shortfall 6.66 bps)", TOTALS_3, {}, None, None),
]  # fmt: skip
BASE_STRATEGY = {
    "kind": "twap", "slices": 3, "sliceAmount": "1", "intervalSeconds": 10, "startMs": T0, "jitterSeconds": 0,
    "limitPrice": "140", "minPrice": None, "maxPrice": None, "maxRetries": 3, "nextSlot": 0, "nextAtMs": T0,
    "retriesUsed": 0, "inflight": None, "arrivalPrice": "150.2", "cancelRequested": False,
}  # fmt: skip


def strategy_at(seq: int) -> dict:
    """The strategy object (without its lists) once step ``seq`` (1-based) was written."""
    strategy = dict(BASE_STRATEGY)
    for _, _, totals, changes, _, _ in STEPS[:seq]:
        strategy.update(totals)
        strategy.update(changes)
    strategy["nextAtMs"] = T0 + strategy["nextSlot"] * EVERY_MS
    return strategy


def parent_at(seq: int) -> dict:
    """The parent as GET /api/orders/{id} answers it after step ``seq``: children and skips included."""
    children: dict[int, dict] = {}
    skipped = []
    for _, _, _, _, about, skip in STEPS[:seq]:
        if about:
            children[about["slot"]] = about
        if skip:
            skipped.append(skip)
    status = STEPS[seq - 1][0]
    history = [entry(s, n, message) for n, (s, message, *_) in enumerate(STEPS[:seq], start=1)]
    base = order_json(run_order(tokenIn="SOL", tokenOut="USDC", amountIn="3"))
    strategy = {**strategy_at(seq), "children": list(children.values()), "skipped": skipped}
    return {**base, "orderId": PARENT, "type": "twap", "amountIn": "3", "status": status, "seq": seq, "history": history,
            "routing": None, "quotes": None, "execution": None, "transaction": None, "strategy": strategy}  # fmt: skip


def snapshot_at(seq: int) -> dict:
    order = parent_at(seq)
    return {"type": "snapshot", "orderId": PARENT, "status": order["status"], "seq": seq, "history": order["history"], "order": order}


def push(seq: int) -> dict:
    status, message, _, _, about, skip = STEPS[seq - 1]
    at = entry(status, seq, message)
    data = {"strategy": strategy_at(seq), "child": about, "skip": skip}
    return {"type": "status_update", "orderId": PARENT, "status": status, "seq": seq, "timestamp": at["timestamp"], "timestampMs": at["timestampMs"], "message": message, "data": data}  # fmt: skip


class ParentStandIn(StandIn):
    """The stand-in, whose DELETE answers what a parent's cancel answers (``cancel_answer``)."""

    cancel_answer: dict | None = None

    async def cancel(self, request: web.Request) -> web.Response:
        self.record(request, "DELETE /api/orders/{id}")
        return web.json_response(self.cancel_answer)


@pytest.fixture
def open_console(browser: Browser, monkeypatch) -> Iterator:
    """open_console(api, fragment="", timings=None, width=1280) -> Page: the console on that stand-in API."""
    contexts, errors = [], []

    def open_on(api: StandIn, fragment: str = "", timings: dict | None = None, width: int = 1280) -> Page:
        url = stack.enter_context(serving(with_console(api)))
        monkeypatch.setenv("WEBSOCKET_URL", url.replace("http://", "ws://") + "/ws")
        context = browser.new_context(viewport={"width": width, "height": 1000})
        contexts.append(context)
        if timings:
            context.add_init_script(f"window.SOLROUTE_TIMINGS = {json.dumps(timings)};")
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/{fragment}")
        return page

    with ExitStack() as stack:
        yield open_on
        for context in contexts:
            context.close()
    assert not errors, f"the page threw: {errors}"


def progress(page: Page) -> str:
    return page.locator("#strategy-progress").get_attribute("aria-valuenow")


def fact(page: Page, name: str):
    return page.locator(f'#strategy-facts dd[data-fact="{name}"]')


def chart_prices(page: Page) -> list[str]:
    return page.locator("#strategy-chart circle.chart-point").evaluate_all("dots => dots.map(d => d.dataset.price)")


# -- the ticket ---------------------------------------------------------------------------------


def submitted_body(page: Page) -> dict:
    with page.expect_request(lambda r: r.url.endswith("/api/orders/execute") and r.method == "POST") as sent:
        page.click("#submit")
    return sent.value.post_data_json


def test_the_ticket_places_a_twap_with_its_slices_interval_and_per_slice_limit(open_console):
    page = open_console(StandIn(orders={PARENT: parent_at(1)}, frames=[snapshot_at(1)]))
    page.check('input[name="type"][value="twap"]')
    expect(page.locator("#twap-fields")).to_be_visible()
    expect(page.locator("#market-fields")).to_be_hidden()
    expect(page.locator("#amount-label")).to_have_text("Total to sell")
    page.fill("#amount", "3")
    page.fill("#slices", "3")
    page.fill("#twap-interval", "10")
    page.fill("#slice-limit", "140")
    body = submitted_body(page)
    assert body == {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "3", "slippage": "0.01", "type": "twap", "slices": 3, "intervalSeconds": 10, "limitPrice": "140"}
    expect(page.locator("#order-badge")).to_have_text("▶ active")  # the parent followed, as any order placed

    page.fill("#slice-limit", "")
    assert "limitPrice" not in submitted_body(page), "no limit entered, none sent"
    page.fill("#slices", "three")
    assert submitted_body(page)["slices"] == "three", "not a whole number: sent as typed, for the API to refuse with its own message"


def test_the_ticket_places_a_recurring_order_with_its_amount_per_run_and_price_band(open_console):
    page = open_console(StandIn(orders={PARENT: parent_at(1)}, frames=[snapshot_at(1)]))
    page.check('input[name="type"][value="recurring"]')
    expect(page.locator("#recurring-fields")).to_be_visible()
    expect(page.locator("#twap-fields")).to_be_hidden()
    expect(page.locator("#amount-label")).to_have_text("Amount to sell per run")
    page.fill("#token-in", "USDC")
    page.fill("#token-out", "SOL")
    page.fill("#amount", "50")
    page.fill("#run-interval", "3600")
    page.fill("#runs", "24")
    expect(page.locator('label[for="min-price"] .unit')).to_have_text("(SOL per USDC)")
    body = submitted_body(page)
    assert body == {"tokenIn": "USDC", "tokenOut": "SOL", "amountPerRun": "50", "slippage": "0.01", "type": "recurring", "intervalSeconds": 3600, "runs": 24}
    page.fill("#min-price", "0.006")
    page.fill("#max-price", "0.0075")
    body = submitted_body(page)
    assert (body["minPrice"], body["maxPrice"]) == ("0.006", "0.0075") and "amountIn" not in body


# -- the parent's view --------------------------------------------------------------------------


def test_a_parent_shows_its_progress_prices_slots_and_chart_from_its_snapshot(open_console):
    order = parent_at(6)  # two slices filled, one slot skipped
    page = open_console(StandIn(orders={PARENT: order}, frames=[snapshot_at(6)]), f"#order={PARENT}")
    expect(page.locator("#order-badge")).to_have_text("▶ active")
    expect(page.locator("#order-pair")).to_have_text("3 SOL → USDC, TWAP: 3 slices of 1 SOL every 10 s, each at least 140 USDC per SOL")
    expect(page.locator("#strategy-progress")).to_have_attribute("aria-valuenow", "66.7")
    expect(page.locator("#strategy-progress-text")).to_have_text("2 of 3 SOL sold (66.7%) · 2 of 3 slices filled")
    expect(fact(page, "Average price")).to_have_text("150.2 USDC per SOL")
    expect(fact(page, "Arrival price")).to_have_text("150.2 USDC per SOL")
    expect(fact(page, "Shortfall")).to_have_text("0 bps (as at arrival)")
    expect(fact(page, "Received")).to_have_text("300.4 USDC")
    expect(fact(page, "Unfilled slots")).to_have_text("1 (at most 3)")
    rows = page.locator("#strategy-slots tbody tr")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rows => rows.map(r => [r.dataset.slot, r.dataset.kind])") == [["0", "child"], ["1", "skip"], ["2", "child"]]
    expect(rows.nth(1)).to_contain_text(SKIP["reason"])
    expect(rows.nth(2)).to_contain_text("150.3")
    assert rows.nth(0).locator("a").get_attribute("href") == f"#order={CHILDREN[0]}", "each child links to its own view"
    assert chart_prices(page) == ["150.1", "150.3"], "a point per confirmed child, in time order"
    expect(page.locator("#strategy-chart line.chart-arrival")).to_have_attribute("data-price", "150.2")
    expect(page.locator("#order-cancel")).to_be_visible()
    expect(page.locator("#order-quotes")).to_be_hidden()  # a parent has no route of its own: its children do
    expect(page.locator("#order-failure")).to_be_hidden()



def test_a_recurring_parent_shows_its_runs_and_price_band(open_console):
    order = parent_at(3)
    order.update(type="recurring", tokenIn="USDC", tokenOut="SOL", amountIn="1200")
    band = {"kind": "recurring", "slices": 24, "sliceAmount": "50", "intervalSeconds": 3600, "limitPrice": None, "minPrice": "0.006", "maxPrice": "0.0075"}
    order["strategy"].update(band, filledIn="50", filledOut="0.33", averagePrice="0.0066", arrivalPrice="0.0067", shortfallBps="149.25")
    page = open_console(StandIn(orders={PARENT: order}, frames=[{**snapshot_at(3), "order": order}]), f"#order={PARENT}")
    expect(page.locator("#order-pair")).to_have_text("1200 USDC → SOL, Recurring: 24 runs of 50 USDC every 1 h, only between 0.006 and 0.0075 SOL per USDC")
    expect(page.locator("#strategy-progress-text")).to_have_text("50 of 1200 USDC sold (4.2%) · 1 of 24 runs filled")
    expect(fact(page, "Shortfall")).to_have_text("149.25 bps worse than at arrival")


def test_pushes_update_the_totals_from_their_strategy_and_put_each_child_and_skip_in_its_place(open_console):
    api = StandIn(orders={PARENT: parent_at(2)}, frames=[snapshot_at(2), *(push(seq) for seq in range(3, 8))])
    page = open_console(api, f"#order={PARENT}")
    expect(page.locator('#timeline li[data-seq="7"]')).to_be_visible()
    # Seven steps, two of them fills, yet the totals are the last push's: filled 2 of 3, at its average.
    expect(page.locator("#strategy-progress-text")).to_have_text("2 of 3 SOL sold (66.7%) · 2 of 3 slices filled")
    expect(fact(page, "Average price")).to_have_text("150.2 USDC per SOL")
    expect(fact(page, "Next")).to_contain_text("slot 4 at")  # the push's own nextSlot (4: one slot was skipped), as the engine numbers slots (from 0)
    rows = page.locator("#strategy-slots tbody tr")
    assert rows.evaluate_all("rows => rows.map(r => [r.dataset.slot, r.dataset.kind])") == [["0", "child"], ["1", "skip"], ["2", "child"], ["3", "child"]]
    expect(rows.nth(0)).to_contain_text("✓ confirmed")  # slot 0's child: started in the snapshot, filled by a push
    expect(rows.nth(3)).to_contain_text("… pending")
    assert chart_prices(page) == ["150.1", "150.3"]


def test_a_lost_push_is_repaired_by_a_read_of_the_whole_parent_never_by_counting(open_console):
    # The socket brings the snapshot at seq 3 and the push of seq 6; seq 4 and 5 are lost, so the
    # push waits; the quiet read gives the parent at seq 8, with every child and the true totals.
    api = StandIn(orders={PARENT: parent_at(8)}, replies=[[snapshot_at(3), push(6)]])
    page = open_console(api, f"#order={PARENT}", {"quietFirstMs": 300})
    expect(page.locator('#timeline li[data-seq="8"]')).to_be_visible()
    expect(page.locator("#strategy-progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#strategy-progress-text")).to_have_text("3 of 3 SOL sold (100%) · 3 of 3 slices filled")
    expect(fact(page, "Shortfall")).to_have_text("6.66 bps worse than at arrival")
    assert chart_prices(page) == ["150.1", "150.3", "149.9"]
    assert page.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.seq)") == [str(n) for n in range(1, 9)]

    page.reload()  # the same totals from the snapshot alone
    expect(page.locator("#strategy-progress-text")).to_have_text("3 of 3 SOL sold (100%) · 3 of 3 slices filled")


def test_a_cancel_while_a_child_routes_says_it_was_requested_and_hides_the_button(open_console):
    requested = parent_at(5)  # slice 2's child is routing
    requested["strategy"]["cancelRequested"] = True
    requested["seq"] += 1
    requested["history"].append(entry("active", 6, "Cancel requested: slice 2/3 is routing and finishes first"))
    api = ParentStandIn(orders={PARENT: parent_at(5)}, frames=[snapshot_at(5)])
    api.cancel_answer = requested
    page = open_console(api, f"#order={PARENT}")
    expect(page.locator("#order-cancel")).to_be_visible()
    page.click("#order-cancel")
    expect(page.locator("#order-connection")).to_have_text(
        f"Cancel requested for order {PARENT[:8]}…: the slice in flight (child {CHILDREN[2][:8]}…) finishes first, then it ends cancelled; no new slice starts.")
    expect(page.locator("#order-cancel")).to_be_hidden()  # the answer is shown at once: no second cancel
    expect(page.locator("#order-badge")).to_have_text("▶ active")
    expect(fact(page, "Cancel")).to_contain_text("requested")
    assert [what for what, _, _ in api.seen].count("DELETE /api/orders/{id}") == 1


def test_a_child_links_to_its_parent_in_its_view_and_in_my_orders(open_console):
    base = order_json(run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1"))
    kid = {**base, "orderId": CHILDREN[2], "parentId": PARENT, "slot": 2}
    parent = parent_at(6)
    api = StandIn(orders={CHILDREN[2]: kid, PARENT: parent}, frames=[], page={"orders": [kid, parent], "cursor": None})
    page = open_console(api, f"#order={CHILDREN[2]}", {"quietFirstMs": 200})
    expect(page.locator("#order-parent")).to_have_text(f"Slot 2 of parent order {PARENT[:8]}…")
    expect(page.locator("#order-strategy")).to_be_hidden()
    parent_row = page.locator(f'#orders-table tr[data-order-id="{PARENT}"]')
    expect(parent_row).to_contain_text("TWAP")
    expect(parent_row).to_contain_text("300.4 USDC · 2 of 3 filled")
    expect(parent_row.locator('button:has-text("Cancel")')).to_be_visible()  # an active parent can be cancelled
    expect(page.locator(f'#orders-table tr[data-order-id="{CHILDREN[2]}"]')).to_contain_text(f"slot 3 of parent {PARENT[:8]}…")
    page.click("#order-parent a")
    expect(page.locator("#order-title")).to_have_text(f"Order {PARENT}")
    expect(page.locator("#strategy-progress")).to_have_attribute("aria-valuenow", "66.7")
    expect(page.locator("#order-parent")).to_be_hidden()


def test_the_parent_statuses_have_their_own_icon_and_colour(open_console):
    page = open_console(StandIn(orders={PARENT: parent_at(1)}, frames=[snapshot_at(1)]), f"#order={PARENT}")
    expect(page.locator("#order-badge")).to_have_text("▶ active")
    colours = page.evaluate("""() => Object.fromEntries(['active', 'completed', 'partially_filled', 'expired', 'cancelled'].map((s) => {
        const probe = document.createElement('span'); probe.className = `badge status-${s}`; document.body.append(probe);
        const colour = getComputedStyle(probe).color; probe.remove(); return [s, colour]; }))""")
    assert len({colours["active"], colours["completed"], colours["partially_filled"], colours["expired"]}) == 4
    assert colours["expired"] == colours["cancelled"]



def test_a_parent_fits_a_phone(open_console):
    page = open_console(StandIn(orders={PARENT: parent_at(8)}, frames=[snapshot_at(8)]), f"#order={PARENT}", width=375)
    expect(page.locator("#strategy-chart circle.chart-point")).to_have_count(3)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375, "no sideways scrolling on a phone"
    assert page.locator("#strategy-chart svg").bounding_box()["width"] <= 375


def test_a_sniper_parent_says_what_it_buys_and_its_worst_price_in_its_own_terms(open_console):
    order = parent_at(1)
    order.update(type="sniper", tokenIn="USDC", tokenOut="NEWT", amountIn="100")
    order["strategy"].update(kind="sniper", slices=1, sliceAmount="100", intervalSeconds=0, maxPrice="0.5", minLiquidity="50000", limitPrice=None)
    page = open_console(StandIn(orders={PARENT: order}, frames=[{**snapshot_at(1), "order": order}]), f"#order={PARENT}")
    expect(page.locator("#order-pair")).to_have_text(
        "100 USDC → NEWT, Sniper: buys NEWT with 100 USDC once its pool appears holding at least 50000 of its quote token, at most 0.5 USDC per NEWT"
    )
