"""An API key's wallet as the API shows it: its address and balances read from the chain, and
funding it from the local chain's faucet. On the simulated ledger chain there is no wallet."""

from __future__ import annotations

from solroute.models.errors import NoWallets
from solroute.models.launches import LAUNCHES, tokens_with_launches
from solroute.models.wallet import Funded, FundRequest, TokenBalance, WalletAnswer
from solroute.ports import Wallets

NO_WALLETS = (
    "this stack runs the simulated ledger chain, which keeps no wallets: orders settle on the ledger, "
    "and there is nothing to show or fund. A stack on a Solana chain (the local validator, or a cluster's RPC URL) "
    "gives each API key a wallet"
)


class WalletDesk:
    """What GET /api/wallet and POST /api/wallet/fund do, over the Wallets port (None: the ledger chain)."""

    def __init__(self, wallets: Wallets | None) -> None:
        self.wallets = wallets

    def on_chain(self) -> Wallets:
        """The wallets; NoWallets on the ledger chain (checked before a request is read: nothing there could succeed)."""
        if self.wallets is None:
            raise NoWallets(NO_WALLETS, {"chain": "ledger"})
        return self.wallets

    def show(self, key_id: str) -> WalletAnswer:
        wallets = self.on_chain()
        return WalletAnswer(address=wallets.address(key_id), chain=wallets.chain, balances=self._balances(wallets, key_id))

    def fund(self, key_id: str, request: FundRequest) -> Funded:
        wallets = self.on_chain()
        signature = wallets.fund(key_id, request.token, request.amount)
        return Funded(signature=signature, token=request.token, amount=request.amount, balances=self._balances(wallets, key_id))

    @staticmethod
    def _balances(wallets: Wallets, key_id: str) -> list[TokenBalance]:
        """Every static token, in the catalogue's order, then every launched one (zero when the
        wallet holds none). Shows the stack's launches as of a second ago: not an order's path,
        so it may read them (solroute.models.launches)."""
        LAUNCHES.refresh()
        held, mints = wallets.balances(key_id), wallets.mints()
        return [
            TokenBalance(token=symbol, mint=mints.get(symbol, token.mint), amount=held.get(symbol, 0), decimals=token.decimals)
            for symbol, token in tokens_with_launches().items()
        ]
