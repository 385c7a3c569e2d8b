"""The execution queue's message: one model, written by the API, the trigger and the consumer,
read by the consumer, the settler and the dead-letter function."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OrderMessage(BaseModel):
    """Execute (or settle) ``orderId``. ``cycle``: which of the order's cycles the message belongs
    to (a limit order starts one each time it is triggered; a market order has one): a message of
    an earlier cycle is stale and must never touch a later one. Messages queued before cycles
    existed have none and belong to the order's current cycle."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    orderId: str = Field(min_length=1, max_length=64)
    notBeforeMs: int | None = None  # the rate limiter's start slot it waits for
    cycle: int | None = Field(None, ge=1)

    def body(self) -> str:
        return self.model_dump_json(exclude_none=True)
