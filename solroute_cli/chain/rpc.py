"""Solana JSON-RPC calls for the chain commands, with their failures as CliError: nothing
listening, something that is not a Solana RPC, or an RPC error (with Solana's code and message)."""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp

from solroute_cli.api import program
from solroute_cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, CliError

DEFAULT_RPC = "http://127.0.0.1:8899"  # the local cloud's validator (and solana-test-validator's port)
RPC_URL_ENV = "SOLROUTE_RPC_URL"
_ids = itertools.count(1)


class Rpc:
    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> Rpc:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def call(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": list(params)}
        try:
            async with self.session.post(self.url, json=body) as response:
                answer = await response.json(content_type=None)
        except aiohttp.ClientConnectionError as error:
            raise CliError(
                f"no Solana RPC answers at {self.url}: start the local cloud with `make run` (or `{program()} up`; its validator "
                f"listens on 8899), or pass --url (or set {RPC_URL_ENV})",
                EXIT_UNREACHABLE,
            ) from error
        except (ValueError, aiohttp.ClientResponseError) as error:
            raise CliError(f"{self.url} is not a Solana JSON-RPC endpoint (it did not answer JSON-RPC)", EXIT_FAILED) from error
        if not isinstance(answer, dict) or ("result" not in answer and "error" not in answer):
            raise CliError(f"{self.url} is not a Solana JSON-RPC endpoint (it answered {str(answer)[:200]})", EXIT_FAILED)
        if "error" in answer:
            error = answer["error"] or {}
            code, message = error.get("code"), error.get("message")
            raise CliError(f"{method} failed at {self.url}: {message} ({code})", EXIT_FAILED, error_code=f"RPC_{code}", details=error.get("data"))
        return answer["result"]
