"""The local cloud's market admin: launch a token, add liquidity to its pool, at run time.

`POST /_localcloud/market/launch` {"symbol", "liquidity", "venue"?, "quote"?, "price"?, "decimals"?}
and `POST /_localcloud/market/add-liquidity` {"symbol", "liquidity", "venue"?} run in the local
cloud's own process, which holds what a launch needs: the stack's keys table (moto), its KMS key
(to open the chain's root: the mint authority and the pools' keys derive from it) and the
validator. The engine's code does the work (solroute.dal.solana.launch); every function sees the
new token within about a second (solroute.models.launches). `solroute market launch` calls it.
Launches exist on the RPC chain only: on the ledger chain (`--param SolanaRpcUrl=`) the answer
is a 400 that says so.
"""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from localcloud import chain as local_chain

if TYPE_CHECKING:
    from solroute.dal.solana.launch import Launcher
    from solroute.models.launches import Launch

    from localcloud.cloud import LocalCloud

NOT_ON_CHAIN = (
    "launches are a local-chain feature: this local cloud runs the simulated ledger chain "
    "(started with --param SolanaRpcUrl=); start it on its Solana validator (the default) to launch tokens"
)


class BadRequest(ValueError):
    pass


class LocalMarket:
    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._launcher: Launcher | None = None

    def add_routes(self, app: web.Application) -> None:
        async def launch(request: web.Request) -> web.Response:
            return await self._answer(request, self._launch)

        async def add_liquidity(request: web.Request) -> web.Response:
            return await self._answer(request, self._add_liquidity)

        app.router.add_post("/_localcloud/market/launch", launch)
        app.router.add_post("/_localcloud/market/add-liquidity", add_liquidity)

    async def _answer(self, request: web.Request, action: Any) -> web.Response:
        from solroute.models.launches import LaunchRefused

        try:
            body = json.loads(await request.read() or b"{}", parse_float=Decimal)
            if not isinstance(body, dict):
                raise BadRequest("the body must be a JSON object")
            launch = await asyncio.get_running_loop().run_in_executor(self.cloud._pool, action, body)
        except (BadRequest, json.JSONDecodeError) as error:
            return _error(400, "INVALID_REQUEST", str(error))
        except LaunchRefused as error:
            return _error(409, "ALREADY_LAUNCHED", str(error)) if error.conflict else _error(400, "INVALID_REQUEST", str(error))
        return web.json_response(launch_view(launch))

    def _launch(self, body: dict) -> Launch:
        from solroute.dal.solana.launch import DEFAULT_PRICE
        from solroute.models.launches import DEFAULT_DECIMALS

        terms = dict(
            symbol=_text(body, "symbol"), liquidity=_amount(body, "liquidity"), venue=_text(body, "venue", "raydium").lower(),
            quote=_text(body, "quote", "USDC").upper(), price=_amount(body, "price", DEFAULT_PRICE), decimals=_integer(body, "decimals", DEFAULT_DECIMALS),
        )  # fmt: skip
        launch = self.launcher().launch(**terms)
        pool = launch.pools[0]
        self.cloud.log(f"launched {launch.symbol} (mint {launch.mint}, {launch.decimals} decimals) at {launch.price} {launch.quote}: "
                       f"a {pool.dex} pool of {pool.liquidity} {launch.quote}")  # fmt: skip
        return launch

    def _add_liquidity(self, body: dict) -> Launch:
        symbol, liquidity, venue = _text(body, "symbol"), _amount(body, "liquidity"), body.get("venue")
        launch = self.launcher().add_liquidity(symbol, liquidity, venue=str(venue).lower() if venue else None)
        self.cloud.log(f"added {body['liquidity']} {launch.quote} to {launch.symbol}'s pool: " + ", ".join(f"{p.dex} {p.liquidity}" for p in launch.pools))
        return launch

    def launcher(self) -> Launcher:
        """Made once, on the first launch: opens the chain's root (one KMS Decrypt)."""
        if self._launcher is None:
            self._launcher = self._make()
        return self._launcher

    def _make(self) -> Launcher:
        from solroute.dal.dynamodb.launches import DynamoLaunchStore
        from solroute.dal.solana.launch import Launcher
        from solroute.dal.solana.rpc import SolanaRpc
        from solroute.dal.solana.secrets import SealedRootStore
        from solroute.dex.solana.keys import ChainKeys
        from solroute.models.launches import LaunchRefused

        cloud, deployed = self.cloud, self.cloud.deployed
        url = local_chain.rpc_url(cloud.template)
        if not url or deployed is None or local_chain.CHAIN_KEY not in deployed.kms_keys or local_chain.KEYS_TABLE not in deployed.tables:
            raise LaunchRefused(NOT_ON_CHAIN)
        table = cloud._resource("dynamodb").Table(deployed.tables[local_chain.KEYS_TABLE]["name"])
        root = SealedRootStore(table, cloud._client("kms"), deployed.kms_keys[local_chain.CHAIN_KEY]["id"]).load()
        return Launcher(DynamoLaunchStore(table), SolanaRpc(url), ChainKeys(root), now_ms=lambda: int(time.time() * 1000))


def launch_view(launch: Launch) -> dict:
    return {
        "symbol": launch.symbol, "mint": launch.mint, "decimals": launch.decimals, "quote": launch.quote, "price": str(launch.price),
        "launchedAtMs": launch.launched_at_ms,
        "pools": [{"dex": p.dex, "liquidity": str(p.liquidity), "vault": p.vault} for p in launch.pools],
    }  # fmt: skip


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _text(body: dict, field: str, default: str | None = None) -> str:
    value = body.get(field, default)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field} is required (a string)" if value is None else f"{field} must be a string, not {value!r}")
    return value.strip()


def _amount(body: dict, field: str, default: Decimal | None = None) -> Decimal:
    value = body.get(field, default)
    if value is None:
        raise BadRequest(f"{field} is required (a decimal number)")
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        return Decimal(str(value))
    except InvalidOperation:
        raise BadRequest(f"{field} must be a decimal number, not {value!r}") from None


def _integer(body: dict, field: str, default: int) -> int:
    value = body.get(field, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{field} must be a whole number, not {value!r}")
    return value
