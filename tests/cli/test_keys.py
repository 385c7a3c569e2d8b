"""`solroute keys create|list|revoke` on a running local cloud (in process, moto behind it) and
on a deployed stack (CloudFormation and DynamoDB as moto mocks them)."""

import io
import json

import boto3
import pytest
from moto import mock_aws
from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
from solroute.logic.keys import KeyAuthority, key_id_of

from localcloud.logs import LogPrinter
from solroute_cli.keys import Target
from solroute_cli.main import main
from tests.support.keys_cloud import key_store, keys_cloud_config
from tests.support.background import local_cloud
from tests.support.cloud_process import free_port


@pytest.fixture(scope="module")
def cloud():
    with local_cloud(keys_cloud_config(KeyRatePerMinute="7"), LogPrinter(io.StringIO())) as running:
        yield running


def solroute(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_prints_the_key_once_with_the_stack_default_rate_and_the_key_works(cloud, capsys):
    code, out, _ = solroute(capsys, "keys", "create", "--name", "alice", "--api", cloud.http_url, "--json")
    issued = json.loads(out)
    assert code == 0
    assert set(issued) == {"apiKey", "owner", "keyId", "name", "ratePerMinute", "createdAt", "webhookSecret"}
    assert (issued["name"], issued["ratePerMinute"]) == ("alice", 7)
    principal = KeyAuthority(key_store(cloud)).authorize(issued["apiKey"])
    assert principal is not None and principal.owner == issued["owner"]


def test_create_in_text_says_the_key_is_not_shown_again_and_takes_a_rate(cloud, capsys):
    code, out, _ = solroute(capsys, "keys", "create", "--name", "bob", "--rate", "3", "--api", cloud.http_url)
    key = out.splitlines()[0]
    assert code == 0
    assert "only time the key is shown" in out
    assert KeyAuthority(key_store(cloud)).authorize(key).rate_per_minute == 3
    assert f"`solroute keys webhook-secret {key_id_of(key)} --api {cloud.http_url}` shows it again" in out, "its hints name this cloud"


def test_a_keys_hint_names_the_stack_it_worked_on():
    target = Target("http://127.0.0.1:3000", stack_name="prod", region="eu-west-1")
    assert target.hint("revoke sr_abc") == "solroute keys revoke sr_abc --stack-name prod --region eu-west-1"


def test_a_key_may_have_a_default_webhook_and_its_webhook_secret_is_shown_again_on_demand(cloud, capsys):
    code, out, _ = solroute(capsys, "keys", "create", "--name", "hooks", "--webhook-url", "https://example.com/hook", "--api", cloud.http_url, "--json")
    issued = json.loads(out)
    assert code == 0 and issued["webhookUrl"] == "https://example.com/hook" and issued["webhookSecret"].startswith("whsec_")
    assert KeyAuthority(key_store(cloud)).authorize(issued["apiKey"]).webhook_url == "https://example.com/hook"
    code, out, _ = solroute(capsys, "keys", "webhook-secret", issued["keyId"], "--api", cloud.http_url)
    assert (code, out.strip()) == (0, issued["webhookSecret"]), "derived again from the same master"
    code, out, _ = solroute(capsys, "keys", "create", "--name", "other", "--api", cloud.http_url, "--json")
    assert json.loads(out)["webhookSecret"] != issued["webhookSecret"], "each key has its own"
    code, _, err = solroute(capsys, "keys", "create", "--name", "bad", "--webhook-url", "http://example.com/hook", "--api", cloud.http_url)
    assert code != 0 and "https://" in err
    code, _, err = solroute(capsys, "keys", "webhook-secret", "sr_NoSuchKy", "--api", cloud.http_url)
    assert code != 0 and "no key with id sr_NoSuchKy" in err


def test_list_shows_every_key_but_never_a_hash(cloud, capsys):
    solroute(capsys, "keys", "create", "--name", "carol", "--api", cloud.http_url)
    code, out, _ = solroute(capsys, "keys", "list", "--api", cloud.http_url, "--json")
    listed = json.loads(out)
    assert code == 0
    assert {"demo", "carol"} <= {k["name"] for k in listed}
    assert all(set(k) - {"webhookUrl"} == {"keyId", "owner", "name", "createdAt", "revoked", "ratePerMinute"} for k in listed)
    assert not any("webhookSecret" in k for k in listed), "a secret is shown only on demand"
    code, text, _ = solroute(capsys, "keys", "list", "--api", cloud.http_url)
    assert "carol" in text and "KEY ID" in text


def test_revoke_by_key_id_refuses_the_key_from_then_on(cloud, capsys):
    _, out, _ = solroute(capsys, "keys", "create", "--name", "dave", "--api", cloud.http_url, "--json")
    issued = json.loads(out)
    code, out, _ = solroute(capsys, "keys", "revoke", issued["keyId"], "--api", cloud.http_url, "--json")
    assert code == 0
    assert json.loads(out)["revoked"] is True
    assert KeyAuthority(key_store(cloud)).authorize(issued["apiKey"]) is None


def test_revoking_an_unknown_key_id_is_a_clear_error(cloud, capsys):
    code, _, err = solroute(capsys, "keys", "revoke", "sr_nokey123", "--api", cloud.http_url)
    assert code == 1
    assert err.strip() == "solroute keys revoke: no key with id sr_nokey123"


def test_a_bad_name_is_a_clear_error(cloud, capsys):
    code, _, err = solroute(capsys, "keys", "create", "--name", "no;semicolons", "--api", cloud.http_url)
    assert code == 1
    assert err.startswith("solroute keys create: name must be")


def test_no_local_cloud_running_is_a_clear_error(capsys):
    code, _, err = solroute(capsys, "keys", "list", "--api", f"http://127.0.0.1:{free_port()}")
    assert code == 3
    assert "the local cloud is not running" in err and "Traceback" not in err


STACK_TEMPLATE = {
    "Resources": {
        "ApiKeysTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "prod-keys",
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "keyHash", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "keyHash", "KeyType": "HASH"}],
            },
        }
    },
    "Outputs": {"ApiKeysTableName": {"Value": {"Ref": "ApiKeysTable"}}, "KeyRatePerMinute": {"Value": "42"}},
}


def test_with_stack_name_the_keys_go_to_the_table_the_stack_outputs_name(monkeypatch, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("cloudformation", region_name="eu-west-1").create_stack(StackName="prod", TemplateBody=json.dumps(STACK_TEMPLATE))
        code, out, _ = solroute(capsys, "keys", "create", "--name", "ci", "--stack-name", "prod", "--region", "eu-west-1", "--json")
        issued = json.loads(out)
        table = boto3.resource("dynamodb", region_name="eu-west-1").Table("prod-keys")
        principal = KeyAuthority(DynamoApiKeyStore(table)).authorize(issued["apiKey"])
        missing = solroute(capsys, "keys", "list", "--stack-name", "nope", "--region", "eu-west-1")
    assert code == 0
    assert principal is not None and principal.rate_per_minute == 42
    assert missing[0] == 1
    assert "stack nope" in missing[2]
