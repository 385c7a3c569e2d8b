"""The DynamoDB endpoint parses each UpdateExpression text once (parse_cache.py): the shared tree
is never changed by a call, and calls with the same text but different names or values each get
their own answer."""

from __future__ import annotations

import pickle
import uuid

import pytest
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler

from localcloud.services.dynamodb import parse_cache
from tests.support.moto_in_process import dynamodb_call

TEXT = "SET #a = :v, #b = if_not_exists(#b, :zero) + :one REMOVE #gone"


@pytest.fixture
def cached(monkeypatch):
    """The cache installed for this test only (moto's parser back afterwards)."""
    monkeypatch.setattr(UpdateExpressionParser, "make", UpdateExpressionParser.__dict__["make"])
    parse_cache.install()
    return UpdateExpressionParser.make


def call(operation: str, payload: dict) -> tuple[int, dict]:
    return dynamodb_call(DynamoHandler, operation, payload)


def table() -> str:
    name = f"parse-{uuid.uuid4().hex[:8]}"
    status, _ = call(
        "CreateTable",
        {"TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"},
    )
    assert status == 200
    return name


def update(name: str, pk: str, names: dict, values: dict) -> tuple[int, dict]:
    return call("UpdateItem", {"TableName": name, "Key": {"pk": {"S": pk}}, "UpdateExpression": TEXT, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values, "ReturnValues": "ALL_NEW"})


def test_one_tree_per_text_and_no_call_changes_it(cached):
    name = table()
    tree = UpdateExpressionParser.make(TEXT)
    assert UpdateExpressionParser.make(TEXT) is tree  # parsed once
    before = pickle.dumps(tree)
    for i in range(3):
        values = {":v": {"S": f"v{i}"}, ":zero": {"N": "0"}, ":one": {"N": "1"}}
        assert update(name, "k", {"#a": "a", "#b": "count", "#gone": "old"}, values)[0] == 200
    assert pickle.dumps(UpdateExpressionParser.make(TEXT)) == before  # moto resolved placeholders on its own copy
    assert UpdateExpressionParser.make.cache_info().hits >= 6  # the handler's parse and the backend's, each call


def test_the_same_text_with_other_names_and_values_answers_for_those(cached):
    name = table()
    call("PutItem", {"TableName": name, "Item": {"pk": {"S": "x"}, "old": {"S": "o"}, "older": {"S": "p"}}})
    _, first = update(name, "x", {"#a": "a", "#b": "count", "#gone": "old"}, {":v": {"S": "one"}, ":zero": {"N": "0"}, ":one": {"N": "1"}})
    _, second = update(name, "x", {"#a": "other", "#b": "tally", "#gone": "older"}, {":v": {"N": "2"}, ":zero": {"N": "10"}, ":one": {"N": "5"}})
    assert first["Attributes"] == {"pk": {"S": "x"}, "older": {"S": "p"}, "a": {"S": "one"}, "count": {"N": "1"}}
    assert second["Attributes"] == {"pk": {"S": "x"}, "a": {"S": "one"}, "count": {"N": "1"}, "other": {"N": "2"}, "tally": {"N": "15"}}


def test_a_text_that_does_not_parse_is_refused_every_time(cached):
    name = table()
    for _ in range(2):
        status, error = call("UpdateItem", {"TableName": name, "Key": {"pk": {"S": "x"}}, "UpdateExpression": "SET = :v", "ExpressionAttributeValues": {":v": {"S": "v"}}})
        assert status == 400 and "ValidationException" in error["__type"]


def test_motos_parser_is_still_where_the_cache_replaces_it():
    """Fails loudly when moto moves the parser the cache wraps (checked against moto 5.2.6)."""
    assert isinstance(UpdateExpressionParser.__dict__["make"], classmethod)
    from moto.dynamodb import models, responses

    assert models.UpdateExpressionParser is UpdateExpressionParser and responses.UpdateExpressionParser is UpdateExpressionParser
