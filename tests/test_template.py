"""template.yaml states the settings the design depends on; these tests read it directly."""

from pathlib import Path

import pytest

from localcloud.template import Template, load_yaml

ROOT = Path(__file__).resolve().parents[1]
RAW = load_yaml(ROOT / "template.yaml")
TEMPLATE = Template(ROOT / "template.yaml")
RESOURCES = RAW["Resources"]


def _resolve(value):
    return TEMPLATE.resolve(value, lambda *_: None)


def test_the_consumer_is_capped_by_reserved_concurrency_and_maximum_concurrency_alike():
    consumer = RESOURCES["OrderConsumerFunction"]["Properties"]
    scaling = consumer["Events"]["Orders"]["Properties"]["ScalingConfig"]["MaximumConcurrency"]
    assert int(_resolve(consumer["ReservedConcurrentExecutions"])) == int(_resolve(scaling)) == 10


def test_the_queue_outlasts_six_consumer_timeouts_and_redrives_after_the_last_attempt():
    queue = RESOURCES["OrdersQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == {"Ref": "QueueVisibilityTimeout"}
    assert RESOURCES["OrderConsumerFunction"]["Properties"]["Timeout"] == {"Ref": "ConsumerTimeout"}
    defaults = {name: int(spec["Default"]) for name, spec in RAW["Parameters"].items() if name in ("QueueVisibilityTimeout", "ConsumerTimeout", "StartTimeout")}
    assert defaults["QueueVisibilityTimeout"] >= 6 * defaults["ConsumerTimeout"]
    # A pending attempt that crashed comes back after the visibility timeout; the sweeper must not beat it.
    assert defaults["StartTimeout"] > defaults["QueueVisibilityTimeout"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] > int(RAW["Parameters"]["MaxAttempts"]["MaxValue"])
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["OrdersDeadLetterQueue", "Arn"]}


def test_the_consumer_reports_batch_item_failures():
    props = RESOURCES["OrderConsumerFunction"]["Properties"]["Events"]["Orders"]["Properties"]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_function_runs_python_3_11_on_x86_64_with_the_engine_layer():
    globals_ = RAW["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Architectures"]) == ("python3.11", ["x86_64"])
    layer = RESOURCES["EngineLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.11" and layer["Properties"]["ContentUri"] == "layers/engine/"


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.functions()))
def test_every_function_has_a_sample_event(logical_id):
    prefix = {
        "ApiFunction": "api_",
        "OrderConsumerFunction": "consumer_",
        "DeadLetterFunction": "dead_letter_",
        "WebSocketFunction": "websocket_",
        "BroadcasterFunction": "broadcaster_",
        "SweeperFunction": "sweeper_",
        "SettlerFunction": "settler_",
        "AuthorizerFunction": "authorizer_",
    }[logical_id]
    assert list((ROOT / "events").glob(f"{prefix}*.json"))
    assert (TEMPLATE.functions()[logical_id].code_dir / "app.py").exists()


def test_every_websocket_route_has_an_integration_and_a_deployment_dependency():
    routes = {r["Properties"]["RouteKey"] for r in RESOURCES.values() if r["Type"] == "AWS::ApiGatewayV2::Route"}
    assert routes == {"$connect", "subscribe", "$default"}  # no $disconnect: subscriptions expire with the connection
    assert len(RESOURCES["WebSocketDeployment"]["DependsOn"]) == len(routes)


def test_the_authorizer_may_only_read_the_api_keys_table_which_is_keyed_by_the_hash():
    authorizer = RESOURCES["AuthorizerFunction"]["Properties"]
    assert authorizer["Policies"] == [{"DynamoDBReadPolicy": {"TableName": {"Ref": "ApiKeysTable"}}}]
    assert authorizer["Environment"]["Variables"] == {"API_KEYS_TABLE": {"Ref": "ApiKeysTable"}}
    keys = RESOURCES["ApiKeysTable"]["Properties"]
    assert (keys["BillingMode"], keys["KeySchema"]) == ("PAY_PER_REQUEST", [{"AttributeName": "keyHash", "KeyType": "HASH"}])
    assert int(RAW["Parameters"]["KeyRatePerMinute"]["Default"]) == 60
