"""A stand-in for a WebSocket route's function that keeps every event it is invoked with and wakes
a test waiting for one; and run(), a scenario bounded to a minute."""

from __future__ import annotations

import asyncio
from typing import Callable

from localcloud.services.awslambda.runtime import Invocation

WAIT_S = 15  # an upper bound for an event that should come at once; never a delay


class RouteFunction:
    """Stands in for a route's function: keeps every event, and wakes a test waiting for one."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self._arrived = asyncio.Condition()

    async def invoke(self, event: dict, request_id: str | None = None) -> Invocation:
        async with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()
        return Invocation(request_id or "r", True, result={"statusCode": 200})

    def of(self, event_type: str) -> list[dict]:
        return [e for e in self.events if e["requestContext"]["eventType"] == event_type]

    async def first(self, wanted: Callable[[dict], bool]) -> dict:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: any(map(wanted, self.events))), WAIT_S)
        return next(e for e in self.events if wanted(e))

    async def disconnect(self) -> dict:
        return await self.first(lambda e: e["requestContext"]["eventType"] == "DISCONNECT")


def route_key(key: str) -> Callable[[dict], bool]:
    return lambda e: e["requestContext"]["routeKey"] == key and e["requestContext"]["eventType"] == "MESSAGE"


def run(scenario):
    return asyncio.run(asyncio.wait_for(scenario, 60))
