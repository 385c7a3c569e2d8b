"""A small synchronous Solana JSON-RPC client (the engine's functions are synchronous).

One keep-alive connection per thread; a connection error or a timeout raises ``RpcError`` (a
transient error: the call may be retried), an error answer raises ``RpcFailure`` (an RpcError
too: a node that is behind or busy answers one) with Solana's code, message and data.

Messages name the node by scheme, host and port only: a paid provider's URL carries its API key
in the path or the query, and these messages reach traders (a 503, an order's failure reason).
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from solroute.models.errors import RpcError


class RpcFailure(RpcError):
    """The node answered with a JSON-RPC error (e.g. -32002: the preflight simulation failed;
    -32005: the node is behind). ``rpc_code`` is Solana's; ``code`` stays the API's RPC_ERROR."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"Solana RPC error {code}: {message}")
        self.rpc_code = code
        self.rpc_message = message
        self.data = data


class SolanaRpc:
    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"a Solana RPC URL must be http(s)://host[:port], got '{url}'")
        self.url = url
        self.name = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")  # no path, query or credentials
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path or "/"
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._ids = itertools.count(1)

    def call(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)})
        answer = self._post(body, method)
        if "error" in answer:
            error = answer["error"]
            raise RpcFailure(error.get("code", 0), error.get("message", ""), error.get("data"))
        return answer.get("result")

    def _post(self, body: str, method: str) -> dict:
        for attempt in (1, 2):  # a kept-alive connection the server closed: once more on a new one
            connection = self._connection()
            try:
                connection.request("POST", self._path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self._drop()
                if attempt == 2:
                    raise RpcError(f"Solana RPC {method}: the connection to {self.name} was lost ({error})") from None
                continue
            except TimeoutError:
                self._drop()
                raise RpcError(f"Solana RPC {method}: no answer from {self.name} within {self.timeout_s:g} s") from None
            except OSError as error:
                self._drop()
                raise RpcError(f"Solana RPC {method}: cannot reach {self.name} ({error})") from None
            if response.status != 200:
                raise RpcError(f"Solana RPC {method}: {self.name} answered HTTP {response.status}")
            try:
                return json.loads(payload)
            except ValueError:
                raise RpcError(f"Solana RPC {method}: {self.name} answered something that is not JSON") from None
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = self._local.connection = kind(self._host, self._port, timeout=self.timeout_s)
        return connection

    def reopen(self) -> None:
        """Forget every thread's connection: the next call opens a new one (after a snapshot is
        restored, the connections it holds are dead, or shared by every forked instance)."""
        self._drop()
        self._local = threading.local()

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # ------------------------------------------------------------ the methods the engine uses
    def latest_blockhash(self, commitment: str = "confirmed") -> tuple[str, int]:
        value = self.call("getLatestBlockhash", {"commitment": commitment})["value"]
        return value["blockhash"], value["lastValidBlockHeight"]

    def block_height(self, commitment: str = "confirmed") -> int:
        return self.call("getBlockHeight", {"commitment": commitment})

    def send_transaction(self, raw_base64: str, skip_preflight: bool = True) -> str:
        return self.call("sendTransaction", raw_base64, {"encoding": "base64", "skipPreflight": skip_preflight, "maxRetries": 0})

    def signature_status(self, signature: str) -> dict | None:
        return self.call("getSignatureStatuses", [signature], {"searchTransactionHistory": True})["value"][0]

    def transaction(self, signature: str) -> dict | None:
        return self.call("getTransaction", signature, {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0})

    def token_accounts(self, owner: str) -> dict[str, int]:
        """The owner's SPL token balances in base units, by mint (accounts that exist only)."""
        from solroute.dex.solana.programs import TOKEN_PROGRAM

        value = self.call("getTokenAccountsByOwner", owner, {"programId": str(TOKEN_PROGRAM)}, {"encoding": "jsonParsed", "commitment": "confirmed"})["value"]
        balances: dict[str, int] = {}
        for account in value:
            info = account["account"]["data"]["parsed"]["info"]
            balances[info["mint"]] = balances.get(info["mint"], 0) + int(info["tokenAmount"]["amount"])
        return balances
