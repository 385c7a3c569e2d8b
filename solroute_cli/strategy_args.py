"""submit's strategy options (--twap, --every, --snipe and their companions) as the API's request fields
(docs/api.md; a TWAP or a recurring order is a parent whose children are market orders).

Every contradiction is a usage error (exit 2) before anything is sent: a wrong order placed on a
schedule is worse than none."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from solroute_cli.durations import duration_seconds
from solroute_cli.errors import EXIT_USAGE, CliError

TWAP_GRAMMAR = "SLICESxINTERVAL (10x30s: 10 slices, one every 30 s) or SLICES/DURATION (10/5m: 10 slices spread over 5 minutes)"
_TWAP = re.compile(r"^(\d+)\s*([x/])\s*(\S+)$")


def twap_schedule(text: str) -> dict[str, int]:
    """--twap's value as {"slices", "intervalSeconds"} (10x30s) or {"slices", "durationSeconds"} (10/5m)."""
    found = _TWAP.match(text.strip().lower())
    seconds = duration_seconds(found.group(3)) if found else None
    if found is None or seconds is None:
        raise CliError(f"--twap {text!r}: expected {TWAP_GRAMMAR}", EXIT_USAGE)
    slices, per = int(found.group(1)), found.group(2)
    return {"slices": slices, "intervalSeconds" if per == "x" else "durationSeconds": seconds}


def _seconds(option: str, text: str) -> int:
    seconds = duration_seconds(text)
    if seconds is None:
        raise CliError(f"{option} {text!r}: expected a duration such as 30s, 10m, 1h or 1d", EXIT_USAGE)
    return seconds


def ends_at(text: str, now: datetime | None = None) -> str:
    """--until's value as endsAt: an ISO time as it is, a duration (24h) counted from now."""
    seconds = duration_seconds(text)
    if seconds is None:
        return text
    return ((now or datetime.now(UTC)) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Strategy:
    """The strategy options as given (None: not given)."""

    twap: str | None = None
    jitter: str | None = None
    max_retries: int | None = None
    every: str | None = None
    runs: int | None = None
    until: str | None = None
    min_price: str | None = None
    max_price: str | None = None
    snipe: bool = False
    min_liquidity: str | None = None

    @property
    def kind(self) -> str | None:
        if self.snipe:
            return "sniper"
        return "twap" if self.twap is not None else "recurring" if self.every is not None else None

    def fields(self, amount: str, limit: str | None, single_order_options: dict[str, object]) -> dict[str, Any]:
        """The request's strategy fields; {} for an ordinary order. ``single_order_options`` are
        submit's options that mean nothing to a strategy, by name ({"--deadline": "30s"}, ...)."""
        self._check(limit, single_order_options)
        if self.kind == "sniper":
            fields = {"type": "sniper", "maxPrice": self.max_price}
            if self.min_liquidity is not None:
                fields["minLiquidity"] = self.min_liquidity
            expires = single_order_options.get("--expires")
            if expires is not None:
                seconds = duration_seconds(str(expires))
                fields.update({"timeInForceSeconds": seconds} if seconds is not None else {"expiresAt": expires})
            return fields
        if self.kind == "twap":
            assert self.twap is not None
            fields: dict[str, Any] = {"type": "twap", **twap_schedule(self.twap)}
            if limit is not None:
                fields["limitPrice"] = limit  # each slice's: a slice that cannot meet it is skipped and retried
            if self.jitter is not None:
                fields["jitterSeconds"] = _seconds("--jitter", self.jitter)
            if self.max_retries is not None:
                fields["maxRetries"] = self.max_retries
            return fields
        if self.kind == "recurring":
            assert self.every is not None
            fields = {"type": "recurring", "amountPerRun": amount, "intervalSeconds": _seconds("--every", self.every)}
            fields.update({"runs": self.runs} if self.runs is not None else {"endsAt": ends_at(self.until or "")})
            fields.update({name: value for name, value in (("minPrice", self.min_price), ("maxPrice", self.max_price)) if value is not None})
            return fields
        return {}

    def _check(self, limit: str | None, single_order_options: dict[str, object]) -> None:
        def refuse(message: str) -> None:
            raise CliError(message, EXIT_USAGE)

        twap_only = {"--jitter": self.jitter, "--max-retries": self.max_retries}
        every_only = {"--runs": self.runs, "--until": self.until, "--min-price": self.min_price}
        if self.min_liquidity is not None and not self.snipe:
            refuse("--min-liquidity is for a sniper: add --snipe --max-price PRICE")
        if self.snipe:
            if self.twap is not None or self.every is not None:
                refuse("--snipe is a strategy of its own (one buy when the token's pool appears); it takes no --twap or --every")
            if self.max_price is None:
                refuse("a sniper needs --max-price: the most TOKEN_IN it pays per TOKEN_OUT")
            if limit is not None:
                refuse("--limit is for limit orders and TWAP slices; a sniper pays at most --max-price TOKEN_IN per TOKEN_OUT")
            for option, value in {**twap_only, **every_only, **single_order_options}.items():
                if value is not None and option != "--expires":
                    refuse(f"{option} is not for a sniper (it takes --max-price, --min-liquidity and --expires)")
            return
        if self.max_price is not None and self.every is None:
            refuse("--max-price is for a recurring order (--every) or a sniper (--snipe)")
        if self.twap is not None and self.every is not None:
            refuse("--twap and --every are two strategies: a TWAP slices one amount over time, --every repeats an amount; pick one")
        for option, value in every_only.items():
            if value is not None and self.every is None:
                refuse(f"{option} is for a recurring order: add --every INTERVAL (e.g. --every 1h --runs 24)")
        for option, value in twap_only.items():
            if value is not None and self.twap is None:
                refuse(f"{option} is for a TWAP: add --twap {TWAP_GRAMMAR}")
        if self.kind is None:
            return
        for option, value in single_order_options.items():
            if value is not None:
                refuse(f"{option} is for a single order, not a {self.kind} (its children are market orders on its schedule)")
        if self.kind == "recurring":
            if limit is not None:
                refuse("--limit is a TWAP slice's limit; a recurring order skips a run outside --min-price/--max-price")
            if (self.runs is None) == (self.until is None):
                refuse("a recurring order needs how many runs: --runs N or --until WHEN (one of them)")
