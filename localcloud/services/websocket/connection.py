"""A WebSocket API connection, as the API and the transport share it: the client's socket, what its
handshake passed on, and its clocks."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from dataclasses import dataclass, field
from typing import Protocol

from localcloud.services.websocket.constants import NORMAL_CLOSE


class ClientSocket(Protocol):
    """What the API needs of a client's socket (aiohttp's WebSocketResponse is one)."""

    @property
    def closed(self) -> bool: ...

    async def send_str(self, data: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def close(self, *, code: int = NORMAL_CLOSE, message: bytes = b"") -> bool: ...


@dataclass(frozen=True)
class Handshake:
    """What API Gateway passes on from a client's upgrade request."""

    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    source_ip: str
    user_agent: str
    host: str


@dataclass(frozen=True)
class Refusal:
    """$connect said no: the handshake's HTTP answer."""

    status: int
    body: str


@dataclass
class Connection:
    connection_id: str
    handshake: Handshake
    socket: ClientSocket | None = None  # set once the handshake is accepted
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = field(default_factory=time.time)
    close_code: int | None = None  # the code the API closed it with, when it did
    authorizer: dict | None = None  # what the $connect authorizer allowed it with: every event carries it
    idle_timer: asyncio.TimerHandle | None = None
    lifetime_timer: asyncio.TimerHandle | None = None


def new_connection_id() -> str:
    return base64.b64encode(os.urandom(10)).decode()[:15] + "="
