"""Lambda's asynchronous invocation (InvocationType Event), as used by EventBridge and by
`Invoke` with InvocationType=Event: accepted at once, run in the background, and a function
error retried, by default twice, about 1 and then 2 minutes later."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from localcloud.services.awslambda.constants import DEFAULT_MAX_RETRIES, RETRY_DELAYS_S
from localcloud.services.awslambda.runtime import LocalFunction


class AsyncInvoker:
    def __init__(
        self, function: LocalFunction, max_retries: int = DEFAULT_MAX_RETRIES, retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S
    ) -> None:
        self.function = function
        self.max_retries = max_retries
        self.retry_delays_s = retry_delays_s
        self._tasks: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()

    def submit(self, event: Any) -> str:
        """Queue one event; returns its request id (the same for every retry, as on AWS)."""
        request_id = str(uuid.uuid4())
        task = asyncio.create_task(self._run(event, request_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return request_id

    async def _run(self, event: Any, request_id: str) -> None:
        for attempt in range(self.max_retries + 1):
            invocation = await self.function.invoke(event, request_id)
            if invocation.ok or attempt == self.max_retries:
                break
            delay = self.retry_delays_s[min(attempt, len(self.retry_delays_s) - 1)]
            self.function.log(request_id, f"asynchronous invocation failed; retry {attempt + 1}/{self.max_retries} in {delay:.0f} s")
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except asyncio.TimeoutError:
                continue
            self.function.log(request_id, "asynchronous invocation dropped: the local cloud is stopping")
            return
        if not invocation.ok:
            attempts = self.max_retries + 1
            self.function.log(request_id, f"asynchronous invocation failed after {attempts} attempt(s); event discarded")

    async def stop(self) -> None:
        """Let the invocations running now finish; drop retries that are only waiting."""
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
