"""The authorizer function as API Gateway calls it, on the template's environment and tables
(moto): HTTP API payload 2.0 with simple responses, and the WebSocket $connect policy."""

from __future__ import annotations

import pytest
from solroute.dal.dynamodb.api_keys import DynamoApiKeyStore
from solroute.logic.keys import KeyAdmin, generate_key
from solroute.ports import Clock

from tests.lambdas import event

PLACEHOLDER = "sr_EXAMPLEKEYexampleKEYexampleKEYexampleKEY"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:wsapi123/dev/$connect"


@pytest.fixture
def admin(cloud) -> KeyAdmin:
    return KeyAdmin(DynamoApiKeyStore(cloud.table("ApiKeysTable")), Clock(), default_rate_per_minute=60)


@pytest.fixture
def authorizer(cloud):
    return cloud.fn("AuthorizerFunction")


def without_key(sample: str, **headers: str) -> dict:
    """A sample event with its key taken out (header and query), and ``headers`` added."""
    request = event(sample)
    request["headers"].pop("x-api-key", None)
    (request.get("queryStringParameters") or {}).pop("apiKey", None)
    request["headers"].update(headers)
    return request


def http_request(key: str | None = None, **headers: str) -> dict:
    return without_key("authorizer_http.json", **headers, **({"x-api-key": key} if key else {}))


def ws_connect(query_key: str | None = None, **headers: str) -> dict:
    request = without_key("authorizer_websocket_connect.json", **headers)
    if query_key:
        request["queryStringParameters"]["apiKey"] = query_key
    return request


def test_the_sample_events_carry_the_key_where_clients_put_it(authorizer, admin):
    issued = admin.create("bot")
    assert authorizer(event("authorizer_http.json", **{PLACEHOLDER: issued.api_key}))["context"]["owner"] == issued.record.owner
    assert authorizer(event("authorizer_websocket_connect.json", **{PLACEHOLDER: issued.api_key}))["policyDocument"]["Statement"][0]["Effect"] == "Allow"


# ------------------------------------------------------------------ HTTP API
def test_a_valid_key_is_authorized_with_its_owner_in_the_context(authorizer, admin):
    issued = admin.create("bot", rate_per_minute=7)
    answer = authorizer(http_request(issued.api_key))
    assert answer == {"isAuthorized": True, "context": {"owner": issued.record.owner, "keyId": issued.record.key_id, "ratePerMinute": 7}}


def refused(answer: dict) -> None:
    """API Gateway answers this 403 {"message":"Forbidden"} itself: the API function does not run."""
    assert answer == {"isAuthorized": False}, answer


def test_a_bearer_token_alone_no_longer_authenticates(authorizer, admin):
    issued = admin.create("bot")
    refused(authorizer(http_request(authorization=f"Bearer {issued.api_key}")))


@pytest.mark.parametrize("presented", ["unknown", "missing", "malformed"])
def test_an_unknown_missing_or_malformed_key_is_not_authorized(authorizer, presented):
    key = {"unknown": generate_key(), "missing": None, "malformed": "sr_" + "x" * 5000}[presented]
    refused(authorizer(http_request(key)))


def test_a_revoked_key_is_refused(authorizer, admin):
    issued = admin.create("bot")
    assert "owner" in authorizer(http_request(issued.api_key))["context"]
    admin.revoke(issued.record.key_id)
    refused(authorizer(http_request(issued.api_key)))


def test_an_http_request_cannot_present_its_key_in_the_query_string(authorizer, admin):
    issued = admin.create("bot")
    request = http_request()
    request["queryStringParameters"] = {"apiKey": issued.api_key}
    request["rawQueryString"] = f"apiKey={issued.api_key}"
    refused(authorizer(request))


def test_the_stored_hash_is_compared_in_constant_time(authorizer, admin, monkeypatch):
    import hmac

    issued = admin.create("bot")
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert authorizer(http_request(issued.api_key))["context"]["owner"] == issued.record.owner
    assert calls == [(issued.record.key_hash, issued.record.key_hash)]


def test_the_key_is_never_logged_but_its_public_id_is(authorizer, admin, caplog, capsys):
    issued = admin.create("bot")
    authorizer(http_request(issued.api_key))
    authorizer(ws_connect(issued.api_key))
    authorizer(http_request(generate_key()))
    # Every attribute of every record (powertools puts ``extra`` there), and whatever reached stdout.
    logged = " ".join(str(vars(record)) for record in caplog.records) + " ".join(capsys.readouterr())
    assert issued.api_key[3:] not in logged
    answers = [r for r in caplog.records if r.getMessage() in ("authorized", "refused")]
    assert [getattr(r, "key_id", None) for r in answers] == [issued.record.key_id, issued.record.key_id, None]


# ------------------------------------------------------------------ WebSocket $connect
def test_a_websocket_connect_with_the_key_in_the_query_is_allowed_for_its_owner(authorizer, admin):
    issued = admin.create("browser", rate_per_minute=9)
    answer = authorizer(ws_connect(issued.api_key))
    assert answer == {
        "principalId": issued.record.owner,
        "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}]},
        "context": {"owner": issued.record.owner, "keyId": issued.record.key_id, "ratePerMinute": 9},
    }


@pytest.mark.parametrize("header", ["x-api-key", "X-Api-Key"])
def test_a_websocket_connect_may_send_the_key_as_a_header_too(authorizer, admin, header):
    issued = admin.create("cli")
    answer = authorizer(ws_connect(**{header: issued.api_key}))
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"


@pytest.mark.parametrize("presented", ["unknown", "missing", "revoked"])
def test_a_websocket_connect_without_a_valid_key_is_denied(authorizer, admin, presented):
    issued = admin.create("browser")
    if presented == "revoked":
        admin.revoke(issued.record.key_id)
    key = {"unknown": generate_key(), "missing": None, "revoked": issued.api_key}[presented]
    answer = authorizer(ws_connect(key))
    assert answer["principalId"] == "anonymous"
    assert answer["policyDocument"]["Statement"] == [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": METHOD_ARN}]
    assert answer["context"] == {}
