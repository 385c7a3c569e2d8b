"""The launched tokens' pools as they are now, read from the chain (solroute.ports.Launches).

Which pools a token has comes from the launches' registry (solroute.models.launches: read at
most once a second); each pool's depth is its quote vault's balance on the chain (one
getTokenAccountBalance a pool), so it counts what buyers paid in and sellers took out, beside
the liquidity an operator added. The market model prices a pool from its recorded liquidity
(solroute.dex.market): the two agree until the pool trades.
"""

from __future__ import annotations

from decimal import Decimal

from solroute.dal.solana.rpc import SolanaRpc
from solroute.models.launches import LAUNCHES
from solroute.ports import LaunchedPool


class ChainLaunches:
    def __init__(self, rpc: SolanaRpc) -> None:
        self.rpc = rpc

    def pools(self, symbol: str) -> list[LaunchedPool]:
        launch = LAUNCHES.get(symbol.strip().upper())
        if launch is None:
            return []
        return [LaunchedPool(pool.dex, launch.symbol, launch.quote, self._balance(pool.vault, pool.liquidity)) for pool in launch.pools]

    def _balance(self, vault: str, recorded: Decimal) -> Decimal:
        if not vault:  # a pool recorded without a vault (no chain): its recorded liquidity
            return recorded
        value = self.rpc.call("getTokenAccountBalance", vault, {"commitment": "confirmed"})["value"]
        return Decimal(value["amount"]).scaleb(-int(value["decimals"]))
