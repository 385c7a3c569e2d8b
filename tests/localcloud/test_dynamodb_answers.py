"""The DynamoDB endpoint writes item operations' answers itself (answers.py): each must be the
answer moto's own serializer writes, byte for byte once parsed, for every operation it takes
over, and moto's serializer must still write the rest (binary attributes, errors)."""

from __future__ import annotations

import json
import uuid

import pytest
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

from localcloud.services.dynamodb.answers import ITEM_OPERATIONS, STREAM_OPERATIONS, ItemAnswersHandler, StreamAnswersHandler, item_answer
from tests.support.moto_in_process import dynamodb_call


SEEN: list[tuple[str, tuple, tuple, bool]] = []  # operation, moto's answer, answers.py's, whether answers.py wrote it


def both(lean_handler: type, moto_handler: type) -> type:
    """A handler that answers as moto does, and keeps what answers.py would have answered beside it."""

    class Both(lean_handler):
        def serialized(self, action_result):
            stock = moto_handler.serialized(self, action_result)
            lean = lean_handler.serialized(self, action_result)
            SEEN.append((self._get_action(), stock, lean, self.lean_body(action_result) is not None))
            return stock

    return Both


BothAnswers, BothStreamAnswers = both(ItemAnswersHandler, DynamoHandler), both(StreamAnswersHandler, DynamoDBStreamsHandler)


def call(operation: str, payload: dict) -> tuple[int, dict]:
    return dynamodb_call(BothAnswers, operation, payload)


def read_stream(table: str) -> list[dict]:
    """Every record of the table's stream, read through the streams handler."""
    _, description = call("DescribeTable", {"TableName": table})
    stream = {"StreamArn": description["Table"]["LatestStreamArn"]}
    _, shards = dynamodb_call(BothStreamAnswers, "DescribeStream", stream, STREAMS)
    shard = shards["StreamDescription"]["Shards"][0]["ShardId"]
    _, iterator = dynamodb_call(BothStreamAnswers, "GetShardIterator", {**stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}, STREAMS)
    status, records = dynamodb_call(BothStreamAnswers, "GetRecords", {"ShardIterator": iterator["ShardIterator"]}, STREAMS)
    assert status == 200
    return records["Records"]


@pytest.fixture(scope="module")
def table() -> str:
    name = f"answers-{uuid.uuid4().hex[:8]}"
    status, _ = call(
        "CreateTable",
        {
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        },
    )
    assert status == 200
    return name


STREAMS = "DynamoDBStreams_20120810"
RICH = {
    "s": {"S": "héllo \"quoted\""}, "n": {"N": "12.50"}, "t": {"BOOL": True}, "z": {"NULL": True},
    "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"x": {"SS": ["p", "q"]}}}]}, "m": {"M": {"deep": {"NS": ["1", "2.5"]}}}, "e": {"M": {}},
}  # fmt: skip


def every_item_operation(table: str) -> None:
    key = {"pk": {"S": "o1"}, "sk": {"N": "1"}}
    assert call("PutItem", {"TableName": table, "Item": {**key, **RICH}})[0] == 200
    call("PutItem", {"TableName": table, "Item": {**key, **RICH, "n": {"N": "13"}}, "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"})
    for sk in range(2, 6):
        call("PutItem", {"TableName": table, "Item": {"pk": {"S": "o1"}, "sk": {"N": str(sk)}, "v": {"N": str(sk)}}})
    call("GetItem", {"TableName": table, "Key": key})
    call("GetItem", {"TableName": table, "Key": {"pk": {"S": "none"}, "sk": {"N": "0"}}})
    call("GetItem", {"TableName": table, "Key": key, "ProjectionExpression": "#l[2].x, m", "ExpressionAttributeNames": {"#l": "l"}, "ConsistentRead": True})
    for returns in ("NONE", "ALL_NEW", "ALL_OLD", "UPDATED_OLD", "UPDATED_NEW"):
        call(
            "UpdateItem",
            {
                "TableName": table, "Key": key, "ReturnValues": returns, "ReturnConsumedCapacity": "TOTAL",
                "UpdateExpression": "SET #n = #n + :one, added = :now REMOVE z", "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":one": {"N": "1"}, ":now": {"S": returns}},
            },
        )  # fmt: skip
    status, error = call("UpdateItem", {"TableName": table, "Key": key, "UpdateExpression": "SET a = :a", "ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeValues": {":a": {"S": "x"}}})
    assert status == 400 and "ConditionalCheckFailed" in error["__type"]
    call("Query", {"TableName": table, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "o1"}}, "Limit": 2})
    call("Query", {"TableName": table, "KeyConditionExpression": "pk = :p AND sk > :s", "ExpressionAttributeValues": {":p": {"S": "o1"}, ":s": {"N": "2"}}, "ScanIndexForward": False, "Select": "COUNT"})
    call("Scan", {"TableName": table, "FilterExpression": "v > :v", "ExpressionAttributeValues": {":v": {"N": "3"}}})
    call("Scan", {"TableName": table, "Limit": 1, "ReturnConsumedCapacity": "TOTAL"})
    call("BatchGetItem", {"RequestItems": {table: {"Keys": [key, {"pk": {"S": "o1"}, "sk": {"N": "2"}}, {"pk": {"S": "no"}, "sk": {"N": "9"}}]}}})
    call("BatchWriteItem", {"RequestItems": {table: [{"PutRequest": {"Item": {"pk": {"S": "o2"}, "sk": {"N": "1"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "o1"}, "sk": {"N": "5"}}}}]}})
    call("TransactGetItems", {"TransactItems": [{"Get": {"TableName": table, "Key": key}}, {"Get": {"TableName": table, "Key": {"pk": {"S": "no"}, "sk": {"N": "1"}}}}]})
    call(
        "TransactWriteItems",
        {"TransactItems": [
            {"Put": {"TableName": table, "Item": {"pk": {"S": "o3"}, "sk": {"N": "1"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": table, "Key": key, "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "7"}}}},
        ]},
    )  # fmt: skip
    call("DeleteItem", {"TableName": table, "Key": {"pk": {"S": "o1"}, "sk": {"N": "4"}}, "ReturnValues": "ALL_OLD"})
    call("DeleteItem", {"TableName": table, "Key": {"pk": {"S": "gone"}, "sk": {"N": "4"}}})


def test_every_item_operation_answers_what_motos_serializer_answers(table):
    SEEN.clear()
    every_item_operation(table)
    assert len(read_stream(table)) > 10  # inserts, changes and removals, with both images
    for operation, stock, lean, _ in SEEN:
        assert lean[0] == stock[0] and lean[1] == stock[1], operation
        assert json.loads(lean[2]) == json.loads(stock[2]), operation
    # Every operation answers.py names was answered by it here: if moto stops calling
    # serialized() with a dict (its internals changed shape), this fails loudly.
    assert {op for op, _, _, took_over in SEEN if took_over} == ITEM_OPERATIONS | STREAM_OPERATIONS


def test_binary_attributes_are_left_to_motos_serializer(table):
    SEEN.clear()
    key = {"pk": {"S": "bin"}, "sk": {"N": "1"}}
    call("PutItem", {"TableName": table, "Item": {**key, "b": {"B": "AAEC"}, "bs": {"BS": ["AQ==", "Ag=="]}}})
    status, answer = call("GetItem", {"TableName": table, "Key": key})
    assert status == 200 and answer["Item"]["b"] == {"B": "AAEC"} and sorted(answer["Item"]["bs"]["BS"]) == ["AQ==", "Ag=="]
    operation, stock, lean, took_over = SEEN[-1]
    assert operation == "GetItem" and not took_over and json.loads(lean[2]) == json.loads(stock[2])
    read_stream(table)  # the binary item's record is in it
    operation, stock, lean, took_over = SEEN[-1]
    assert operation == "GetRecords" and not took_over and json.loads(lean[2]) == json.loads(stock[2])


def test_control_plane_and_unknown_results_are_left_to_motos_serializer():
    assert item_answer("DescribeTable", {"Table": {}}) is None
    assert item_answer("GetItem", object()) is None
    assert item_answer("GetItem", {"Item": {"when": object()}}) is None  # json cannot write it: moto's walk does


def test_an_answer_keeps_only_the_output_shapes_members_as_motos_walk_does():
    answer = item_answer("GetItem", {"Item": {"k": {"S": "v"}}, "TableName": "t", "ConsumedCapacity": None})
    assert json.loads(answer) == {"Item": {"k": {"S": "v"}}}
