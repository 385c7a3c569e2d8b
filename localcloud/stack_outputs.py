"""The template's Outputs as the local cloud has deployed them: what `aws cloudformation
describe-stacks` would answer, for clients that find a stack's tables and settings there.

An output is given only when every name it refers to is something the local cloud created
(a table, a queue, a function, an API's endpoint) or a parameter; any other (such as an
`execute-api` URL built from an API's id, which would name a host that does not exist) is left
out rather than answered with a made-up value."""

from __future__ import annotations

from typing import Any

from localcloud.resources import Deployed
from localcloud.template import Template


class _Unresolvable(LookupError):
    pass


def stack_outputs(template: Template, deployed: Deployed) -> dict[str, str]:
    def known(logical_id: str, name: str | None) -> Any:
        created = logical_id in deployed.tables or logical_id in deployed.queues or logical_id in deployed.function_names or logical_id in deployed.kms_keys
        api_endpoint = logical_id in deployed.api_endpoints and name == "ApiEndpoint"
        if not (created or api_endpoint):
            raise _Unresolvable(logical_id)
        value = deployed.attribute(logical_id, name)
        if value is None:
            raise _Unresolvable(f"{logical_id}.{name}")
        return value

    outputs = {}
    for name, output in (template.raw.get("Outputs") or {}).items():
        if "Condition" in output and not template.conditions.get(output["Condition"]):
            continue  # CloudFormation leaves out an output whose condition is false
        try:
            value = template.resolve(output.get("Value"), known)
        except (_Unresolvable, KeyError, ValueError):
            continue
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            outputs[name] = str(value)
    return outputs
