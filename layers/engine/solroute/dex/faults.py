"""Chaos mode: faults injected on purpose, at named points, with set probabilities.

The template parameter ``FaultInjection`` ("crash-after-send=0.2,ws-gone=0.1") reaches every
function. The simulated venues and chain, and the AWS adapters (solroute.dal: the DynamoDB
table, the SQS queue, the WebSocket notifier), ask the plan whether a fault fires. Each draw is
keyed by the point and its labels (order, attempt, operation) plus how many times this process
asked with those labels, so a run is reproducible under ``SimulationSeed`` and a retried call
draws afresh.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Callable

from solroute.dex.randomness import Randomness

POINTS: dict[str, str] = {
    "quote-timeout": "a venue's quote API does not answer (the quote fails; the attempt is retried)",
    "send-rpc-error": "the RPC node rejects sendTransaction; nothing lands",
    "rpc-timeout": "sendTransaction times out (RPC chain): the transaction may or may not have landed",
    "rpc-drop": "the RPC node accepts the transaction and never forwards it (RPC chain): it never lands",
    "blockhash-expired": "the transaction is signed with a blockhash that has already expired (RPC chain): it never lands",
    "crash-before-send": "the invocation dies after the swap's signature is stored, before the swap is sent",
    "crash-after-send": "the invocation dies after the swap landed, before the order is updated",
    "dynamodb-throttle": "a DynamoDB call raises ProvisionedThroughputExceededException",
    "sqs-send-error": "the API's SendMessage fails",
    "ws-gone": "a post to a WebSocket connection answers 410 Gone",
}


# How many times this process has asked with each set of labels: process-wide, so that a plan
# rebuilt in the same process (a settings reload) draws on instead of starting over.
_ASKED: Counter[tuple] = Counter()
_ASKED_LOCK = threading.Lock()


def die(point: str) -> None:
    """End the invocation the way a crashed Lambda ends: the process exits, no cleanup runs,
    and SQS shows the message again after its visibility timeout."""
    print(f'{{"level": "ERROR", "message": "chaos: {point}: the process dies here"}}', file=sys.stderr, flush=True)
    os._exit(137)


class FaultPlan:
    def __init__(
        self,
        probabilities: dict[str, Decimal] | None = None,
        randomness: Randomness | None = None,
        crash: Callable[[str], None] = die,
    ) -> None:
        self.probabilities = {p: v for p, v in (probabilities or {}).items() if v > 0}
        self.randomness = randomness or Randomness()
        self.crash = crash

    @classmethod
    def parse(cls, text: str, randomness: Randomness | None = None, crash: Callable[[str], None] = die) -> "FaultPlan":
        """``"point=probability,..."``; raises ValueError naming what is wrong."""
        probabilities: dict[str, Decimal] = {}
        for part in filter(None, (p.strip() for p in (text or "").split(","))):
            point, sep, value = part.partition("=")
            point = point.strip()
            if point not in POINTS:
                raise ValueError(f"unknown fault point '{point}'; known: {', '.join(POINTS)}")
            try:
                probability = Decimal(value.strip()) if sep else Decimal(1)
            except InvalidOperation:
                raise ValueError(f"fault '{point}' wants a probability between 0 and 1, got '{value}'") from None
            if not Decimal(0) <= probability <= Decimal(1):
                raise ValueError(f"fault '{point}' wants a probability between 0 and 1, got '{value}'")
            probabilities[point] = probability
        return cls(probabilities, randomness, crash)

    @property
    def active(self) -> bool:
        return bool(self.probabilities)

    def fires(self, point: str, *labels: object) -> bool:
        probability = self.probabilities.get(point)
        if not probability:
            return False
        with _ASKED_LOCK:
            _ASKED[(point, *labels)] += 1
            nth = _ASKED[(point, *labels)]
        return Randomness.chance(self.randomness.rng("fault", point, *labels, nth), probability)

    def crash_if(self, point: str, *labels: object) -> None:
        if self.fires(point, *labels):
            self.crash(point)


NO_FAULTS = FaultPlan()
