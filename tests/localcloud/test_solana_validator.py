"""The local cloud runs a Solana validator: on its own port, named by the banner and the health
check, started before the functions so a template's SolanaRpcUrl can point at it."""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path

import pytest

from solders.keypair import Keypair

from localcloud.cloud import CloudConfig
from localcloud.logs import LogPrinter
from localcloud.services.solana.from_template import point_template_at
from tests.support.cloud_client import ROOT
from localcloud.template import Template
from tests.support.background import local_cloud, serving

HERE = Path(__file__).resolve().parent
SOLANA_TEMPLATE = HERE / "fixture_solana_template.yaml"  # declares SolanaRpcUrl and the swap delays
PLAIN_TEMPLATE = HERE / "fixture_template.yaml"  # declares neither


def rpc(url: str, method: str, params: list | None = None) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["result"]


@pytest.fixture
def aws_endpoint():
    """An AWS endpoint that answers (these templates create no table or queue on it)."""
    from aiohttp import web

    with serving(web.Application()) as url:
        yield url


def config(template: Path, endpoint: str, **parameters: str) -> CloudConfig:
    return CloudConfig(
        template=template, http_port=0, ws_port=0, lambda_port=0, solana_port=0, aws_endpoint=endpoint, parameters=parameters, prewarm=False
    )


def test_the_validator_answers_and_the_template_points_at_it(aws_endpoint):
    with local_cloud(config(SOLANA_TEMPLATE, aws_endpoint, SwapDelayMinMs="150", SwapDelayMaxMs="250"), LogPrinter(io.StringIO())) as cloud:
        assert rpc(cloud.solana_url, "getHealth") == "ok"
        assert cloud.functions["ChainFunction"].environment["SOLANA_RPC_URL"] == cloud.solana_url
        assert cloud.solana.confirm_ms == (150, 250)  # the seed's swap delay is the chain's confirmation time
        assert cloud.health()[1]["endpoints"]["solana"] == cloud.solana_url
        assert f"Solana RPC     {cloud.solana_url}" in cloud.banner()
        assert f"solroute chain tx SIGNATURE --url {cloud.solana_url})" in cloud.banner(), "a port of its own is named"


def test_a_solana_rpc_url_given_with_param_is_kept(aws_endpoint):
    with local_cloud(config(SOLANA_TEMPLATE, aws_endpoint, SolanaRpcUrl="https://api.devnet.solana.com"), LogPrinter(io.StringIO())) as cloud:
        assert cloud.functions["ChainFunction"].environment["SOLANA_RPC_URL"] == "https://api.devnet.solana.com"
        assert rpc(cloud.solana_url, "getHealth") == "ok"  # the local validator runs all the same


def test_a_template_without_the_parameter_is_left_alone():
    template = Template(PLAIN_TEMPLATE)
    before = dict(template.parameters)
    assert not point_template_at(template, {}, "http://127.0.0.1:8899")
    assert template.parameters == before


def test_the_real_template_gets_the_validator_and_its_faucet_unless_given_and_an_empty_url_keeps_the_ledger():
    real = ROOT / "template.yaml"
    template = Template(real)
    assert point_template_at(template, {}, "http://127.0.0.1:8899")
    assert (template.parameters["SolanaRpcUrl"], template.parameters["ChainFaucet"]) == ("http://127.0.0.1:8899", "true")
    assert template.conditions["OnSolana"], "the KMS key and the grants to open the root come with it"
    ledger = Template(real, {"SolanaRpcUrl": ""})
    assert not point_template_at(ledger, {"SolanaRpcUrl": ""}, "http://127.0.0.1:8899")
    assert ledger.parameters["SolanaRpcUrl"] == "" and not ledger.conditions["OnSolana"]
    no_faucet = Template(real, {"ChainFaucet": "false"})
    assert point_template_at(no_faucet, {"ChainFaucet": "false"}, "http://127.0.0.1:8899")
    assert no_faucet.parameters["ChainFaucet"] == "false"


def test_the_default_port_is_solana_test_validators():
    assert CloudConfig().solana_port == 8899
    from localcloud.cli import parser

    assert parser().parse_args(["up"]).solana_port == 8899
    assert parser().parse_args(["up", "--solana-port", "0"]).solana_port == 0


@pytest.mark.parametrize("quiet", [False, True])
def test_state_is_kept_while_the_cloud_runs_and_each_landing_is_logged_unless_quiet(aws_endpoint, quiet):
    log = io.StringIO()
    with local_cloud(config(PLAIN_TEMPLATE, aws_endpoint), LogPrinter(log, quiet=quiet)) as cloud:
        wallet = str(Keypair().pubkey())
        signature = rpc(cloud.solana_url, "requestAirdrop", [wallet, 10**9])
        assert rpc(cloud.solana_url, "getBalance", [wallet, {"commitment": "processed"}])["value"] == 10**9
        assert rpc(cloud.solana_url, "getSignatureStatuses", [[signature]])["value"][0]["err"] is None
    landed = [line for line in log.getvalue().splitlines() if f"landed {signature}" in line]
    assert (landed == []) == quiet
    assert f"started the Solana validator at {cloud.solana_url}" in log.getvalue()
