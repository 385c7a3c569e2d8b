"""The engine's timeouts, with their defaults defined once: the settings read them from the
template's parameters (solroute.settings), and the domain's constructors default to the same
numbers, so a test built without settings runs on the template's defaults."""

from __future__ import annotations

# How long a pending order may wait to start before the sweeper fails it (template StartTimeout).
# Must exceed the queue's visibility timeout: a delivery that crashed before its attempt comes
# back after it (tests/test_template.py holds the template's defaults to it).
START_TIMEOUT_SECONDS = 300
# How long one attempt may run before it counts as crashed (template ConsumerTimeout: the function's own).
ATTEMPT_TIMEOUT_SECONDS = 30
# When a received message comes back if its delivery crashed (template QueueVisibilityTimeout).
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 180
