"""One API key's usage as the submit-time quota stores it (see logic/key_quota.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuotaState:
    """Orders a key had accepted in its current calendar minute, how far its accepted orders
    reach into the shared execution queue, and the stored version (0: nothing stored)."""

    window_start_ms: int = 0  # epoch ms of the minute ``count`` belongs to
    count: int = 0
    reach_ms: int = 0  # when the key's last accepted order would start, had it the queue to itself
    version: int = 0
