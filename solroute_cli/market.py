"""`solroute market launch` and `solroute market add-liquidity`: a token and its pool made at run
time, on the local cloud's chain (POST /_localcloud/market/...; localcloud/market.py). A deployed
stack has no such endpoint: launches are a local-chain feature, and the command says so."""

from __future__ import annotations

import json

import aiohttp

from solroute_cli.api import local_cloud_health, raise_for_error, request
from solroute_cli.commands import say
from solroute_cli.errors import EXIT_FAILED, EXIT_OK, CliError
from solroute_cli.views import stdout


async def _post(api: str, path: str, body: dict) -> dict:
    api = api.rstrip("/")
    async with aiohttp.ClientSession() as session:
        if await local_cloud_health(session, api) is None:
            raise CliError(
                f"{api} is not a local cloud (no {api}/_localcloud/health): launches are a local-chain feature, "
                "made by the local cloud (`make run`) on its own validator", EXIT_FAILED,
            )  # fmt: skip
        status, answer = await request(session, "POST", f"{api}/_localcloud/market/{path}", api, json=body)
    raise_for_error(status, answer, api)
    return answer


def _print(launch: dict, as_json: bool, head: str) -> int:
    if as_json:
        print(json.dumps(launch, indent=2))
        return EXIT_OK
    console = stdout()
    say(console, head)
    for pool in launch["pools"]:
        say(console, f"  {pool['dex']} pool {launch['symbol']}/{launch['quote']}: {pool['liquidity']} {launch['quote']} (vault {pool['vault']})")
    return EXIT_OK


async def launch(api: str, symbol: str, liquidity: str, venue: str, quote: str, price: str | None, decimals: int, as_json: bool) -> int:
    body: dict = {"symbol": symbol, "liquidity": liquidity, "venue": venue.lower(), "quote": quote.upper(), "decimals": decimals}
    if price is not None:
        body["price"] = price
    answer = await _post(api, "launch", body)
    head = (f"launched {answer['symbol']}: mint {answer['mint']} ({answer['decimals']} decimals), "
            f"at {answer['price']} {answer['quote']} per {answer['symbol']}")  # fmt: skip
    return _print(answer, as_json, head)


async def add_liquidity(api: str, symbol: str, liquidity: str, venue: str | None, as_json: bool) -> int:
    body: dict = {"symbol": symbol, "liquidity": liquidity}
    if venue:
        body["venue"] = venue.lower()
    answer = await _post(api, "add-liquidity", body)
    return _print(answer, as_json, f"added {liquidity} {answer['quote']} to {answer['symbol']}")
