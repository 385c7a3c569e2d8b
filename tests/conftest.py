"""Every test's lane is a marker named by its folder (tests/unit is `unit`, tests/e2e is `e2e`,
...; a test file in tests/ itself is `unit`), so `pytest -m "unit or contract"` (`make
test-fast`) picks lanes without a list of paths; the Playwright tests are `browser` too. A unit
test cannot reach the network: it may not open a socket or look a name up
(tests/support/no_network.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.no_network import network_refused

TESTS = Path(__file__).resolve().parent
# The folders and the marker each gives its tests (pyproject registers them; --strict-markers).
LANES = ("unit", "contract", "integration", "localcloud", "e2e", "cli", "console", "bench")
BROWSER_FIXTURE = "browser"  # the Playwright browser of tests/e2e/test_console.py and tests/console


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.relative_to(TESTS).parts
        lane = parts[0] if len(parts) > 1 else "unit"  # tests/test_template.py: reads template.yaml, nothing more
        if lane not in LANES:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in tests/ itself or in a lane's folder ({', '.join(LANES)})")
        item.add_marker(lane)
        if BROWSER_FIXTURE in item.fixturenames:
            item.add_marker("browser")


@pytest.fixture(autouse=True)
def network_attempts(request: pytest.FixtureRequest):
    """A unit test that opens a socket or resolves a name fails, even if the code it runs swallows
    the refusal: unit tests are the lane that must run anywhere, fast, and the same every time.
    Yields the attempts refused so far (a test of the refusal itself empties it)."""
    if request.node.get_closest_marker("unit") is None:
        yield None
        return
    with network_refused() as attempts:
        yield attempts
