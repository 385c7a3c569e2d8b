"""What operators rely on: EMF metrics, JSON logs keyed by order id, and resources created
with the template's properties."""

import json

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
