"""Slots that advance with time, and the blockhashes a transaction may still use.

A slot is `slot_ms` of the validator's clock (an injectable `now_ms`, plus whatever
`solroute_advanceSlots` moved it on by); the tip is worked out lazily, on each call, so an idle
validator costs nothing. Every slot has a block here (none is skipped), so a block height equals
its slot. Each slot's blockhash is derived from the validator's seed and the slot (deterministic,
distinct per validator run); only the last MAX_PROCESSING_AGE + 1 are kept for lookups, as a
bank keeps its blockhash queue: a transaction whose blockhash is older can never land."""

from __future__ import annotations

import hashlib
from typing import Callable

from solders.hash import Hash

from localcloud.services.solana.constants import MAX_PROCESSING_AGE


class SlotClock:
    def __init__(self, now_ms: Callable[[], float], slot_ms: int, seed: bytes) -> None:
        if slot_ms <= 0:
            raise ValueError(f"slot_ms must be positive, got {slot_ms}")
        self._now_ms = now_ms
        self.slot_ms = slot_ms
        self._seed = seed
        self.genesis_ms = now_ms()
        self._offset_ms = 0.0  # moved on by advance(): time as the chain sees it
        self._tip = 0
        self._recent: dict[Hash, int] = {}  # blockhash -> slot, oldest first
        self._recent_through = -1  # the newest slot in _recent

    def now_ms(self) -> float:
        return self._now_ms() + self._offset_ms

    def tip(self) -> int:
        """The newest slot: never goes back, even if the wall clock does."""
        slot = int((self.now_ms() - self.genesis_ms) // self.slot_ms)
        self._tip = max(self._tip, slot)
        self._catch_up()
        return self._tip

    def advance(self, slots: int) -> int:
        """Move the chain's time on by ``slots`` slots (pending confirmations move with it)."""
        self._offset_ms += slots * self.slot_ms
        return self.tip()

    def blockhash(self, slot: int) -> Hash:
        return Hash(hashlib.sha256(self._seed + slot.to_bytes(8, "little")).digest())

    def block_time(self, slot: int) -> int:
        """A slot's Unix time in seconds (getTransaction's blockTime)."""
        return int((self.genesis_ms + slot * self.slot_ms) // 1000)

    def slot_of(self, blockhash: Hash) -> int | None:
        """The slot of a blockhash a transaction may still use at the tip, else None."""
        self.tip()
        return self._recent.get(blockhash)

    def _catch_up(self) -> None:
        oldest = max(0, self._tip - MAX_PROCESSING_AGE)
        for slot in range(max(self._recent_through + 1, oldest), self._tip + 1):
            self._recent[self.blockhash(slot)] = slot
        self._recent_through = self._tip
        while self._recent and next(iter(self._recent.values())) < oldest:
            del self._recent[next(iter(self._recent))]
