"""What operators rely on: EMF metrics, JSON logs keyed by order id, and resources created
with the template's properties."""

import json
import time

from localcloud.services.awslambda.context import LambdaContext
from tests.support.order_flow import deliver, receive, submit


def _emf(text):
    lines = [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]
    return {m["Name"]: (doc.get(m["Name"]), doc) for doc in lines for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


def test_submission_and_execution_emit_emf_metrics(cloud, capsys):
    submit(cloud)
    deliver(cloud, cloud.fn("OrderConsumerFunction"), receive(cloud))
    metrics = _emf(capsys.readouterr().out)
    assert metrics["OrdersSubmitted"][0] == [1.0]
    assert metrics["OrdersConfirmed"][0] == [1.0]
    assert metrics["ExecutionLatency"][0][0] >= 0
    routed_doc = metrics["OrdersRouted"][1]
    assert routed_doc["dex"] in ("raydium", "meteora") and ["dex", "service"] in routed_doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"]


def test_tables_and_queues_carry_the_templates_properties(cloud):
    client = cloud.dynamodb.meta.client
    orders = client.describe_table(TableName=cloud.deployed.tables["OrdersTable"]["name"])["Table"]
    assert orders["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    indexes = {g["IndexName"]: g for g in orders["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["byOwner", "openOrders", "pendingByStartDeadline"]
    assert indexes["openOrders"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["watch"]}
    assert indexes["byOwner"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["wallet"]}
    assert indexes["pendingByStartDeadline"]["Projection"]["ProjectionType"] == "KEYS_ONLY"
    connections = cloud.deployed.tables["ConnectionsTable"]["name"]
    assert client.describe_time_to_live(TableName=connections)["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    attrs = cloud.sqs.get_queue_attributes(QueueUrl=cloud.queue_url("OrdersQueue"), AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "180" and attrs["ReceiveMessageWaitTimeSeconds"] == "20"
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": cloud.deployed.queues["OrdersDeadLetterQueue"]["arn"], "maxReceiveCount": 5}


def test_the_trigger_reports_its_lag_and_the_open_limit_orders_each_run_and_when_another_holds_the_lease(cloud, capsys):
    """TriggerBehindAlarm's metric: seconds since a run last judged every open order."""
    trigger = cloud.fn("TriggerFunction")
    trigger({})  # nothing open: a pass of one empty page
    metrics = _emf(capsys.readouterr().out)
    assert metrics["TriggerLagSeconds"][0][0] < 5 and metrics["OpenLimitOrders"][0] == [0.0]
    leases = cloud.table("RateLimitTable")
    passed_at = leases.get_item(Key={"bucket": "trigger#lease"})["Item"]["passedAtMs"]
    # A run that never ends holds the lease (stuck): the next runs find it held and say how
    # long ago the last pass was, from the lease item they could not take.
    now_ms = int(time.time() * 1000)
    leases.update_item(Key={"bucket": "trigger#lease"}, UpdateExpression="SET holder = :h, untilMs = :u, passedAtMs = :p",
                       ExpressionAttributeValues={":h": "stuck", ":u": now_ms + 600_000, ":p": now_ms - 400_000})  # fmt: skip
    assert passed_at > 0
    trigger._activate()
    trigger.module.lambda_handler({}, LambdaContext("TriggerFunction", 256, 6))  # 6 s: it waits 1 s for the lease
    metrics = _emf(capsys.readouterr().out)
    assert metrics["TriggerLagSeconds"][0][0] >= 400 and "OpenLimitOrders" not in metrics
