"""Strategies with the real CLI on a real local cloud (`solroute up` on free ports, its trigger
scheduling the slots): a small TWAP followed by `submit` until it completes, and a recurring
order cancelled with `cancel`, then followed by `watch` to its end."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.lambdas import ROOT
from tests.support.cloud_process import FAST, start_cloud, stop_cloud

@pytest.fixture(scope="module")
def cloud():
    running = start_cloud(FAST)
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def solroute(cloud, *argv: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "solroute_cli", *argv, "--api", cloud.http, "--api-key", cloud.api_key],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )  # fmt: skip


def test_a_small_twap_submitted_with_the_cli_is_followed_slot_by_slot_until_it_completes(cloud):
    done = solroute(cloud, "submit", "SOL", "USDC", "0.3", "--twap", "3x10s")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    order_id = re.search(r"^order (\S+): twap 0.3 SOL -> USDC as 3x10s \(active\)$", out, re.MULTILINE).group(1)
    assert [int(k) for k in re.findall(r"Slice (\d)/3 started: child ", out)] == [1, 2, 3], out
    assert re.search(r"\| filled 3/3, 0\.3/0\.3 SOL in, [\d.]+ USDC out, average price [\d.]+ USDC per SOL$", out, re.MULTILINE), out
    assert "completed in " in out and "  twap completed: filled 3/3" in out and "  children (3):" in out
    assert re.search(r"  price: average [\d.]+ USDC per SOL vs arrival [\d.]+ USDC per SOL, shortfall -?[\d.]+ bps", out), out
    shown = solroute(cloud, "get", order_id)
    assert shown.returncode == 0 and "progress: [####################] filled 3/3" in shown.stdout, shown.stdout


def test_a_recurring_order_cancelled_with_the_cli_says_what_happened_and_ends_cancelled(cloud):
    placed = solroute(cloud, "submit", "SOL", "USDC", "0.1", "--every", "1m", "--runs", "5", "--no-watch", "--json")
    assert placed.returncode == 0, placed.stdout + placed.stderr
    accepted = json.loads(placed.stdout)
    order_id = accepted["orderId"]
    assert accepted["status"] == "active"
    cancelled = solroute(cloud, "cancel", order_id)
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    assert cancelled.stdout.startswith((f"order {order_id} cancelled: filled ", f"cancel requested for order {order_id}: child ")), cancelled.stdout
    followed = solroute(cloud, "watch", order_id)
    assert followed.returncode == 1, followed.stdout + followed.stderr
    assert "cancelled in " in followed.stdout and "  recurring cancelled: filled " in followed.stdout
    again = solroute(cloud, "cancel", order_id)
    assert again.returncode == 1 and "already cancelled" in again.stdout, again.stdout


def test_a_sniper_placed_with_the_cli_fires_when_market_launch_creates_its_token(cloud):
    placed = solroute(cloud, "submit", "USDC", "SNPC", "100", "--snipe", "--max-price", "1", "--expires", "10m", "--no-watch", "--json")
    assert placed.returncode == 0, placed.stdout + placed.stderr
    order_id = json.loads(placed.stdout)["orderId"]
    launched = subprocess.run(
        [sys.executable, "-m", "solroute_cli", "market", "launch", "SNPC", "--liquidity", "50000", "--price", "0.2", "--api", cloud.http],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stdout + launched.stderr
    followed = solroute(cloud, "watch", order_id)
    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert "Snipe fired: SNPC pool on raydium holds 50000 USDC" in followed.stdout and "completed in " in followed.stdout
