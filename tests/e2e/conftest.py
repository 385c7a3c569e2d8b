"""End-to-end: the local cloud started as `solroute up` on free ports, driven only over real
HTTP and WebSocket clients (and boto3 against its AWS endpoint, for looking behind it). The
clients' helpers are in tests/support/cloud_client.py."""

from __future__ import annotations

import pytest

from tests.support.cloud_process import FAST, start_cloud, stop_cloud


@pytest.fixture(scope="session")
def cloud():
    running = start_cloud(FAST)
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="session")
def ledger_cloud():
    """The simulated ledger chain (an empty SolanaRpcUrl), as a deployed stack runs by default:
    no wallets, no balances, swaps as rows of SimulatedChainTable."""
    running = start_cloud([*FAST, "SolanaRpcUrl="])
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="session")
def failing_cloud():
    """Every quote fails (so every attempt fails), retries start at 1 s, $disconnect is lost."""
    params = [p for p in FAST if not p.startswith("FailureRate")] + ["FailureRate=1", "BackoffBaseSeconds=1"]
    running = start_cloud(params, "--lose-disconnects")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="session")
def lossy_cloud():
    """Every WebSocket post is lost (chaos mode's ws-gone=1): snapshots and updates alike. A client
    reaches an order's final status only by reading it."""
    running = start_cloud([*FAST, "FaultInjection=ws-gone=1"])
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


@pytest.fixture(scope="session")
def idle_cloud():
    """API Gateway's idle close after 2 s instead of 10 minutes: a connection that nobody sends on
    is closed by the server while the order it follows is still open."""
    running = start_cloud(FAST, "--ws-idle-timeout", "2")
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]
