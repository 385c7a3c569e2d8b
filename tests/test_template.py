"""template.yaml states the settings the design depends on; these tests read it directly."""

import re
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


def test_the_engines_default_timeouts_are_the_templates():
    from solroute.models import timeouts

    defaults = {name: int(RAW["Parameters"][name]["Default"]) for name in ("StartTimeout", "ConsumerTimeout", "QueueVisibilityTimeout")}
    assert (timeouts.START_TIMEOUT_SECONDS, timeouts.ATTEMPT_TIMEOUT_SECONDS, timeouts.QUEUE_VISIBILITY_TIMEOUT_SECONDS) == (
        defaults["StartTimeout"], defaults["ConsumerTimeout"], defaults["QueueVisibilityTimeout"],
    )  # fmt: skip


def test_the_consumer_reports_batch_item_failures():
    props = RESOURCES["OrderConsumerFunction"]["Properties"]["Events"]["Orders"]["Properties"]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_function_runs_python_3_13_on_x86_64_with_the_engine_layer():
    globals_ = RAW["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Architectures"]) == ("python3.13", ["x86_64"])
    layer = RESOURCES["EngineLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13" and layer["Properties"]["ContentUri"] == "layers/engine/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.functions()))
def test_every_function_has_a_sample_event(logical_id):
    prefix = {
        "ApiFunction": "api_",
        "OrderConsumerFunction": "consumer_",
        "DeadLetterFunction": "dead_letter_",
        "WebSocketFunction": "websocket_",
        "BroadcasterFunction": "broadcaster_",
        "SweeperFunction": "sweeper_",
        "TriggerFunction": "trigger_",
        "SettlerFunction": "settler_",
        "AuthorizerFunction": "authorizer_",
        "WebhookFunction": "webhook_stream",
        "WebhookSenderFunction": "webhook_sender_",
        "ConsoleFunction": "console_",
    }[logical_id]
    assert list((ROOT / "events").glob(f"{prefix}*.json"))
    assert (TEMPLATE.functions()[logical_id].code_dir / "app.py").exists()


def test_every_websocket_route_has_an_integration_and_a_deployment_dependency():
    routes = {r["Properties"]["RouteKey"] for r in RESOURCES.values() if r["Type"] == "AWS::ApiGatewayV2::Route"}
    assert routes == {"$connect", "$disconnect", "subscribe", "$default"}  # $disconnect frees a key's connection slot
    assert len(RESOURCES["WebSocketDeployment"]["DependsOn"]) == len(routes)


def test_the_authorizer_reads_only_the_api_keys_table_which_is_keyed_by_the_hash():
    authorizer = RESOURCES["AuthorizerFunction"]["Properties"]
    assert _dynamodb_grants("AuthorizerFunction") == {("ApiKeysTable", "dynamodb:GetItem")}
    assert authorizer["Environment"]["Variables"] == {"API_KEYS_TABLE": {"Ref": "ApiKeysTable"}}
    keys = RESOURCES["ApiKeysTable"]["Properties"]
    assert (keys["BillingMode"], keys["KeySchema"]) == ("PAY_PER_REQUEST", [{"AttributeName": "keyHash", "KeyType": "HASH"}])
    assert int(RAW["Parameters"]["KeyRatePerMinute"]["Default"]) == 60


def _dynamodb_grants(logical_id: str) -> set[tuple[str, str]]:
    """(table or table/index, action) for every DynamoDB action a function's policies allow."""
    grants = set()
    for policy in RESOURCES[logical_id]["Properties"].get("Policies", []):
        if "Fn::If" in policy:  # a grant the stack makes under a condition (OnSolana): held to the same rule
            policy = policy["Fn::If"][1]
        assert set(policy) <= {"Statement", "SQSSendMessagePolicy"}, f"{logical_id}: {policy} grants more than its calls"
        for statement in policy.get("Statement", []):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                if "Fn::GetAtt" in resource:
                    where = resource["Fn::GetAtt"][0]
                else:  # !Sub "${Table.Arn}/index/NAME"
                    where = str(resource.get("Fn::Sub", "")).replace("${", "").replace(".Arn}", "")
                grants |= {(where, a) for a in actions if a.startswith("dynamodb:")}
    return grants


# On the RPC chain (OnSolana), the functions that sign or read transactions open the chain's sealed
# root: one item of the keys table (the grant is limited to the key chain#root).
CHAIN_ROOT = ("ApiKeysTable", "dynamodb:GetItem")

# What each function's code calls (DynamoDB only; SQS sends and the stream and queue reads of
# event sources are granted by SAM's SQSSendMessagePolicy and event types).
LEAST_PRIVILEGE = {
    "ApiFunction": {
        ("OrdersTable", "dynamodb:PutItem"), ("OrdersTable", "dynamodb:GetItem"), ("OrdersTable", "dynamodb:UpdateItem"),
        ("OrdersTable", "dynamodb:BatchGetItem"), ("OrdersTable/index/byOwner", "dynamodb:Query"), ("OrdersTable/index/openOrders", "dynamodb:Query"),
        ("IdempotencyTable", "dynamodb:PutItem"), ("IdempotencyTable", "dynamodb:GetItem"),
        ("IdempotencyTable", "dynamodb:UpdateItem"), ("IdempotencyTable", "dynamodb:DeleteItem"),
        ("RateLimitTable", "dynamodb:PutItem"), ("RateLimitTable", "dynamodb:GetItem"), ("RateLimitTable", "dynamodb:UpdateItem"),
        CHAIN_ROOT,
    },
    **{
        consumer: {
            ("OrdersTable", "dynamodb:GetItem"), ("OrdersTable", "dynamodb:UpdateItem"),
            ("RateLimitTable", "dynamodb:GetItem"), ("RateLimitTable", "dynamodb:PutItem"),
            ("SimulatedChainTable", "dynamodb:GetItem"), ("SimulatedChainTable", "dynamodb:PutItem"),
            CHAIN_ROOT,
        }
        for consumer in ("OrderConsumerFunction", "SettlerFunction")
    },
    "DeadLetterFunction": {("OrdersTable", "dynamodb:GetItem"), ("OrdersTable", "dynamodb:UpdateItem"), ("SimulatedChainTable", "dynamodb:GetItem"), CHAIN_ROOT},
    "SweeperFunction": {
        ("OrdersTable", "dynamodb:GetItem"), ("OrdersTable", "dynamodb:UpdateItem"), ("OrdersTable/index/pendingByStartDeadline", "dynamodb:Query"),
    },
    "TriggerFunction": {
        ("OrdersTable", "dynamodb:GetItem"), ("OrdersTable", "dynamodb:UpdateItem"), ("OrdersTable/index/openOrders", "dynamodb:Scan"),
        ("OrdersTable", "dynamodb:PutItem"),  # a strategy's slot makes its child order
        ("RateLimitTable", "dynamodb:PutItem"), ("RateLimitTable", "dynamodb:GetItem"), ("RateLimitTable", "dynamodb:UpdateItem"),
    },
    "WebSocketFunction": {
        ("OrdersTable", "dynamodb:UpdateItem"),
        ("ConnectionsTable", "dynamodb:PutItem"), ("ConnectionsTable", "dynamodb:Query"), ("ConnectionsTable", "dynamodb:UpdateItem"),
        ("ApiKeysTable", "dynamodb:GetItem"),  # revocations only (test below)
    },
    "BroadcasterFunction": {("OrdersTable", "dynamodb:UpdateItem"), ("ApiKeysTable", "dynamodb:GetItem")},
    "AuthorizerFunction": {("ApiKeysTable", "dynamodb:GetItem")},
    "WebhookFunction": set(),  # reads the stream (the event source's grant) and sends to its queue
    "WebhookSenderFunction": {("OrdersTable", "dynamodb:UpdateItem"), ("ApiKeysTable", "dynamodb:GetItem"), ("ApiKeysTable", "dynamodb:PutItem")},
    "ConsoleFunction": set(),  # static pages: no AWS call at all
}  # fmt: skip


@pytest.mark.parametrize("logical_id", sorted(LEAST_PRIVILEGE))
def test_each_function_may_make_only_the_dynamodb_calls_its_code_makes(logical_id):
    assert set(TEMPLATE.functions()) == set(LEAST_PRIVILEGE)
    assert _dynamodb_grants(logical_id) == LEAST_PRIVILEGE[logical_id]


def test_the_api_may_write_only_the_per_key_items_of_the_rate_limit_table():
    statements = [s for p in RESOURCES["ApiFunction"]["Properties"]["Policies"] for s in p.get("Statement", [])]
    (quota,) = [s for s in statements if s["Resource"] == {"Fn::GetAtt": ["RateLimitTable", "Arn"]}]
    assert quota["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["key#*"]}}


def test_the_trigger_may_write_only_its_lease_and_the_keys_quotas_in_the_rate_limit_table_and_wakes_when_an_order_opens():
    statements = [s for p in RESOURCES["TriggerFunction"]["Properties"]["Policies"] for s in p.get("Statement", [])]
    on_table = {s["Sid"]: s for s in statements if s["Resource"] == {"Fn::GetAtt": ["RateLimitTable", "Arn"]}}
    assert set(on_table) == {"Lease", "KeyQuotas"}
    lease, quotas = on_table["Lease"], on_table["KeyQuotas"]
    assert lease["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["trigger#*"]}}
    assert lease["Action"] == "dynamodb:UpdateItem", "taken and given back by updates: the item keeps the last pass"
    assert quotas["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["key#*"]}}, "a triggered order's place in the queue"
    env = RESOURCES["TriggerFunction"]["Properties"]["Environment"]["Variables"]
    assert {"RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_WINDOW_SECONDS", "KEY_BACKLOG_SECONDS"} <= set(env), "the same backlog rule as the API's"
    events = RESOURCES["TriggerFunction"]["Properties"]["Events"]
    assert events["EveryMinute"]["Properties"]["Schedule"] == "rate(1 minute)"
    assert events["OrderOpened"]["Properties"]["Queue"] == {"Fn::GetAtt": ["TriggerWakeQueue", "Arn"]}
    assert RESOURCES["TriggerWakeQueue"]["Properties"]["VisibilityTimeout"] >= 6 * RESOURCES["TriggerFunction"]["Properties"]["Timeout"]
    readers = [n for n, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"
               for e in r["Properties"].get("Events", {}).values() if e["Type"] == "DynamoDB"]  # fmt: skip
    assert len(readers) <= 2, f"DynamoDB advises at most two readers of a stream shard: {readers}"
    timeout = RESOURCES["TriggerFunction"]["Properties"]["Timeout"]
    assert 60 < timeout < 900, "a run must outlast the minute between scheduled runs, within Lambda's limit"


def test_every_http_route_but_health_runs_the_key_authorizer_and_the_api_is_throttled():
    api = RESOURCES["HttpApi"]["Properties"]
    auth = api["Auth"]
    assert auth["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    authorizer = auth["Authorizers"]["ApiKeyAuthorizer"]
    assert authorizer["FunctionArn"] == {"Ref": "AuthorizerFunction.Alias"}  # its published version (SnapStart)
    assert (authorizer["AuthorizerPayloadFormatVersion"], authorizer["EnableSimpleResponses"]) == ("2.0", True)
    # API Gateway refuses a request without the header (401) before any function runs, and caches
    # the answer per key for the revocation delay (a revocation waits for it on HTTP).
    assert authorizer["Identity"] == {"Headers": ["x-api-key"], "ReauthorizeEvery": {"Ref": "RevocationDelaySeconds"}}
    routes = {e["Properties"]["Path"]: e["Properties"].get("Auth") for e in RESOURCES["ApiFunction"]["Properties"]["Events"].values()}
    assert routes.pop("/health") == {"Authorizer": "NONE"}
    assert routes and all(path.startswith("/api/") and auth is None for path, auth in routes.items())
    assert set(api["DefaultRouteSettings"]) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    assert "x-api-key" in api["CorsConfiguration"]["AllowHeaders"]


def test_the_websocket_connect_route_runs_the_key_authorizer():
    connect = RESOURCES["ConnectRoute"]["Properties"]
    assert (connect["AuthorizationType"], connect["AuthorizerId"]) == ("CUSTOM", {"Ref": "WebSocketAuthorizer"})
    authorizer = RESOURCES["WebSocketAuthorizer"]["Properties"]
    assert authorizer["AuthorizerType"] == "REQUEST" and authorizer["AuthorizerUri"]["Fn::Sub"][1] == {"Alias": {"Ref": "AuthorizerFunction.Alias"}}
    assert RESOURCES["WebSocketAuthorizerPermission"]["Properties"]["FunctionName"] == {"Ref": "AuthorizerFunction.Alias"}


def test_one_revocation_delay_bounds_the_http_authorizer_cache_and_the_broadcasters_key_check():
    delay = RAW["Parameters"]["RevocationDelaySeconds"]
    assert (delay["Default"], delay["MinValue"], delay["MaxValue"]) == (30, 0, 3600)  # API Gateway's TTL bounds
    env = RESOURCES["BroadcasterFunction"]["Properties"]["Environment"]["Variables"]
    assert env["REVOCATION_DELAY_SECONDS"] == {"Ref": "RevocationDelaySeconds"}
    (guarded, *_) = [r for r in TEMPLATE.http_routes() if r.authorizer is not None]
    assert guarded.authorizer.ttl_s == 30 and guarded.authorizer.identity_sources == ("$request.header.x-api-key",)
    uncached = Template(ROOT / "template.yaml", {"RevocationDelaySeconds": "0"})
    assert all(r.authorizer.ttl_s == 0 for r in uncached.http_routes() if r.authorizer is not None)


def test_only_status_changes_after_an_orders_insert_invoke_the_broadcaster():
    from localcloud.services.awslambda.event_source_mappings.filters import passes

    criteria = RESOURCES["BroadcasterFunction"]["Properties"]["Events"]["StatusChanges"]["Properties"]["FilterCriteria"]

    def record(event_name: str, change: str) -> dict:
        return {"eventName": event_name, "dynamodb": {"NewImage": {"lastChange": {"S": change}}}}

    assert passes(criteria, record("MODIFY", "status"))
    # An order's INSERT has no subscriber yet (one subscribes to an order that exists): no invocation.
    assert not passes(criteria, record("INSERT", "status"))
    assert not passes(criteria, record("MODIFY", "attempt")) and not passes(criteria, record("REMOVE", "status"))


def test_the_webhook_sender_may_touch_only_the_signing_master_in_the_api_keys_table():
    from solroute.dal.dynamodb.webhooks import MASTER_KEY

    statements = [s for p in RESOURCES["WebhookSenderFunction"]["Properties"]["Policies"] for s in p.get("Statement", [])]
    (master,) = [s for s in statements if s["Resource"] == {"Fn::GetAtt": ["ApiKeysTable", "Arn"]}]
    assert master["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [MASTER_KEY]}}


def test_only_status_changes_of_orders_with_a_webhook_invoke_the_webhook_function():
    from localcloud.services.awslambda.event_source_mappings.filters import passes

    source = RESOURCES["WebhookFunction"]["Properties"]["Events"]["StatusChanges"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["OrdersTable", "StreamArn"]}

    def record(event_name: str = "MODIFY", **image: str) -> dict:
        return {"eventName": event_name, "dynamodb": {"NewImage": {k: {"S": v} for k, v in image.items()}}}

    url = "https://example.com/hook"
    assert passes(source["FilterCriteria"], record("INSERT", lastChange="status", webhookUrl=url))
    assert passes(source["FilterCriteria"], record(lastChange="status", webhookUrl=url))
    assert not passes(source["FilterCriteria"], record(lastChange="status")), "an order without a webhook never invokes it"
    for other in ("webhook", "attempt", "subscribers", "deadline"):  # its own records, and every other non-status write
        assert not passes(source["FilterCriteria"], record(lastChange=other, webhookUrl=url))
    assert not passes(source["FilterCriteria"], record("REMOVE", lastChange="status", webhookUrl=url))
    queue = RESOURCES["WebhookQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] > int(RAW["Parameters"]["WebhookMaxAttempts"]["MaxValue"])
    assert queue["VisibilityTimeout"] >= 6 * RESOURCES["WebhookSenderFunction"]["Properties"]["Timeout"]
    sender = RESOURCES["WebhookSenderFunction"]["Properties"]["Events"]["Deliveries"]["Properties"]
    assert sender["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_console_is_open_read_only_and_may_call_nothing():
    console = RESOURCES["ConsoleFunction"]["Properties"]
    assert "Policies" not in console and console["Tracing"] == "PassThrough"  # only the basic execution role: logs
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"], e["Properties"]["Auth"]["Authorizer"]) for e in console["Events"].values()}
    assert routes == {("GET", "/", "NONE"), ("GET", "/console/{asset}", "NONE")}


# ------------------------------------------------------------------ IAM conditions, evaluated
def _condition_holds(condition: dict, leading_key: str) -> bool:
    """IAM's evaluation of the DynamoDB conditions our policies use, for a request on one item
    (its partition key is the request's only dynamodb:LeadingKeys value)."""
    import fnmatch

    tests = {
        "StringEquals": lambda value, wanted: value in wanted,
        "StringNotEquals": lambda value, wanted: value not in wanted,
        "StringLike": lambda value, wanted: any(fnmatch.fnmatchcase(value, w) for w in wanted),
        "StringNotLike": lambda value, wanted: not any(fnmatch.fnmatchcase(value, w) for w in wanted),
    }
    for operator, keys in condition.items():
        qualifier, _, test = operator.rpartition(":")
        assert qualifier in ("ForAllValues", "ForAnyValue") and set(keys) == {"dynamodb:LeadingKeys"}, operator
        if not tests[test](leading_key, keys["dynamodb:LeadingKeys"]):
            return False
    return True


def may(logical_id: str, action: str, table: str, leading_key: str) -> bool:
    """Whether the function's policies allow ``action`` on the item of ``table`` keyed ``leading_key``."""
    for policy in RESOURCES[logical_id]["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if (
                statement["Effect"] == "Allow" and action in actions and {"Fn::GetAtt": [table, "Arn"]} in resources
                and _condition_holds(statement.get("Condition") or {}, leading_key)
            ):  # fmt: skip
                return True
    return False


A_KEY_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def test_the_authorizer_may_read_api_keys_but_never_the_webhook_signing_master():
    from solroute.dal.dynamodb.webhooks import MASTER_KEY

    assert may("AuthorizerFunction", "dynamodb:GetItem", "ApiKeysTable", A_KEY_HASH)
    assert not may("AuthorizerFunction", "dynamodb:GetItem", "ApiKeysTable", MASTER_KEY)


@pytest.mark.parametrize("logical_id", ["OrderConsumerFunction", "SettlerFunction"])
def test_the_consumer_and_settler_may_touch_only_the_start_log_in_the_rate_limit_table(logical_id):
    from solroute.logic.rate_limit import START_LOG

    for action in ("dynamodb:GetItem", "dynamodb:PutItem"):
        assert may(logical_id, action, "RateLimitTable", START_LOG)
        for other in ("key#sr_AbCdEfGh", "key#*", "trigger#lease"):  # a key's quota, the shared queue's, the trigger's lease
            assert not may(logical_id, action, "RateLimitTable", other), (action, other)
        assert may(logical_id, action, "SimulatedChainTable", "5VfYmGBjvQKe3Rk9gXhnJ1oAT8Wc2sLpZ4uNyHdM6x")


@pytest.mark.parametrize("logical_id", ["WebSocketFunction", "BroadcasterFunction"])
def test_the_websocket_side_may_read_a_keys_revocation_but_no_key_nor_the_signing_master(logical_id):
    from solroute.dal.dynamodb.api_keys import REVOKED_PREFIX
    from solroute.dal.dynamodb.webhooks import MASTER_KEY

    assert may(logical_id, "dynamodb:GetItem", "ApiKeysTable", REVOKED_PREFIX + "sr_AbCdEfGh")
    assert not may(logical_id, "dynamodb:GetItem", "ApiKeysTable", A_KEY_HASH)
    assert not may(logical_id, "dynamodb:GetItem", "ApiKeysTable", MASTER_KEY)
    variables = RESOURCES[logical_id]["Properties"]["Environment"]["Variables"]
    assert variables["API_KEYS_TABLE"] == {"Ref": "ApiKeysTable"}


@pytest.mark.parametrize("logical_id", ["WebSocketFunction", "BroadcasterFunction"])
def test_the_websocket_side_may_post_to_and_close_connections_of_its_own_stage_only(logical_id):
    (grant,) = [s for p in RESOURCES[logical_id]["Properties"]["Policies"] for s in p.get("Statement", []) if s["Action"] == "execute-api:ManageConnections"]
    assert [r["Fn::Sub"].rsplit("}/", 1)[1] for r in grant["Resource"]] == ["POST/@connections/*", "DELETE/@connections/*"]


def test_each_key_may_keep_a_bounded_number_of_websocket_connections():
    parameter = RAW["Parameters"]["WebSocketConnectionsPerKey"]
    assert (int(parameter["Default"]), parameter["MinValue"]) == (50, 1)
    variables = RESOURCES["WebSocketFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["WEBSOCKET_CONNECTIONS_PER_KEY"] == {"Ref": "WebSocketConnectionsPerKey"}
    assert variables["CONNECTIONS_TABLE"] == {"Ref": "ConnectionsTable"}
    disconnect = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::ApiGatewayV2::Route" and r["Properties"]["RouteKey"] == "$disconnect"]
    assert disconnect and disconnect[0]["Target"] == {"Fn::Sub": "integrations/${WebSocketIntegration}"}


def test_the_chain_roots_grants_open_one_item_and_only_data_keys_sealed_for_it():
    from solroute.dal.solana.secrets import ENCRYPTION_CONTEXT, ROOT_ITEM

    for logical_id in ("ApiFunction", "OrderConsumerFunction", "SettlerFunction", "DeadLetterFunction"):
        (granted,) = [p["Fn::If"] for p in RESOURCES[logical_id]["Properties"]["Policies"] if "Fn::If" in p]
        assert granted[0] == "OnSolana" and granted[2] == {"Ref": "AWS::NoValue"}, "only on the RPC chain"
        statements = {s["Sid"]: s for s in granted[1]["Statement"]}
        assert statements["ChainRoot"]["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [ROOT_ITEM]}}
        assert statements["ChainKey"]["Action"] == "kms:Decrypt"
        assert statements["ChainKey"]["Condition"] == {"StringEquals": {f"kms:EncryptionContext:{k}": v for k, v in ENCRYPTION_CONTEXT.items()}}
    assert RESOURCES["ChainKey"]["Condition"] == "OnSolana", "a KMS key costs a month's fee: only where it seals something"


# ---------------------------------------------------------------- SnapStart (docs/architecture.md#cold-starts-snapstart)
# The functions whose cold start a client waits on: a request (API, authorizer), a WebSocket
# open (authorizer, WebSocket), an order's first status and its confirmation (consumer, settler).
SNAPSTART = ("ApiFunction", "AuthorizerFunction", "WebSocketFunction", "OrderConsumerFunction", "SettlerFunction")


@pytest.mark.parametrize("logical_id", SNAPSTART)
def test_the_functions_clients_wait_on_resume_from_snapstart_snapshots_of_published_versions(logical_id):
    props = {**RAW["Globals"]["Function"], **RESOURCES[logical_id]["Properties"]}
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert props["AutoPublishAlias"] == "live"
    assert tuple(map(int, props["Runtime"].removeprefix("python").split("."))) >= (3, 12)  # SnapStart's first Python
    # What SnapStart does not support (the Lambda guide's "Supported features and limitations").
    assert "ProvisionedConcurrencyConfig" not in props and "FileSystemConfigs" not in props
    assert int(_resolve((props.get("EphemeralStorage") or {}).get("Size", 512))) <= 512


def _sam_transform() -> dict:
    """The CloudFormation SAM makes of template.yaml (what `sam deploy` creates), code locations
    stubbed (the transform only hashes them); the caller sets a region (SAM asks boto3 for one)."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:  # the template names no managed policy SAM would look up in IAM
        def load(self):
            return {"AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"}

    text = re.sub(r"(CodeUri|ContentUri): \S+", r"\1: s3://bucket/key", (ROOT / "template.yaml").read_text())
    return transform(yaml_parse(text), {"AWS::Region": "us-east-1"}, NoManagedPolicies())["Resources"]


def _names(value) -> set[str]:
    """Every logical id (or id.Attribute) a value refers to: Ref, GetAtt and Sub's ${...}."""
    if isinstance(value, list):
        return {n for v in value for n in _names(v)}
    if not isinstance(value, dict):
        return set()
    found = set()
    for key, arg in value.items():
        if key == "Ref" and isinstance(arg, str):
            found.add(arg)
        elif key == "Fn::GetAtt":
            found.add(".".join(arg) if isinstance(arg, list) else arg)
        elif key == "Fn::Sub":
            found |= {m.group(1) for m in re.finditer(r"\$\{([^}!]+)\}", arg if isinstance(arg, str) else arg[0])}
            found |= _names(arg[1] if isinstance(arg, list) else None)
        else:
            found |= _names(arg)
    return found


# Resources that read a function's name for its metrics or logs (aggregated over every version),
# never invoke it.
NAMES_ONLY = {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::QueryDefinition", "AWS::Logs::LogGroup"}


def test_every_trigger_of_a_snapstart_function_invokes_its_alias_never_latest(monkeypatch):
    """$LATEST has no snapshot: a trigger that named the function would cold-start every time.
    SAM points a function's own Events at its alias; the rest (the HTTP API's authorizer, the
    WebSocket API's integration, authorizer and permissions) say Function.Alias themselves."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    resources = _sam_transform()
    for logical_id in SNAPSTART:
        alias = f"{logical_id}Aliaslive"
        own = {logical_id, alias, f"{logical_id}Role"} | {k for k in resources if k.startswith(f"{logical_id}Version")}
        bare = {logical_id, f"{logical_id}.Arn"}
        latest = sorted(k for k, r in resources.items() if k not in own and r["Type"] not in NAMES_ONLY and _names(r) & bare)
        assert not latest, f"{logical_id} is invoked as $LATEST by {latest}"
        triggers = sorted(k for k, r in resources.items() if k not in own and alias in _names(r))
        assert triggers, f"nothing invokes {logical_id}'s alias"
        assert resources[logical_id]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    # Each kind of trigger is among them: the queues' mappings, the APIs' integrations and the
    # invoke permissions API Gateway needs for both APIs and both authorizers.
    kinds = {(r["Type"], n) for r in resources.values() for n in _names(r) if n.endswith("Aliaslive")}
    assert {("AWS::Lambda::EventSourceMapping", "OrderConsumerFunctionAliaslive"), ("AWS::Lambda::EventSourceMapping", "SettlerFunctionAliaslive"),
            ("AWS::ApiGatewayV2::Api", "ApiFunctionAliaslive"), ("AWS::ApiGatewayV2::Api", "AuthorizerFunctionAliaslive"),
            ("AWS::ApiGatewayV2::Integration", "WebSocketFunctionAliaslive"), ("AWS::ApiGatewayV2::Authorizer", "AuthorizerFunctionAliaslive"),
            ("AWS::Lambda::Permission", "ApiFunctionAliaslive"), ("AWS::Lambda::Permission", "AuthorizerFunctionAliaslive"),
            ("AWS::Lambda::Permission", "WebSocketFunctionAliaslive")} <= kinds  # fmt: skip


def test_the_local_cloud_reads_an_alias_as_its_function():
    arn = TEMPLATE.resolve({"Ref": "AuthorizerFunction.Alias"}, lambda lid, attr: f"arn:aws:lambda:us-east-1:1:function:{lid}")
    assert arn == "arn:aws:lambda:us-east-1:1:function:AuthorizerFunction:live"
    uri = RESOURCES["WebSocketIntegration"]["Properties"]["IntegrationUri"]
    assert TEMPLATE.resolve(uri, lambda lid, attr: f"fn:{lid}").endswith("/functions/fn:WebSocketFunction:live/invocations")
    (ws,) = TEMPLATE.websocket_apis()
    assert set(ws.routes.values()) == {"WebSocketFunction"} and ws.authorizer.function == "AuthorizerFunction"
    assert {route.authorizer.function for route in TEMPLATE.http_routes() if route.authorizer} == {"AuthorizerFunction"}
