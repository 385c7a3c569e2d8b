"""Every CLI test starts from a clean environment: no API URL, key or WebSocket URL from the
shell, and no terminal forced (the output is read as a program reads it: no colour, no wrapping)."""

import pytest

from tests.support.solana_validator import chain, solana_rpc, swap_setup  # noqa: F401 - the chain commands' tests use them

SHELL_SETTINGS = ("SOLROUTE_RPC_URL", "SOLROUTE_API_URL", "SOLROUTE_API_KEY", "SOLROUTE_WS_URL", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR", "COLUMNS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in SHELL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
