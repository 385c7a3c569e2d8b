"""The test owner's API key, and the WebSocket connector that presents it."""

from __future__ import annotations

from solroute.models.keys import ApiKey, Connector
from tests.fakes import TEST_OWNER

KEY = ApiKey(key_hash="a" * 64, key_id="sr_TESTKEY1", owner=TEST_OWNER, name="bot", created_at="2026-01-01T00:00:00.000Z", rate_per_minute=60)
CALLER = Connector(owner=TEST_OWNER, key_id=KEY.key_id)
