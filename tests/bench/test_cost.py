import pytest

from bench.cost import cost_lines, lambda_gb_seconds, simulated_waiting, total
from bench.prices import PRICES
from localcloud.meter import Meter, item_size


def _stats():
    return {
        "functions": {
            "ApiFunction": {"invocations": 100, "durationMsTotal": 10_000, "logBytes": 100_000, "usage": {"calls": {"sqs.SendMessage": 100}, "wru": 300, "rru": 0}},
            "OrderConsumerFunction": {"invocations": 100, "durationMsTotal": 300_000, "logBytes": 0,
                                      "usage": {"calls": {}, "wru": 1000, "rru": 200, "sleptMs": 270_000}},  # fmt: skip
        },
        "websocket": {"messagesIn": 100, "messagesOut": 500, "connectionMinutesBilled": 100},
        "httpRequests": 100,
        "eventSourceUsage": {"sqs.ReceiveMessage": 120, "sqs.DeleteMessageBatch": 100, "dynamodb-streams.GetRecords": 5000},
    }


def test_gb_seconds_follow_memory_and_duration():
    assert lambda_gb_seconds(1000, 1024) == 1.0
    assert lambda_gb_seconds(3000, 256) == 0.75


def test_each_line_prices_its_quantity_per_order():
    lines = {line.item: line for line in cost_lines(_stats(), 100, {"ApiFunction": 256, "OrderConsumerFunction": 256})}
    assert lines["Lambda requests"].per_order == 2
    assert lines["Lambda requests"].dollars_per_million == pytest.approx(2 * 0.20)
    consumer = lines["Lambda duration: OrderConsumerFunction"]
    assert consumer.per_order == pytest.approx(3.0 * 0.25)  # 3 s at 256 MB
    assert consumer.dollars_per_million == pytest.approx(0.75 * PRICES["lambda_gb_second"] * 1e6)
    assert "90% of it simulated venue waiting" in consumer.note
    assert lines["WebSocket messages"].per_order == 6
    assert lines["DynamoDB writes"].dollars_per_million == pytest.approx(13 * 0.625)
    assert lines["DynamoDB reads"].dollars_per_million == pytest.approx(2 * 0.125)
    assert lines["SQS requests"].per_order == pytest.approx(3.2)  # 1 send + 1.2 receives + 1 delete
    assert lines["DynamoDB Streams reads"].dollars_per_million == 0
    assert lines["CloudWatch Logs ingestion"].dollars_per_million == pytest.approx(1e-6 * 0.5 * 1e6)


def test_the_total_is_the_sum_and_the_waiting_share_is_shown_apart():
    lines = cost_lines(_stats(), 100, {"ApiFunction": 256, "OrderConsumerFunction": 256})
    assert total(lines) == pytest.approx(sum(line.dollars_per_million for line in lines))
    assert simulated_waiting(_stats(), 100, {"ApiFunction": 256, "OrderConsumerFunction": 256}) == pytest.approx(0.675 * 16.6667, rel=1e-4)


def test_a_cost_needs_finished_orders():
    with pytest.raises(ValueError):
        cost_lines(_stats(), 0, {})


def test_dynamodb_item_sizes_and_request_units_follow_the_billing_rules():
    assert item_size({"id": {"S": "abc"}}) == 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    meter = Meter()
    big = {"k": {"S": "x" * 1500}}
    assert meter._units("PutItem", {"Item": big}, {}) == (2.0, 0.0)  # 1.5 KB: two started KB
    assert meter._units("GetItem", {"ConsistentRead": True}, {"Item": big}) == (0.0, 1.0)
    assert meter._units("GetItem", {}, {"Item": big}) == (0.0, 0.5)
    assert meter._units("Query", {}, {"Items": [big] * 3}) == (0.0, 1.0)  # 4.5 KB eventually consistent
    assert meter._units("BatchWriteItem", {"RequestItems": {"t": [{"DeleteRequest": {}}, {"PutRequest": {"Item": big}}]}}, {}) == (3.0, 0.0)
