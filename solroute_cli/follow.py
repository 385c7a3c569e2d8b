"""Follow one order until it is final, trusting no single push: the WebSocket brings each status as
it happens, and three rules cover what it can lose (docs/clients.md has the why and the costs).

- Quiet: when nothing has arrived for a while and the order is not final, read it over HTTP
  (GET /api/orders/{id}). The wait starts at QUIET_FIRST_S and doubles up to QUIET_MAX_S while
  the reads show nothing new; anything new starts it again. An order with an expiry is also
  read just after it (its final status is due then), and once more before the follow gives up.
- Repair and keep alive: a read that shows a status the stream never brought means a push was
  lost, and the engine forgets a connection whose push failed: subscribe again. So does a client
  that has sent nothing for KEEPALIVE_S, since API Gateway closes a connection idle for 10 minutes
  and counts only messages, not WebSocket pings. Each subscribe answers a snapshot.
- Reconnect: a closed socket is opened again, after RECONNECT_FIRST_S doubling up to
  RECONNECT_MAX_S, and subscribed; its snapshot fills the gap.

Every status reaches the view once, in seq order (watch.InOrder), whichever way it came."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import aiohttp

from solroute_cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, CliError
from solroute.models.status import FINAL_STATUS_NAMES as FINAL
from solroute_cli.watch import InOrder, updates_from

QUIET_FIRST_S = 5.0
QUIET_MAX_S = 60.0
EXPIRY_READ_AFTER_S = 3.0  # the trigger expires an order at its first tick past its expiry
KEEPALIVE_S = 300.0
# After a strategy's last slot is due: its jitter's room, the trigger's tick, and the last child's routing.
STRATEGY_MARGIN_S = 120.0
RECONNECT_FIRST_S = 0.5
RECONNECT_MAX_S = 30.0
# Answers that no retry can change: the handshake's, and a read's (the order is not the key's, or the key is refused).
FATAL_HANDSHAKE = (400, 401, 403, 404)
FATAL_READ = (400, 401, 403, 404)
# Error frames a later subscribe or read may not meet again (the store was busy, the order had its
# 10 subscribers): the reads carry on meanwhile. Any other error frame ends the follow.
PASSING_ERRORS = frozenset({"STORE_BUSY", "TOO_MANY_SUBSCRIBERS", "SERVICE_UNAVAILABLE"})

ReadOrder = Callable[[], Awaitable[dict]]


class OrderFollower:
    """One order followed over one WebSocket at a time, with reads as the fallback."""

    def __init__(
        self, session: aiohttp.ClientSession, ws_url: str, order_id: str, show: Callable[[dict], None],
        read: ReadOrder, headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.session, self.ws_url, self.order_id, self.show, self.read = session, ws_url, order_id, show, read
        self.headers = headers  # the handshake's: the API key, which $connect's authorizer reads
        self.in_order = InOrder()
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self.last_heard = self.last_sent = time.monotonic()
        self.quiet_s = QUIET_FIRST_S
        self.expiry_read_at: float | None = None  # when to read the order once its expiry has passed (monotonic)
        self.connects = 0  # sockets opened so far
        self._done: asyncio.Future[dict] | None = None
        self._give_up: asyncio.Timeout | None = None
        self._opened = asyncio.Event()
        self._replan = asyncio.Event()  # a read was planned (after an expiry): the supervisor recomputes its wait

    async def run(self, timeout_s: float) -> dict:
        """The final status (its update); TimeoutError when it is not final in ``timeout_s``, or
        after a strategy's whole schedule when that ends later."""
        self._done = asyncio.get_running_loop().create_future()
        stream = asyncio.create_task(self._guard(self._stream()))
        try:
            async with asyncio.timeout(timeout_s) as self._give_up:
                return await self._supervise()
        except TimeoutError:
            await asyncio.wait_for(self._read(), 10)  # one last look before saying it is not final
            if self._done.done() and not self._done.cancelled():
                return self._done.result()
            raise
        finally:
            stream.cancel()
            await asyncio.gather(stream, return_exceptions=True)
            if not self._done.done():
                self._done.cancel()

    # ------------------------------------------------------------ the rules on time
    async def _supervise(self) -> dict:
        assert self._done is not None
        while not self._done.done():
            now = time.monotonic()
            read_at = self.last_heard + self.quiet_s
            if self.expiry_read_at is not None:
                read_at = min(read_at, self.expiry_read_at)
            # No socket, no keepalive: a new one subscribes as it opens (and the reads go on meanwhile).
            keepalive_at = self.last_sent + KEEPALIVE_S if self.socket is not None else float("inf")
            opened = asyncio.ensure_future(self._opened.wait())  # a new socket's keepalive counts from then
            replan = asyncio.ensure_future(self._replan.wait())
            await asyncio.wait({self._done, opened, replan}, timeout=max(0.0, min(read_at, keepalive_at) - now), return_when=asyncio.FIRST_COMPLETED)
            opened.cancel()
            replan.cancel()
            self._opened.clear()
            self._replan.clear()
            if self._done.done():
                break
            now = time.monotonic()
            if now >= read_at:
                await self._read()
            if self.socket is not None and time.monotonic() >= self.last_sent + KEEPALIVE_S:
                await self._subscribe()
        return self._done.result()

    async def _read(self) -> None:
        """Read the order over HTTP: what the stream lost is in its history."""
        self.last_heard = time.monotonic()  # the next read waits a whole quiet period again
        if self.expiry_read_at is not None and self.last_heard >= self.expiry_read_at:
            self.expiry_read_at = None  # this is the read after the expiry
        try:
            order = await self.read()
        except CliError as error:
            if error.status in FATAL_READ:
                self._fail(error)
            self.quiet_s = min(QUIET_MAX_S, self.quiet_s * 2)  # the API is busy or away: ask again later
            return
        if not isinstance(order, dict):  # not the JSON an order is: as if the API were away
            self.quiet_s = min(QUIET_MAX_S, self.quiet_s * 2)
            return
        self._note_expiry(order)
        self._note_schedule(order)
        if self._deliver(updates_from({"type": "snapshot", "order": order, "history": order.get("history") or []})):
            if self.socket is not None:
                await self._subscribe()  # the stream missed it, so the engine dropped this connection: back on
        else:
            self.quiet_s = min(QUIET_MAX_S, self.quiet_s * 2)

    # ------------------------------------------------------------ the socket
    async def _stream(self) -> None:
        """Keep a socket open and subscribed until the follow ends."""
        retries = 0
        while True:
            try:
                async with self.session.ws_connect(self.ws_url, headers=self.headers, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as socket:
                    self.connects += 1
                    self.socket, retries = socket, 0
                    await self._subscribe()
                    self._opened.set()
                    await self._receive(socket)
            except aiohttp.WSServerHandshakeError as error:
                if error.status in FATAL_HANDSHAKE:
                    refused = " (the API key was refused)" if error.status in (401, 403) else ""
                    raise CliError(f"the WebSocket refused the connection: HTTP {error.status}{refused}", EXIT_FAILED,
                                   error_code="WEBSOCKET_REFUSED", status=error.status) from error  # fmt: skip
            except aiohttp.ClientConnectionError as error:
                if not self.connects:  # never opened: most likely the wrong URL
                    raise CliError(f"could not open the WebSocket at {self.ws_url}: {error}", EXIT_UNREACHABLE) from error
            finally:
                self.socket = None
            await asyncio.sleep(min(RECONNECT_MAX_S, RECONNECT_FIRST_S * 2**retries))
            retries += 1

    async def _subscribe(self) -> None:
        socket = self.socket
        if socket is None or socket.closed:
            return
        self.last_sent = time.monotonic()
        try:
            await socket.send_str(json.dumps({"action": "subscribe", "orderId": self.order_id}))
        except (ConnectionError, RuntimeError):
            pass  # closing: the stream reconnects and subscribes

    async def _receive(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Each message until the socket closes (by either side, or the network)."""
        async for message in socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                return
            self.last_heard = time.monotonic()
            try:
                payload = json.loads(message.data)
            except ValueError:
                continue
            if payload.get("type") == "error" and (payload.get("error") or {}).get("code") in PASSING_ERRORS:
                continue
            if isinstance(payload.get("order"), dict):  # a snapshot: the whole order
                self._note_expiry(payload["order"])
                self._note_schedule(payload["order"])
            if self._deliver(updates_from(payload)):
                self.quiet_s = QUIET_FIRST_S

    def _note_expiry(self, order: dict) -> None:
        """Plan a read just after the order's expiry (once): its final status is due then."""
        expires_at_ms = order.get("expiresAtMs")
        if not isinstance(expires_at_ms, int) or self.expiry_read_at is not None or order.get("status") in FINAL:
            return
        after_s = expires_at_ms / 1000 - time.time() + EXPIRY_READ_AFTER_S
        if after_s > 0:
            self.expiry_read_at = time.monotonic() + after_s
            self._replan.set()

    def _note_schedule(self, order: dict) -> None:
        """Wait for a strategy at least until its last possible slot (every slice, and every retry
        it may take) is due, plus a margin: it is not late before then."""
        strategy = order.get("strategy")
        if not isinstance(strategy, dict) or self._give_up is None or order.get("status") in FINAL:
            return
        slots = int(strategy.get("slices") or 0) + int(strategy.get("maxRetries") or 0)
        last_due_ms = int(strategy.get("startMs") or 0) + (slots * int(strategy.get("intervalSeconds") or 0) + int(strategy.get("jitterSeconds") or 0)) * 1000
        last_due_ms = max(last_due_ms, order.get("expiresAtMs") or 0)  # the engine's own bound (a sniper's: its expiry)
        ends_in_s = last_due_ms / 1000 - time.time() + STRATEGY_MARGIN_S
        loop_deadline = asyncio.get_running_loop().time() + ends_in_s
        if (self._give_up.when() or 0) < loop_deadline:
            self._give_up.reschedule(loop_deadline)

    # ------------------------------------------------------------ the view
    def _deliver(self, updates: list[dict]) -> bool:
        """Show what is new, in order; True when something was."""
        assert self._done is not None
        shown = self.in_order.add(updates)
        for update in shown:
            if self._done.done():
                break
            self.show(update)
            if update["status"] in FINAL:
                self._done.set_result(update)
        return bool(shown)

    def _fail(self, error: BaseException) -> None:
        assert self._done is not None
        if not self._done.done():
            self._done.set_exception(error)

    async def _guard(self, work: Awaitable[None]) -> None:
        try:
            await work
        except CliError as error:
            self._fail(error)


async def follow(
    session: aiohttp.ClientSession, ws_url: str, order_id: str, timeout_s: float, show: Callable[[dict], None],
    read: ReadOrder, headers: dict[str, str] | None = None, where_hint: str = "",
) -> dict:  # fmt: skip
    """Pass each status of ``order_id`` to ``show`` once, in seq order, until one is final; returns
    that one. ``where_hint`` (the `solroute get` to run) ends the timeout's message."""
    try:
        return await OrderFollower(session, ws_url, order_id, show, read, headers).run(timeout_s)
    except TimeoutError as error:
        raise CliError(f"order {order_id} was not final after {timeout_s:.0f} s; `{where_hint}` shows where it is", EXIT_FAILED,
                       error_code="NOT_FINAL") from error  # fmt: skip
