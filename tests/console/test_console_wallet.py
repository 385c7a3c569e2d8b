"""The console's wallet panel and an order's chain facts, in headless Chromium against the
stand-in API (tests/support/stand_in.py: the engine's own answers, its wallets a per-key double of
the Wallets port) with the page and modules served by the real console handler. The console on
the local cloud, end to end, is tests/e2e/test_console.py (whose stack runs the ledger chain)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import browser  # noqa: F401 - the fixture

from tests.console.serving import with_console
from tests.support.background import serving
from tests.support.stand_in import STAND_IN_KEY_ID, StandIn, order_json, run_order, snapshot_frame
from tests.support.wallets import InMemoryWallets

CONFIRMED = run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1.5")
ON_CHAIN = CONFIRMED.model_copy(update={"execution": CONFIRMED.execution.model_copy(update={
    "networkFee": Decimal("0.00001"), "slot": 4242,
    "balanceChanges": {"SOL": Decimal("-1.5"), "USDC": CONFIRMED.execution.amountOut},
})})  # fmt: skip


@pytest.fixture
def wallets() -> InMemoryWallets:
    wallets = InMemoryWallets()
    wallets.fund(STAND_IN_KEY_ID, "SOL", Decimal("10"))
    return wallets


@pytest.fixture
def console(browser: Browser, wallets, monkeypatch) -> Iterator[tuple[Page, StandIn]]:
    api = StandIn(orders={ON_CHAIN.orderId: order_json(ON_CHAIN)}, frames=[snapshot_frame(ON_CHAIN)], wallets=wallets)
    with serving(with_console(api)) as url:
        monkeypatch.setenv("WEBSOCKET_URL", url.replace("http://", "ws://") + "/ws")
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/")  # no key saved: the stand-in's health offers a demo key, which the page uses
        yield page, api
        context.close()
    assert not errors, f"the page threw: {errors}"


def balance(page: Page, token: str):
    return page.locator(f'#wallet-table tr[data-token="{token}"] td').nth(1)


def test_the_wallet_panel_shows_the_address_shortened_and_every_balance(console, wallets):
    page, _ = console
    address = wallets.address(STAND_IN_KEY_ID)
    expect(page.locator("#wallet-address")).to_have_text(f"{address[:4]}…{address[-4:]}")
    assert page.locator("#wallet-address").get_attribute("title") == address
    expect(page.locator("#wallet-chain")).to_have_text("the local validator")
    expect(balance(page, "SOL")).to_have_text("10")
    expect(balance(page, "USDC")).to_have_text("0")
    expect(page.locator("#wallet-table tbody tr")).to_have_count(10)
    page.click("#wallet-copy")
    expect(page.locator("#wallet-note")).to_have_text("Address copied.")
    assert page.evaluate("navigator.clipboard.readText()") == address


def test_refresh_reads_the_wallet_again(console, wallets):
    page, _ = console
    expect(balance(page, "SOL")).to_have_text("10")
    wallets.fund(STAND_IN_KEY_ID, "SOL", Decimal("2.5"))
    page.click("#wallet-refresh")
    expect(balance(page, "SOL")).to_have_text("12.5")


def test_an_order_on_chain_shows_its_slot_fee_and_balance_changes_and_the_wallet_is_read_again_when_it_ends(console, wallets):
    page, _ = console
    expect(balance(page, "SOL")).to_have_text("10")
    wallets.fund(STAND_IN_KEY_ID, "USDC", ON_CHAIN.execution.amountOut)  # what the order's fill would have moved
    page.evaluate(f"location.hash = '#order={ON_CHAIN.orderId}'")
    expect(page.locator("#order-badge")).to_have_text("✓ confirmed")
    fill = page.locator("#fill")
    expect(fill).to_contain_text("Slot4242")
    expect(fill).to_contain_text("Network fee0.00001 SOL")
    expect(fill).to_contain_text(f"Wallet change-1.5 SOL, +{ON_CHAIN.execution.amountOut} USDC")
    expect(balance(page, "USDC")).to_have_text(str(ON_CHAIN.execution.amountOut))  # read again, without a click


def test_an_order_on_the_ledger_shows_no_chain_facts(browser, console):
    page, api = console
    api.orders[CONFIRMED.orderId] = order_json(CONFIRMED)
    api.frames = [snapshot_frame(CONFIRMED)]
    page.evaluate(f"location.hash = '#order={CONFIRMED.orderId}'")
    expect(page.locator("#order-badge")).to_have_text("✓ confirmed")
    expect(page.locator("#fill")).to_contain_text("Transaction")
    expect(page.locator("#fill")).not_to_contain_text("Slot")
    expect(page.locator("#fill")).not_to_contain_text("Wallet change")
