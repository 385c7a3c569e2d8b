"""The stack's launched tokens and their pools: one item of the API keys table, ``chain#launches``.

One item for every launch, beside the chain's root (``chain#root``): a process reads them all
with one GetItem (no Scan of a table of keys, no index), and each function's grant is one
item (LeadingKeys). A key's item is keyed by a 64-hex-digit hash, so the names cannot meet.
Item: ``launches`` = {SYMBOL: {mint, decimals, quote, price, launchedAtMs, pools: {dex:
{liquidity, vault}}}}, amounts as decimal strings. DynamoDB's 400 KB item bounds it to a few
thousand launches: plenty for a local chain's demonstrations.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from solroute.dal.dynamodb.table import Table, conditional_failed
from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.errors import TransientError
from solroute.models.launches import Launch, LaunchPool

LAUNCHES_ITEM = "chain#launches"
logger = logging.getLogger(__name__)


class DynamoLaunchStore:
    def __init__(self, table: Any, faults: FaultPlan = NO_FAULTS) -> None:
        self.table = Table(table, faults)

    def load(self) -> dict[str, Launch] | None:
        """Every launch; None when the table cannot be read now (the registry keeps what it knew)."""
        try:
            item = self.table.get_item(Key={"keyHash": LAUNCHES_ITEM}).get("Item") or {}
        except (ClientError, BotoCoreError, TransientError) as error:
            logger.warning("could not read the launched tokens (%s): keeping the ones read before", error)
            return None
        return {symbol: _launch(symbol, entry) for symbol, entry in (item.get("launches") or {}).items()}

    def add(self, launch: Launch) -> bool:
        """Record a new launch; False (nothing written) when its symbol is launched already."""
        self.table.update_item(
            Key={"keyHash": LAUNCHES_ITEM}, UpdateExpression="SET launches = if_not_exists(launches, :none)", ExpressionAttributeValues={":none": {}}
        )
        try:
            self.table.update_item(
                Key={"keyHash": LAUNCHES_ITEM},
                UpdateExpression="SET launches.#s = :launch",
                ConditionExpression="attribute_not_exists(launches.#s)",
                ExpressionAttributeNames={"#s": launch.symbol},
                ExpressionAttributeValues={":launch": _entry(launch)},
            )
            return True
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise

    def set_pool(self, symbol: str, pool: LaunchPool, before: LaunchPool | None) -> bool:
        """Write one pool of a launch, if it still is as ``before`` (None: absent); False when it changed."""
        condition = "attribute_not_exists(launches.#s.pools.#d)" if before is None else "launches.#s.pools.#d.liquidity = :before"
        values: dict[str, Any] = {":pool": _pool_entry(pool)}
        if before is not None:
            values[":before"] = str(before.liquidity)
        try:
            self.table.update_item(
                Key={"keyHash": LAUNCHES_ITEM},
                UpdateExpression="SET launches.#s.pools.#d = :pool",
                ConditionExpression=f"attribute_exists(launches.#s) AND {condition}",
                ExpressionAttributeNames={"#s": symbol, "#d": pool.dex},
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise


def _pool_entry(pool: LaunchPool) -> dict:
    return {"liquidity": str(pool.liquidity), "vault": pool.vault}


def _entry(launch: Launch) -> dict:
    return {
        "mint": launch.mint, "decimals": launch.decimals, "quote": launch.quote, "price": str(launch.price),
        "launchedAtMs": launch.launched_at_ms, "pools": {p.dex: _pool_entry(p) for p in launch.pools},
    }  # fmt: skip


def _launch(symbol: str, entry: dict) -> Launch:
    pools = tuple(
        LaunchPool(dex, Decimal(str(p["liquidity"])), str(p.get("vault", ""))) for dex, p in sorted((entry.get("pools") or {}).items())
    )
    return Launch(
        symbol=symbol, mint=str(entry["mint"]), decimals=int(entry["decimals"]), quote=str(entry["quote"]),
        price=Decimal(str(entry["price"])), launched_at_ms=int(entry["launchedAtMs"]), pools=pools,
    )  # fmt: skip
