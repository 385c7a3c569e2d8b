"""A Solana RPC URL is a secret when a provider's API key is in its path or query: the engine's
messages (which reach traders as a 503 or an order's failure reason) and the wallet's chain label
name the node by scheme, host and port only."""

import pytest

from solroute import services
from solroute.dal.solana.rpc import SolanaRpc
from tests.lambdas import reset_caches


@pytest.mark.parametrize(
    "url, name",
    [
        ("https://mainnet.helius-rpc.com/?api-key=SECRET", "https://mainnet.helius-rpc.com"),
        ("https://user:SECRET@solana.example.com:8443/v2/SECRET", "https://solana.example.com:8443"),
        ("http://127.0.0.1:8899", "http://127.0.0.1:8899"),
    ],
)
def test_the_node_is_named_without_its_path_query_or_credentials(url, name):
    assert SolanaRpc(url).name == name


def test_the_wallets_chain_label_is_the_nodes_name(monkeypatch):
    monkeypatch.setenv("SOLANA_RPC_URL", "https://mainnet.helius-rpc.com/?api-key=SECRET")
    monkeypatch.setenv("API_KEYS_TABLE", "keys")
    monkeypatch.setenv("CHAIN_KMS_KEY", "alias/chain")
    reset_caches()
    try:
        assert services.wallets().chain == "https://mainnet.helius-rpc.com"
    finally:
        monkeypatch.undo()
        reset_caches()
