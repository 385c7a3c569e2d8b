"""The wallet routes when the Solana RPC node fails: a trader gets a 503 that says the chain is
unavailable (never a 500), and never the node's URL (a paid RPC URL carries its API key)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from solroute import services
from solroute.dal.solana.chain import RpcChain
from solroute.dal.solana.rpc import SolanaRpc
from solroute.dal.solana.secrets import ChainNotBootstrapped
from solroute.dal.solana.wallets import ChainWallets
from solroute.dex.solana.keys import ChainKeys
from solroute.ports import Clock
from tests.integration.test_api_wallet import fund, get_wallet
from tests.support.api_calls import body

SECRET = "s3cr3t-provider-key"


class _NodeBehind(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32005, "message": "Node is behind by 42 slots"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def node_behind():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NodeBehind)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{SECRET}"
    server.shutdown()
    thread.join()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/?api-key={SECRET}"


def _use_node(monkeypatch, url: str, keys=lambda: ChainKeys(bytes(32))) -> None:
    chain = RpcChain(SolanaRpc(url, timeout_s=2), keys, {}, Clock())
    wallets = ChainWallets(chain, faucet=True, label="local")
    monkeypatch.setattr(services, "wallets", lambda: wallets)


def _assert_503_without_the_url(response) -> None:
    assert response["statusCode"] == 503, response
    assert SECRET not in response["body"], response["body"]


def test_a_node_that_cannot_be_reached_is_a_503_without_its_url(cloud, monkeypatch):
    _use_node(monkeypatch, _closed_port_url())
    api = cloud.fn("ApiFunction")
    _assert_503_without_the_url(get_wallet(api))
    _assert_503_without_the_url(fund(api, {"token": "SOL", "amount": "1"}))


def test_a_node_that_answers_an_rpc_error_is_a_503_not_a_500(cloud, monkeypatch, node_behind):
    _use_node(monkeypatch, node_behind)
    api = cloud.fn("ApiFunction")
    for response in (get_wallet(api), fund(api, {"token": "SOL", "amount": "1"})):
        _assert_503_without_the_url(response)
        assert "Node is behind" in body(response)["error"]["message"]


def test_a_chain_not_bootstrapped_is_a_503_that_says_so(cloud, monkeypatch):
    def not_bootstrapped():
        raise ChainNotBootstrapped("the Solana chain has no root secret in this stack's keys table: run `solroute chain bootstrap`")

    _use_node(monkeypatch, _closed_port_url(), keys=not_bootstrapped)
    response = get_wallet(cloud.fn("ApiFunction"))
    assert response["statusCode"] == 503, response
