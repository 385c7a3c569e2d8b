"""Read template.yaml: parameters, conditions, resources, functions and their event sources.

The template is the only source of configuration; this module resolves its intrinsic
functions (Ref, GetAtt, Sub, If, Join, ...) against the names of the local resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "solroute-local",
    "AWS::NoValue": None,
}


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...)."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)

_SUB_VAR = re.compile(r"\$\{([^}!]+)\}")


def load_yaml(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass
class EventSource:
    name: str
    type: str  # SQS | DynamoDB | HttpApi
    properties: dict


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda REQUEST authorizer: an HTTP API's (SAM ``Auth.Authorizers``) or a WebSocket API's
    (``AWS::ApiGatewayV2::Authorizer``), with its identity sources in API Gateway's own syntax
    (``$request.header.x-api-key`` for an HTTP API, ``route.request.header.X`` for a WebSocket API)."""

    name: str
    function: str  # logical id of the authorizer function
    identity_sources: tuple[str, ...] = ()
    ttl_s: int = 0  # 0: every request invokes the authorizer
    simple_responses: bool = False
    payload_version: str = "2.0"


@dataclass(frozen=True)
class HttpRouteSpec:
    """One route of a SAM HttpApi, from a function's ``HttpApi`` event."""

    api: str  # the HttpApi's logical id
    method: str  # GET, POST, ..., or ANY
    path: str
    function: str  # logical id
    authorizer: AuthorizerSpec | None = None  # the route's own, else its API's DefaultAuthorizer


@dataclass(frozen=True)
class WebSocketApiSpec:
    """An ``AWS::ApiGatewayV2::Api`` with ProtocolType WEBSOCKET, its routes and its stage."""

    logical_id: str
    route_selection_expression: str
    stage: str
    routes: dict[str, str]  # route key -> logical id of the function its integration proxies to
    authorizer: AuthorizerSpec | None = None  # the $connect route's (the only route one may have)


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory: int
    reserved_concurrency: int | None
    environment: dict
    layer_dirs: list[Path]
    events: list[EventSource] = field(default_factory=list)


class Template:
    def __init__(self, path: str | Path, parameter_overrides: Mapping[str, str] | None = None) -> None:
        self.path = Path(path).resolve()
        self.root = self.path.parent
        self.raw = load_yaml(self.path)
        self.parameters = self._parameters(parameter_overrides or {})
        self.resources: dict[str, dict] = self.raw.get("Resources", {})
        self.conditions = {name: self._condition(name) for name in self.raw.get("Conditions", {})}

    def override(self, **parameters: str) -> None:
        """Change parameter values (as `sam deploy --parameter-overrides` would)."""
        self.parameters.update(self._parameters({**self.parameters, **parameters}))
        self.conditions = {name: self._condition(name) for name in self.raw.get("Conditions", {})}

    def _parameters(self, overrides: Mapping[str, str]) -> dict[str, str]:
        declared = self.raw.get("Parameters", {})
        unknown = set(overrides) - set(declared)
        if unknown:
            raise ValueError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        return {name: str(overrides.get(name, spec.get("Default", ""))) for name, spec in declared.items()}

    def _condition(self, name: str) -> bool:
        return bool(self.resolve(self.raw["Conditions"][name], lambda *_: None))

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {lid: r.get("Properties", {}) for lid, r in self.resources.items() if r.get("Type") == resource_type}

    # ------------------------------------------------------------ intrinsic functions
    def resolve(self, value: Any, attribute: Callable[[str, str | None], Any]) -> Any:
        """Resolve intrinsics; ``attribute(logical_id, None)`` answers Ref, and
        ``attribute(logical_id, "Arn")`` answers GetAtt, for resources."""
        if isinstance(value, list):
            return [self.resolve(v, attribute) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v, attribute) for k, v in value.items()}
        (key, arg), = value.items()
        if key == "Ref":
            return self._ref(arg, attribute)
        if key == "Fn::GetAtt":
            logical_id, name = arg if isinstance(arg, list) else arg.split(".", 1)
            return attribute(logical_id, name)
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1], attribute))
            return _SUB_VAR.sub(lambda m: str(self._sub_var(m.group(1), variables, attribute)), text)
        if key == "Fn::Join":
            separator, items = arg
            return separator.join(str(i) for i in self.resolve(items, attribute) if i is not None)
        if key == "Fn::Select":
            index, items = self.resolve(arg, attribute)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = self.resolve(arg, attribute)
            return text.split(separator)
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.conditions[name] else when_false, attribute)
        if key == "Fn::Equals":
            left, right = self.resolve(arg, attribute)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(arg[0], attribute)
        if key == "Fn::And":
            return all(self.resolve(a, attribute) for a in arg)
        if key == "Fn::Or":
            return any(self.resolve(a, attribute) for a in arg)
        if key == "Condition":
            return self.conditions[arg]
        if key.startswith("Fn::"):
            raise ValueError(f"{key} is not supported by the local cloud")
        return {key: self.resolve(arg, attribute)}

    def _ref(self, name: str, attribute: Callable[[str, str | None], Any]) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in PSEUDO:
            return PSEUDO[name]
        logical_id, dot, attr = name.partition(".")
        if dot and attr == "Alias":
            return self._alias_arn(logical_id, attribute)
        return attribute(name, None)

    def _alias_arn(self, logical_id: str, attribute: Callable[[str, str | None], Any]) -> str:
        """SAM's ``!Ref Function.Alias`` (``${Function.Alias}`` in a Sub): the ARN of the alias
        AutoPublishAlias makes. Locally every alias runs the function itself (its one version)."""
        alias = self.resources.get(logical_id, {}).get("Properties", {}).get("AutoPublishAlias")
        if alias is None:
            raise ValueError(f"{logical_id}.Alias: {logical_id} has no AutoPublishAlias")
        return f"{attribute(logical_id, 'Arn')}:{alias}"

    def _sub_var(self, name: str, variables: dict, attribute: Callable[[str, str | None], Any]) -> Any:
        if name in variables:
            return variables[name]
        if "." in name:
            logical_id, attr = name.split(".", 1)
            return self._alias_arn(logical_id, attribute) if attr == "Alias" else attribute(logical_id, attr)
        return self._ref(name, attribute)

    # ------------------------------------------------------------ APIs
    def http_routes(self) -> list[HttpRouteSpec]:
        """Every route of the template's HTTP APIs: SAM declares them as the functions'
        ``HttpApi`` events (``ApiId`` names the API; without it, SAM's implicit API)."""
        apis = list(self.of_type("AWS::Serverless::HttpApi"))
        routes = []
        for logical_id, spec in self.functions().items():
            for event in spec.events:
                if event.type != "HttpApi":
                    continue
                props = event.properties
                api = self._referenced(props.get("ApiId")) or (apis[0] if apis else "ServerlessHttpApi")
                method = str(props.get("Method", "ANY")).upper().replace("*", "ANY")
                authorizer = self._http_authorizer(api, props.get("Auth") or {})
                routes.append(HttpRouteSpec(api, method, props.get("Path", "/{proxy+}"), logical_id, authorizer))
        return routes

    def websocket_apis(self) -> list[WebSocketApiSpec]:
        """The WebSocket APIs, each with the routes whose ``Target`` is an ``integrations/ID``
        of an AWS_PROXY integration with a Lambda function, and its stage's name."""
        functions = self.of_type("AWS::Serverless::Function")
        integrations = self.of_type("AWS::ApiGatewayV2::Integration")
        out = []
        for api_id, props in self.of_type("AWS::ApiGatewayV2::Api").items():
            if props.get("ProtocolType") != "WEBSOCKET":
                continue
            routes = {}
            for route in self.of_type("AWS::ApiGatewayV2::Route").values():
                if self._referenced(route.get("ApiId")) != api_id:
                    continue
                target = str(self.resolve(route.get("Target", ""), lambda lid, attr: lid))
                kind, _, integration_id = target.partition("/")
                integration = integrations.get(integration_id) if kind == "integrations" else None
                function = next((r for r in self._references(integration.get("IntegrationUri")) if r in functions), None) if integration else None
                if function:
                    routes[route["RouteKey"]] = function
            stages = [s for s in self.of_type("AWS::ApiGatewayV2::Stage").values() if self._referenced(s.get("ApiId")) == api_id]
            stage = str(self.resolve(stages[0]["StageName"], lambda *_: None)) if stages else "$default"
            authorizer = self._websocket_authorizer(api_id)
            expression = props.get("RouteSelectionExpression", "$request.body.action")
            out.append(WebSocketApiSpec(api_id, expression, stage, routes, authorizer))
        return out

    # SAM's Identity keys and the identity source expressions API Gateway's HTTP API gets for them.
    _HTTP_IDENTITY = {
        "Headers": "$request.header.",
        "QueryStrings": "$request.querystring.",
        "Context": "$context.",
        "StageVariables": "$stageVariables.",
    }
    # AuthorizerResultTtlInSeconds: "If this field is not set, the default value is 300" (the
    # ApiGatewayV2 Authorizer reference); without identity sources there is no cache key, so no cache.
    # https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers-authorizerid.html
    _DEFAULT_AUTHORIZER_TTL_S = 300

    def _http_authorizer(self, api: str, event_auth: dict) -> AuthorizerSpec | None:
        """The Lambda authorizer a route of ``api`` runs: the event's ``Auth.Authorizer`` (NONE: none),
        else the API's ``Auth.DefaultAuthorizer``. JWT and IAM authorizers are not emulated."""
        auth = (self.of_type("AWS::Serverless::HttpApi").get(api) or {}).get("Auth") or {}
        name = event_auth.get("Authorizer", auth.get("DefaultAuthorizer"))
        if not name or name in ("NONE", "AWS_IAM"):
            return None
        props = (auth.get("Authorizers") or {}).get(name)
        function = self._referenced(props.get("FunctionArn")) if props else None
        if function is None:
            return None
        identity = props.get("Identity") or {}
        sources = tuple(prefix + str(v) for key, prefix in self._HTTP_IDENTITY.items() for v in identity.get(key) or [])
        default_ttl = self._DEFAULT_AUTHORIZER_TTL_S if sources else 0
        ttl = int(self.resolve(identity.get("ReauthorizeEvery", default_ttl), lambda *_: None))
        return AuthorizerSpec(
            name=name,
            function=function,
            identity_sources=sources,
            ttl_s=ttl,
            simple_responses=bool(self.resolve(props.get("EnableSimpleResponses", False), lambda *_: None)),
            payload_version=str(self.resolve(props.get("AuthorizerPayloadFormatVersion", "2.0"), lambda *_: None)),
        )

    def _websocket_authorizer(self, api_id: str) -> AuthorizerSpec | None:
        """The REQUEST authorizer of the API's $connect route (AuthorizationType CUSTOM), whose
        AuthorizerUri names a function as an integration's IntegrationUri does."""
        functions = self.of_type("AWS::Serverless::Function")
        authorizers = self.of_type("AWS::ApiGatewayV2::Authorizer")
        for route in self.of_type("AWS::ApiGatewayV2::Route").values():
            if self._referenced(route.get("ApiId")) != api_id or route.get("RouteKey") != "$connect":
                continue
            if route.get("AuthorizationType") != "CUSTOM":
                return None
            authorizer_id = self._referenced(route.get("AuthorizerId"))
            props = authorizers.get(authorizer_id or "") or {}
            function = next((r for r in self._references(props.get("AuthorizerUri")) if r in functions), None)
            if function is None or props.get("AuthorizerType") != "REQUEST":
                return None
            sources = tuple(str(s) for s in self.resolve(props.get("IdentitySource") or [], lambda *_: None))
            return AuthorizerSpec(str(authorizer_id), function, sources, payload_version="1.0")
        return None

    def _referenced(self, value: Any) -> str | None:
        """The logical id a ``!Ref`` (or ``!GetAtt``) names, else None."""
        refs = self._references(value) if isinstance(value, dict) and len(value) == 1 else []
        return refs[0] if refs else None

    def _references(self, value: Any) -> list[str]:
        """Every resource a value refers to, through Ref, GetAtt and Sub's ${...}."""
        if isinstance(value, list):
            return [r for v in value for r in self._references(v)]
        if not isinstance(value, dict):
            return []
        found = []
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str) and arg.split(".", 1)[0] in self.resources:
                found.append(arg.split(".", 1)[0])  # a Function.Alias is its function's
            elif key == "Fn::GetAtt":
                found.append((arg if isinstance(arg, list) else arg.split(".", 1))[0])
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                found += [m.split(".", 1)[0] for m in _SUB_VAR.findall(text) if m.split(".", 1)[0] in self.resources]
                found += self._references(arg[1]) if isinstance(arg, list) else []  # Sub's variable map
            else:
                found += self._references(arg)
        return found

    # ------------------------------------------------------------ functions
    def functions(self) -> dict[str, FunctionSpec]:
        defaults = self.raw.get("Globals", {}).get("Function", {})
        layers = self.of_type("AWS::Serverless::LayerVersion")
        specs = {}
        for logical_id, props in self.of_type("AWS::Serverless::Function").items():
            merged = {**defaults, **props}
            env = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **props.get("Environment", {}).get("Variables", {}),
            }
            layer_refs = merged.get("Layers", [])
            layer_dirs = [
                self.root / layers[ref["Ref"]]["ContentUri"]
                for ref in layer_refs
                if isinstance(ref, dict) and ref.get("Ref") in layers
            ]
            events = [
                EventSource(name, ev["Type"], ev.get("Properties", {})) for name, ev in props.get("Events", {}).items()
            ]
            reserved = merged.get("ReservedConcurrentExecutions")
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_dir=(self.root / merged["CodeUri"]).resolve(),
                handler=merged["Handler"],
                runtime=merged.get("Runtime", "python3.13"),
                timeout=int(self.resolve(merged.get("Timeout", 3), lambda *_: None)),
                memory=int(self.resolve(merged.get("MemorySize", 128), lambda *_: None)),
                reserved_concurrency=int(self.resolve(reserved, lambda *_: None)) if reserved is not None else None,
                environment=env,
                layer_dirs=[d.resolve() for d in layer_dirs],
                events=events,
            )
        return specs
