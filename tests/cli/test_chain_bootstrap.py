"""`solroute chain bootstrap` against a cluster: the local validator over HTTP, with moto's
DynamoDB and KMS as the stack's keys table and ChainKey. The stack lookup (CloudFormation) is
the one part not exercised here: `stack_chain` only reads two outputs."""

from __future__ import annotations

import json
from decimal import Decimal

import boto3
import pytest
from moto import mock_aws
from solders.keypair import Keypair

from solroute.dal.solana.rpc import SolanaRpc
from solroute.dal.solana.secrets import ROOT_ITEM, SealedRootStore
from solroute.dex.solana.keys import ChainKeys
from solroute.dex.solana.programs import associated_token_address
from solroute.models.tokens import KNOWN_TOKENS
from solroute_cli.chain.bootstrap import load_keypair, run_bootstrap
from solroute_cli.errors import CliError
from tests.support.background import serving
from tests.support.solana_validator import new_chain
from localcloud.services.solana.transport import app


@pytest.fixture
def cluster():
    chain = new_chain(confirm_ms=(0, 0))  # confirmed at once: the test's clock does not move
    with serving(app(chain.validator)) as url:
        chain.url = url
        yield chain


@pytest.fixture
def stack():
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(TableName="keys", KeySchema=[{"AttributeName": "keyHash", "KeyType": "HASH"}],
                                      AttributeDefinitions=[{"AttributeName": "keyHash", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")  # fmt: skip
        kms = boto3.client("kms", region_name="us-east-1")
        yield table, kms, kms.create_key()["KeyMetadata"]["KeyId"]


def test_bootstrap_seals_the_root_creates_mints_and_funded_vaults_and_prints_the_overrides(cluster, stack, tmp_path):
    table, kms, key_id = stack
    payer = Keypair()
    cluster.call("requestAirdrop", str(payer.pubkey()), 2_000 * 10**9)
    keypair_file = tmp_path / "payer.json"
    keypair_file.write_text(json.dumps(list(bytes(payer))))
    said: list[str] = []
    result = run_bootstrap(cluster.url, table, kms, key_id, str(keypair_file), False, said.append)
    assert result["parameterOverrides"] == f"SolanaRpcUrl={cluster.url} ChainFaucet=false"
    item = table.get_item(Key={"keyHash": ROOT_ITEM})["Item"]
    assert set(item["sealed"]) == {"kmsKeyId", "sealedKey", "nonce", "ciphertext"}, "only sealed material is stored"
    keys = ChainKeys(SealedRootStore(table, kms, key_id).load())
    rpc = SolanaRpc(cluster.url)
    for symbol, token in KNOWN_TOKENS.items():
        mint = rpc.call("getAccountInfo", result["mints"][symbol], {"encoding": "jsonParsed"})["value"]
        assert mint["data"]["parsed"]["info"]["decimals"] == token.decimals
        assert result["mints"][symbol] == str(keys.mint(symbol).pubkey())
    vault = associated_token_address(keys.venue("raydium").pubkey(), keys.mint("USDC").pubkey())
    assert Decimal(rpc.call("getTokenAccountBalance", str(vault))["value"]["uiAmountString"]) == Decimal(100_000_000)
    assert 999 * 10**9 < rpc.call("getBalance", result["fee_payer"])["value"] < 1_000 * 10**9, "funded, then paid the rent and fees"
    assert rpc.call("getBalance", str(payer.pubkey()))["value"] < 1_000 * 10**9, "funded from the operator's payer"
    again = run_bootstrap(cluster.url, table, kms, key_id, str(keypair_file), True, said.append)
    assert again["created"] == [] and again["mints"] == result["mints"], "idempotent: the same root, nothing made twice"
    assert again["parameterOverrides"].endswith("ChainFaucet=true")


def test_a_payer_file_that_is_no_keypair_is_a_usage_error(tmp_path):
    bad = tmp_path / "payer.json"
    bad.write_text("[1, 2, 3]")
    with pytest.raises(CliError, match="not a keypair file"):
        load_keypair(str(bad))


def test_an_unreachable_cluster_is_a_clear_error(stack):
    table, kms, key_id = stack
    with pytest.raises(CliError, match="http://127.0.0.1:9: Solana RPC getHealth: cannot reach"):
        run_bootstrap("http://127.0.0.1:9", table, kms, key_id, None, False, print)


def test_the_root_opens_only_with_its_encryption_context(stack):
    """The data key is sealed under the chain root's KMS encryption context, which the functions'
    kms:Decrypt grant requires (template.yaml): the sealed key opens with it and not without."""
    import base64

    from botocore.exceptions import ClientError

    from solroute.dal.solana.secrets import ENCRYPTION_CONTEXT

    table, kms, key_id = stack
    root = SealedRootStore(table, kms, key_id).create()
    assert SealedRootStore(table, kms, key_id).load() == root
    sealed = table.get_item(Key={"keyHash": ROOT_ITEM})["Item"]["sealed"]
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=base64.b64decode(sealed["sealedKey"]), KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=base64.b64decode(sealed["sealedKey"]), KeyId=key_id, EncryptionContext=ENCRYPTION_CONTEXT)["Plaintext"]
