"""End-to-end: the web console (GET /) in headless Chromium driven by Playwright, against the local
cloud started as `solroute up`: nothing between the browser and the engine is mocked.

The browser is Debian's chromium (`make install-browser`, run by `make test`); Playwright downloads
none. Set SOLROUTE_CONSOLE_SCREENSHOT=path to keep a screenshot of the confirmed order (the one in
docs/ was taken so)."""

from __future__ import annotations

import html
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import browser  # noqa: F401 - the fixture

from tests.support.cloud_client import solroute_keys

STEPS = ["pending", "routing", "building", "submitted", "confirmed"]
WAIT_MS = 60_000  # for an order to be final; an event, not a speed: the test moves on as soon as it comes

# Records each timeline entry as the page adds it: what arrived, and in which order.
RECORD_ARRIVALS = """() => {
  window.arrived = [];
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) window.arrived.push(node.dataset.status);
  }).observe(document.querySelector('#timeline'), { childList: true });
}"""


@pytest.fixture
def page(browser: Browser, cloud) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{cloud.http}/")
    yield page
    context.close()
    assert not errors, f"the page threw: {errors}"


def api(cloud, method: str, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
    """The HTTP API as the cloud's key (or ``key``)."""
    headers = {**cloud.headers, **({"x-api-key": key} if key else {}), "content-type": "application/json"}
    request = urllib.request.Request(
        f"{cloud.http}{path}", method=method, headers=headers,
        data=None if body is None else json.dumps(body).encode(),
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def enter_key(page: Page, key: str) -> None:
    """Types the key and saves it with the keyboard (Enter submits the key form)."""
    page.fill("#api-key", key)
    page.press("#api-key", "Enter")
    expect(page.locator("#key-note")).to_contain_text("saved")


def timeline(page: Page) -> list[str]:
    return page.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.status)")


def test_an_order_from_the_ticket_shows_every_status_live_then_the_whole_history_after_a_reload(page: Page, cloud):
    enter_key(page, cloud.api_key)
    page.evaluate(RECORD_ARRIVALS)
    page.fill("#token-in", "SOL")
    page.fill("#token-out", "USDC")
    page.fill("#amount", "1.5")

    page.click("#preview")  # both venues' quotes side by side before trading
    expect(page.locator("#quote-bars .bar-row")).to_have_count(2)
    expect(page.locator("#quote-bars")).not_to_contain_text("no quote")  # both venues quoted (FailureRate=0)
    expect(page.locator("#quote-route")).to_contain_text("Best route")

    page.press("#amount", "Enter")  # the keyboard submits the ticket
    expect(page.locator('#timeline li[data-status="confirmed"]')).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("window.arrived") == STEPS, "each status arrives once, in order"
    order_id = page.evaluate("location.hash").removeprefix("#order=")

    status, order = api(cloud, "GET", f"/api/orders/{order_id}")
    assert status == 200 and order["status"] == "confirmed"
    assert order["quote"] is not None, "an unchanged ticket submitted after its preview is held to that quote"
    expect(page.locator("#order-badge")).to_have_text("✓ confirmed")  # an icon and a word, not only a colour
    fill = page.locator("#fill")
    expect(fill).to_contain_text(f"{order['execution']['amountOut']} USDC")
    expect(fill).to_contain_text(f"{order['execution']['quotedAmountOut']} USDC")
    slippage = float(order["execution"]["slippage"])
    expect(fill).to_contain_text("worse than quoted" if slippage > 0 else "better than quoted" if slippage < 0 else "exactly as quoted")
    expect(page.locator("#route-summary")).to_contain_text(order["routing"]["reason"])
    expect(page.locator("#legs tbody tr")).to_have_count(len(order["execution"]["legs"]))
    expect(page.locator("#order-bars .bar-row")).to_have_count(2)
    for quote in order["quotes"]:  # each venue's own number, beside its bar
        expect(page.locator("#order-bars")).to_contain_text(f"{quote['amountOut']} USDC")
    expect(page.locator("#order-bars")).to_contain_text("✓ chosen")
    assert page.locator("#timeline li .offset").first.inner_text() == "+0.000 s"
    row = page.locator(f'#orders-table tr[data-order-id="{order_id}"]')
    expect(row).to_contain_text("confirmed")
    if os.environ.get("SOLROUTE_CONSOLE_SCREENSHOT"):
        page.locator("#amount").blur()
        expect(page.locator("#stats tbody")).to_contain_text("OrderConsumer")
        page.screenshot(path=os.environ["SOLROUTE_CONSOLE_SCREENSHOT"], full_page=True)

    page.reload()  # the subscription's snapshot gives the whole history again; the key was remembered
    expect(page.locator('#timeline li[data-status="confirmed"]')).to_be_visible(timeout=WAIT_MS)
    assert timeline(page) == STEPS
    assert page.input_value("#api-key") == cloud.api_key
    expect(page.locator("#fill")).to_contain_text(f"{order['execution']['amountOut']} USDC")


def test_a_bad_amount_is_refused_with_the_apis_own_message(page: Page, cloud):
    enter_key(page, cloud.api_key)
    body = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "-1", "slippage": "0.01"}
    status, answer = api(cloud, "POST", "/api/orders/execute", body)
    assert status == 400
    page.fill("#amount", "-1")
    page.click("#submit")
    error = page.locator("#ticket-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(answer["error"]["message"])
    expect(page.locator("#order")).to_be_hidden()  # no order was made, so none is shown

    page.fill("#amount", "1")
    page.uncheck('input[name="dex"][value="raydium"]')
    page.uncheck('input[name="dex"][value="meteora"]')
    page.click("#submit")
    expect(error).to_have_text("Tick at least one venue.")  # not an empty list, which the API reads as "any venue"


def test_percentages_from_the_ticket_reach_the_api_as_exact_fractions(page: Page, cloud):
    enter_key(page, cloud.api_key)
    page.fill("#slippage", "1.1")  # 1.1 / 100 in floating point is 0.011000000000000001, which the API refuses
    page.fill("#impact", "4.7")
    page.uncheck('input[name="dex"][value="meteora"]')
    page.click("#submit")
    expect(page.locator('#timeline li[data-status="confirmed"]')).to_be_visible(timeout=WAIT_MS)
    order = api(cloud, "GET", "/api/orders/" + page.evaluate("location.hash").removeprefix("#order="))[1]
    assert (order["slippage"], order["maxPriceImpact"], order["dexes"]) == ("0.011", "0.047", ["raydium"])
    assert order["routing"]["dex"] == "raydium"


def test_an_open_limit_order_is_cancelled_from_my_orders_and_the_view_shows_it(page: Page, cloud):
    enter_key(page, cloud.api_key)
    page.check('input[name="type"][value="limit"]')
    expect(page.locator("#limit-fields")).to_be_visible()
    expect(page.locator("#market-fields")).to_be_hidden()
    page.fill("#limit-price", "1000000")  # far above the market: it stays open
    page.select_option("#expires", "600")
    page.click("#submit")
    expect(page.locator("#order-badge")).to_have_text("◷ open", timeout=WAIT_MS)
    order_id = page.evaluate("location.hash").removeprefix("#order=")

    page.click(f'#orders-table tr[data-order-id="{order_id}"] button:has-text("Cancel")')
    expect(page.locator('#timeline li[data-status="cancelled"]')).to_be_visible(timeout=WAIT_MS)  # live, over the WebSocket
    expect(page.locator("#order-failure")).to_contain_text("Cancelled")
    expect(page.locator("#order-cancel")).to_be_hidden()
    expect(page.locator(f'#orders-table tr[data-order-id="{order_id}"]')).to_contain_text("cancelled")
    assert api(cloud, "GET", f"/api/orders/{order_id}")[1]["status"] == "cancelled"


def test_the_console_fits_a_phone_and_labels_every_control(browser: Browser, cloud):
    status, accepted = api(cloud, "POST", "/api/orders/execute", {"tokenIn": "SOL", "tokenOut": "JUP", "amountIn": "3"})  # two hops: three columns of legs
    assert status == 202
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{cloud.http}/#order={accepted['orderId']}")
    expect(page.locator('#timeline li[data-status="confirmed"]')).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#fill")).to_be_visible()
    expect(page.locator("#stats tbody tr").first).to_be_visible()  # the local cloud's counters, per function
    expect(page.locator("#stats tbody")).to_contain_text("Console")
    expect(page.locator("#alarms-summary")).to_have_text(re.compile(r"13 (alarms firing|watched)"))  # the template's alarms, evaluated locally
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375, "no sideways scrolling on a phone"
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, button')]
        .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.textContent.trim())
        .map((c) => c.id || c.name)""")
    assert unlabelled == []
    context.close()


def test_without_a_saved_key_the_local_cloud_demo_key_is_offered_and_used(page: Page, cloud):
    expect(page.locator("#key-demo")).to_be_visible()
    expect(page.locator("#key-note")).to_contain_text("demo key")
    assert page.evaluate("localStorage.getItem('solroute.apiKey')") == cloud.api_key
    page.click("#key-forget")
    assert page.evaluate("localStorage.getItem('solroute.apiKey')") is None


def test_another_key_clears_the_previous_keys_orders_and_says_why_it_lists_none(page: Page, cloud):
    enter_key(page, cloud.api_key)
    status, accepted = api(cloud, "POST", "/api/orders/execute", {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1"})
    assert status == 202
    page.click("#orders-refresh")
    page.click(f'#orders-table tr[data-order-id="{accepted["orderId"]}"] button:has-text("View")')
    expect(page.locator("#order")).to_be_visible()
    enter_key(page, "sr_" + "B" * 43)  # a key the engine does not know
    expect(page.locator("#order")).to_be_hidden()
    expect(page.locator("#orders-table tbody tr")).to_have_count(0)
    expect(page.locator("#orders-note")).to_contain_text("Could not list orders")


def test_on_the_ledger_chain_the_wallet_panel_says_there_is_no_wallet(browser: Browser, ledger_cloud):
    page, errors = console_on(browser, ledger_cloud)
    enter_key(page, ledger_cloud.api_key)
    status, answer = api(ledger_cloud, "GET", "/api/wallet")
    assert status == 404 and answer["error"]["code"] == "NO_WALLETS", "this stack runs the ledger chain"
    expect(page.locator("#wallet-note")).to_have_text("No wallet: this stack runs the simulated ledger chain, where orders settle without one.")
    expect(page.locator("#wallet-balances")).to_be_hidden()
    page.evaluate("document.querySelector('#wallet-note').textContent = ''")
    page.click("#wallet-refresh")  # on demand: asked again, answered the same
    expect(page.locator("#wallet-note")).to_contain_text("No wallet")
    assert not errors, errors


def _sol(page: Page) -> str:
    return page.locator("#wallet-table tbody tr", has_text="SOL").first.locator("td").nth(1).inner_text()


def test_on_the_rpc_chain_the_wallet_shows_the_chains_balances_and_an_order_moves_them_by_its_fill(page: Page, cloud):
    status, wallet = api(cloud, "GET", "/api/wallet")
    assert status == 200 and wallet["chain"] == "local"
    held = {b["token"]: b["amount"] for b in wallet["balances"]}
    enter_key(page, cloud.api_key)
    expect(page.locator("#wallet-address")).to_have_attribute("title", wallet["address"])
    expect(page.locator("#wallet-chain")).to_have_text("the local validator")
    expect(page.locator("#wallet-table tbody tr", has_text="SOL").first).to_contain_text(held["SOL"])
    page.fill("#token-in", "SOL")
    page.fill("#token-out", "USDC")
    page.fill("#amount", "1.5")
    page.press("#amount", "Enter")
    expect(page.locator('#timeline li[data-status="confirmed"]')).to_be_visible(timeout=WAIT_MS)
    order_id = page.evaluate("location.hash").removeprefix("#order=")
    _, order = api(cloud, "GET", f"/api/orders/{order_id}")
    execution = order["execution"]
    changes = {token: Decimal(amount) for token, amount in execution["balanceChanges"].items()}
    assert changes == {"SOL": Decimal("-1.5"), "USDC": Decimal(execution["amountOut"])}
    expect(page.locator("#fill")).to_contain_text("Wallet change")
    expect(page.locator("#fill")).to_contain_text(str(execution["slot"]))
    _, after = api(cloud, "GET", "/api/wallet")
    now = {b["token"]: b["amount"] for b in after["balances"]}
    assert Decimal(held["SOL"]) - Decimal(now["SOL"]) >= Decimal("1.5"), "the chain's balance moved by the order (and any others of the key)"
    expect(page.locator("#wallet-table tbody tr", has_text="SOL").first).to_contain_text(now["SOL"])  # read again once the order was final



STRATEGY_WAIT_MS = 120_000  # three slices 10 s apart, each slot started by the trigger's tick: an event, not a speed


def strategy_key(cloud) -> str:
    """A key of its own (funded): the session's key may already hold KeyMaxActiveStrategies
    strategies, which test_api_contract's generated requests leave running."""
    return solroute_keys(cloud, "create", "--name", "console-strategies")["apiKey"]


def strategy_totals(page: Page) -> dict[str, str]:
    """What the parent's view shows of its totals: the progress bar's and the facts'."""
    return {
        "progress": page.locator("#strategy-progress").get_attribute("aria-valuenow"),
        "text": page.inner_text("#strategy-progress-text"),
        **{name: page.inner_text(f'#strategy-facts dd[data-fact="{name}"]') for name in ("Received", "Average price", "Arrival price", "Shortfall")},
    }


def test_a_twap_from_the_ticket_fills_its_slices_live_and_shows_the_same_totals_after_a_reload(page: Page, cloud):
    key = strategy_key(cloud)
    enter_key(page, key)
    page.check('input[name="type"][value="twap"]')
    page.fill("#amount", "0.3")
    page.fill("#slices", "3")
    page.fill("#twap-interval", "10")
    page.click("#submit")
    expect(page.locator("#order-badge")).to_have_text("▶ active", timeout=WAIT_MS)
    expect(page.locator("#order-badge")).to_have_text("✓ completed", timeout=STRATEGY_WAIT_MS)
    expect(page.locator("#strategy-progress")).to_have_attribute("aria-valuenow", "100")
    parent_id = page.evaluate("location.hash").removeprefix("#order=")

    status, parent = api(cloud, "GET", f"/api/orders/{parent_id}", key=key)
    strategy = parent["strategy"]
    assert status == 200 and parent["status"] == "completed" and parent["type"] == "twap"
    assert (strategy["filled"], Decimal(strategy["filledIn"])) == (3, Decimal("0.3"))
    shown = strategy_totals(page)
    assert shown["text"] == f"{strategy['filledIn']} of {parent['amountIn']} SOL sold (100%) · 3 of 3 slices filled"
    assert shown["Received"] == f"{strategy['filledOut']} USDC"
    for name, exact in (("Average price", strategy["averagePrice"]), ("Arrival price", strategy["arrivalPrice"])):  # 8 digits shown, the exact one in its title
        assert page.get_attribute(f'#strategy-facts dd[data-fact="{name}"]', "title") == exact
        assert shown[name] == f"{float(exact):.8g} USDC per SOL"
    expect(page.locator("#strategy-slots tbody tr[data-kind=child]")).to_have_count(3)
    prices = page.locator("#strategy-chart circle.chart-point").evaluate_all("dots => dots.map(d => d.dataset.price)")
    assert sorted(prices) == sorted(child["price"] for child in strategy["children"])
    for child in strategy["children"]:  # each child is an ordinary market order, linked to its parent
        _, order = api(cloud, "GET", f"/api/orders/{child['orderId']}", key=key)
        assert (order["parentId"], order["status"]) == (parent_id, "confirmed")

    page.reload()  # the snapshot alone gives the same totals
    expect(page.locator("#order-badge")).to_have_text("✓ completed", timeout=WAIT_MS)
    assert strategy_totals(page) == shown
    page.click("#strategy-slots tbody tr >> nth=0 >> a")  # a child's view links back to its parent
    expect(page.locator("#order-parent")).to_contain_text(f"parent order {parent_id[:8]}")



def test_a_running_twap_cancelled_from_its_view_ends_cancelled_with_what_it_filled(page: Page, cloud):
    key = strategy_key(cloud)
    enter_key(page, key)
    page.check('input[name="type"][value="twap"]')
    page.fill("#amount", "0.5")
    page.fill("#slices", "5")
    page.fill("#twap-interval", "30")
    page.click("#submit")
    expect(page.locator("#strategy-slots tbody tr[data-kind=child] >> text=confirmed")).to_have_count(1, timeout=STRATEGY_WAIT_MS)
    page.click("#order-cancel")
    # Truthful either way: cancelled at once, or (a child still routing) requested until it lands.
    expect(page.locator("#order-connection")).to_contain_text(re.compile(r"cancelled\.|Cancel requested"))
    expect(page.locator("#order-badge")).to_have_text("⊘ cancelled", timeout=STRATEGY_WAIT_MS)
    expect(page.locator("#order-cancel")).to_be_hidden()
    parent_id = page.evaluate("location.hash").removeprefix("#order=")
    _, parent = api(cloud, "GET", f"/api/orders/{parent_id}", key=key)
    assert parent["status"] == "cancelled" and 1 <= parent["strategy"]["filled"] < 5
    expect(page.locator("#strategy-progress-text")).to_contain_text(f"{parent['strategy']['filledIn']} of 0.5 SOL sold")
    expect(page.locator("#strategy-end")).to_have_text(parent["history"][-1]["message"])


# -- never trusting one push (docs/clients.md) ------------------------------------------------


def console_on(browser: Browser, cloud, fragment: str = "", timings: dict | None = None, storage: dict | None = None) -> tuple[Page, list[str]]:
    """A console page on ``cloud`` (with its own timings, and localStorage as a returning browser
    left it); the errors the page throws are collected in the list."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    if timings:
        context.add_init_script(f"window.SOLROUTE_TIMINGS = {json.dumps(timings)};")
    for name, value in (storage or {}).items():
        context.add_init_script(f"localStorage.setItem({json.dumps(name)}, {json.dumps(value)});")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{cloud.http}/{fragment}")
    return page, errors


def websocket_stats(cloud) -> dict:
    return cloud.stats()["websocket"]


def wait_for(condition, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the awaited event did not come"
        time.sleep(0.05)


def open_limit_order(cloud) -> str:
    """A limit order at twice the market's price (from a quote): it stays open until cancelled."""
    _, quote = api(cloud, "GET", "/api/quote?tokenIn=SOL&tokenOut=USDC&amountIn=1.5")
    limit = (Decimal(quote["route"]["amountOut"]) / Decimal("1.5") * 2).quantize(Decimal("0.01"))
    body = {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "1.5", "type": "limit", "limitPrice": str(limit), "timeInForceSeconds": 600}
    status, accepted = api(cloud, "POST", "/api/orders/execute", body)
    assert status == 202, accepted
    return accepted["orderId"]


def test_the_console_reaches_the_true_final_status_when_every_push_is_lost(browser: Browser, lossy_cloud):
    page, errors = console_on(browser, lossy_cloud)
    enter_key(page, lossy_cloud.api_key)
    page.evaluate(RECORD_ARRIVALS)
    page.fill("#amount", "1.5")
    page.click("#submit")
    expect(page.locator("#order-badge")).to_have_text("✓ confirmed", timeout=WAIT_MS)  # read, since nothing was pushed
    assert page.evaluate("window.arrived") == STEPS, "each status once, in order"
    order = api(lossy_cloud, "GET", "/api/orders/" + page.evaluate("location.hash").removeprefix("#order="))[1]
    assert order["status"] == "confirmed"
    expect(page.locator("#fill")).to_contain_text(f"{order['execution']['amountOut']} USDC")
    page.context.close()
    assert not errors, errors


def test_the_console_reopens_a_socket_the_server_closes_while_the_order_is_open(browser: Browser, idle_cloud):
    order_id = open_limit_order(idle_cloud)
    before = websocket_stats(idle_cloud)["connected"]
    # No read and no keepalive: only a new connection can bring the cancel.
    page, errors = console_on(browser, idle_cloud, f"#order={order_id}", {"quietFirstMs": 600000, "keepAliveMs": 600000})
    expect(page.locator('#timeline li[data-status="open"]')).to_be_visible(timeout=WAIT_MS)
    wait_for(lambda: websocket_stats(idle_cloud)["connected"] >= before + 2)  # closed for idleness, and opened again
    assert api(idle_cloud, "DELETE", f"/api/orders/{order_id}")[0] == 200
    expect(page.locator('#timeline li[data-status="cancelled"]')).to_be_visible(timeout=WAIT_MS)
    assert timeline(page) == ["open", "cancelled"]
    page.context.close()
    assert not errors, errors


def test_the_console_keeps_a_quiet_connection_open_with_a_keepalive(browser: Browser, idle_cloud):
    order_id = open_limit_order(idle_cloud)
    before = websocket_stats(idle_cloud)
    page, errors = console_on(browser, idle_cloud, f"#order={order_id}", {"quietFirstMs": 600000, "keepAliveMs": 500})
    expect(page.locator('#timeline li[data-status="open"]')).to_be_visible(timeout=WAIT_MS)
    wait_for(lambda: websocket_stats(idle_cloud)["messagesIn"] >= before["messagesIn"] + 8)  # 4 s of keepalives: twice the idle close
    assert api(idle_cloud, "DELETE", f"/api/orders/{order_id}")[0] == 200
    expect(page.locator('#timeline li[data-status="cancelled"]')).to_be_visible(timeout=WAIT_MS)
    assert websocket_stats(idle_cloud)["connected"] == before["connected"] + 1, "one connection, never closed for idleness"
    page.context.close()
    assert not errors, errors


def test_a_demo_key_kept_from_before_a_restart_gives_way_to_the_new_one_and_a_users_own_key_stays(browser: Browser, cloud):
    stale = "sr_" + "S" * 40  # the demo key of a local cloud that has since restarted
    page, errors = console_on(browser, cloud, storage={"solroute.apiKey": stale, "solroute.apiKeyIsDemo": "1"})
    expect(page.locator("#key-note")).to_contain_text("restarted")
    assert page.input_value("#api-key") == cloud.api_key
    page.context.close()
    own = "sr_" + "O" * 40
    page, more_errors = console_on(browser, cloud, storage={"solroute.apiKey": own})
    expect(page.locator("#key-demo")).to_be_visible()
    assert page.input_value("#api-key") == own, "a key the user saved is never replaced"
    page.context.close()
    assert not errors + more_errors


def test_the_console_ends_a_watched_order_on_a_final_status_it_knows_only_from_the_server(browser: Browser, cloud):
    """The page is the server's, with `open` added to the final statuses it gives the script (as an
    engine with another final status would): the order on screen ends there, though the engine
    keeps it open, so the script has no list of final statuses of its own."""
    order_id = open_limit_order(cloud)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})

    def one_more_final_status(route) -> None:
        served = route.fetch()
        page_text = served.text()
        found = re.search(r'<meta name="solroute-engine" content="([^"]*)">', page_text)
        constants = json.loads(html.unescape(found.group(1)))
        assert "open" not in constants["finalStatuses"]
        constants["finalStatuses"].append("open")
        changed = f'<meta name="solroute-engine" content="{html.escape(json.dumps(constants), quote=True)}">'
        route.fulfill(response=served, body=page_text.replace(found.group(0), changed))

    context.route(lambda url: urlsplit(url).path == "/", one_more_final_status)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{cloud.http}/#order={order_id}")
    final = "Final: open. Reload the page to see this order again."
    expect(page.locator("#order-connection")).to_have_text(final, timeout=WAIT_MS)
    assert timeline(page) == ["open"]
    assert api(cloud, "GET", f"/api/orders/{order_id}")[1]["status"] == "open"
    context.close()
    assert not errors, errors
