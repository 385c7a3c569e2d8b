"""The local cloud's translation layers: template resolution, filters, API Gateway mapping."""

import json
from pathlib import Path

import pytest

from localcloud.resources import Deployed
from localcloud.services.awslambda.event_source_mappings.filters import passes
from localcloud.services.http import HttpRoute, to_http_response
from localcloud.services.websocket import select_route
from localcloud.template import Template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template():
    return Template(ROOT / "template.yaml")


def test_function_settings_come_from_the_template(template):
    consumer = template.functions()["OrderConsumerFunction"]
    assert (consumer.timeout, consumer.memory, consumer.reserved_concurrency) == (30, 256, 10)
    assert consumer.code_dir == ROOT / "functions" / "order_consumer"
    assert consumer.layer_dirs == [ROOT / "layers" / "engine"]
    assert {e.type for e in consumer.events} == {"SQS"}


def test_the_apis_routes_and_integrations_come_from_the_template(template):
    (ws,) = template.websocket_apis()
    assert (ws.logical_id, ws.route_selection_expression, ws.stage) == ("WebSocketApi", "$request.body.action", "dev")
    assert ws.routes == {route: "WebSocketFunction" for route in ("$connect", "$disconnect", "subscribe", "$default")}
    routes = {(r.method, r.path): (r.api, r.function) for r in template.http_routes()}
    assert routes[("POST", "/api/orders/execute")] == ("HttpApi", "ApiFunction")
    assert routes[("GET", "/api/orders/{orderId}")] == ("HttpApi", "ApiFunction")


def test_a_websocket_route_reaches_its_function_however_the_integration_names_it(tmp_path):
    """Sub with ${Fn.Arn}, GetAtt, and Join: each names the function; a route of another API,
    or whose target is not an integration, is not this API's."""
    (tmp_path / "template.yaml").write_text("""
Resources:
  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.type}}
  Other: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET}}
  Stage: {Type: AWS::ApiGatewayV2::Stage, Properties: {ApiId: !Ref Api, StageName: live}}
  A: {Type: AWS::Serverless::Function, Properties: {CodeUri: a/, Handler: app.h}}
  B: {Type: AWS::Serverless::Function, Properties: {CodeUri: b/, Handler: app.h}}
  IntA:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationUri: !Sub "arn:aws:apigateway:r:lambda:path/2015-03-31/functions/${A.Arn}/invocations"}
  IntB:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationUri: !Join ["", ["arn:aws:apigateway:r:lambda:path/2015-03-31/functions/", !GetAtt B.Arn, "/invocations"]]
  R1: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: $connect, Target: !Sub "integrations/${IntA}"}}
  R2: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: ping, Target: !Join ["/", [integrations, !Ref IntB]]}}
  R3: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Other, RouteKey: $default, Target: !Sub "integrations/${IntA}"}}
  R4: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: mock, Target: somewhere/else}}
""")
    apis = {api.logical_id: api for api in Template(tmp_path / "template.yaml").websocket_apis()}
    assert apis["Api"].routes == {"$connect": "A", "ping": "B"}
    assert (apis["Api"].stage, apis["Api"].route_selection_expression) == ("live", "$request.body.type")
    assert apis["Other"].routes == {"$default": "A"} and apis["Other"].stage == "$default"


def test_intrinsics_resolve_against_local_resources(template):
    deployed = Deployed(prefix="p", api_endpoints={"WebSocketApi": "ws://127.0.0.1:3001"})
    deployed.tables["OrdersTable"] = {"name": "p-OrdersTable", "arn": "arn:t", "stream_arn": "arn:s"}
    deployed.queues["OrdersQueue"] = {"name": "p-OrdersQueue", "url": "http://q/p-OrdersQueue", "arn": "arn:q"}
    env = deployed.environment(template, template.functions()["OrderConsumerFunction"].environment)
    assert env["ORDERS_TABLE"] == "p-OrdersTable" and env["ORDERS_QUEUE_URL"] == "http://q/p-OrdersQueue"
    assert env["WEBSOCKET_URL"] == "ws://127.0.0.1:3001/dev"
    assert env["RATE_LIMIT_PER_MINUTE"] == "100" and env["SIM_SEED"] == ""


def test_parameter_overrides_and_conditions(template):
    changed = Template(ROOT / "template.yaml", {"RateLimitPerMinute": "0", "StageName": "prod"})
    env = Deployed(prefix="p").environment(changed, changed.functions()["OrderConsumerFunction"].environment)
    assert env["RATE_LIMIT_PER_MINUTE"] == "0" and changed.conditions["RateLimited"] is False
    with pytest.raises(ValueError, match="unknown template parameter"):
        Template(ROOT / "template.yaml", {"Nope": "1"})


def _stream_record(last_change: str, event_name: str = "MODIFY") -> dict:
    return {"eventName": event_name, "dynamodb": {"NewImage": {"lastChange": {"S": last_change}, "seq": {"N": "2"}}}}


def test_the_templates_stream_filter_passes_status_changes_only(template):
    criteria = template.of_type("AWS::Serverless::Function")["BroadcasterFunction"]["Events"]["StatusChanges"]["Properties"]["FilterCriteria"]
    assert passes(criteria, _stream_record("status"))
    assert not passes(criteria, _stream_record("status", "INSERT"))  # nobody can follow an order not yet written
    assert not passes(criteria, _stream_record("attempt"))
    assert not passes(criteria, _stream_record("status", "REMOVE"))
    assert not passes(criteria, {"eventName": "MODIFY", "dynamodb": {"NewImage": {}}})


@pytest.mark.parametrize(
    "pattern, record, expected",
    [
        ({"a": [{"prefix": "ord"}]}, {"a": "order"}, True),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "y"}, True),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "x"}, False),
        ({"a": [{"numeric": [">", 1, "<=", 5]}]}, {"a": 5}, True),
        ({"a": [{"numeric": [">", 1]}]}, {"a": 1}, False),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": True}]}, {}, False),
        ({"a": ["x"]}, {"a": ["y", "x"]}, True),
    ],
)
def test_filter_operators(pattern, record, expected):
    assert passes({"Filters": [{"Pattern": json.dumps(pattern)}]}, record) is expected


def test_http_routes_match_like_api_gateway():
    routes = [HttpRoute("GET", "/api/orders/{orderId}", "f"), HttpRoute("GET", "/api/orders", "g"), HttpRoute("ANY", "/{proxy+}", "h")]
    assert routes[0].match("GET", "/api/orders/abc") == {"orderId": "abc"}
    assert routes[0].match("POST", "/api/orders/abc") is None
    assert routes[1].match("GET", "/api/orders/abc") is None
    assert routes[2].match("DELETE", "/a/b/c") == {"proxy": "a/b/c"}
    assert sorted(routes, key=lambda r: r.specificity, reverse=True)[-1].function == "h"


def test_function_results_map_to_http_as_api_gateway_does():
    full = to_http_response({"statusCode": 201, "headers": {"x-a": "1"}, "cookies": ["c=1"], "body": "hi"})
    assert (full.status, full.headers["x-a"], full.headers["Set-Cookie"], full.body) == (201, "1", "c=1", b"hi")
    binary = to_http_response({"statusCode": 200, "body": "aGk=", "isBase64Encoded": True})
    assert binary.body == b"hi"
    inferred = to_http_response({"hello": "world"})  # no statusCode: 200 with the JSON
    assert inferred.status == 200 and json.loads(inferred.body) == {"hello": "world"} and inferred.content_type == "application/json"


@pytest.mark.parametrize(
    "body, route",
    [('{"action": "subscribe"}', "subscribe"), ('{"nope": 1}', None), ("not json", None), ('{"action": 5}', None),
     # Too deep to read: $default, not a dropped connection (3.13's json reads 5,000 levels; 50,000 no Python does).
     ('{"action": "subscribe", "x": ' + "[" * 50_000 + "]" * 50_000 + "}", None)],
    ids=["subscribe", "no-key", "not-json", "not-a-string", "nested-too-deep"],
)
def test_websocket_route_selection(body, route):
    assert select_route("$request.body.action", body) == route
