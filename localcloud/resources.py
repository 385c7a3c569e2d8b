"""Create the template's tables, queues and KMS keys on an AWS endpoint (moto, LocalStack or
AWS), with the properties written there, and answer Ref/GetAtt for them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from localcloud.template import ACCOUNT_ID, REGION, Template

# Queue properties the SQS API takes as attributes (by the template's property names).
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


@dataclass
class Deployed:
    """Physical names of the local resources, keyed by logical id."""

    prefix: str
    tables: dict[str, dict] = field(default_factory=dict)
    queues: dict[str, dict] = field(default_factory=dict)
    api_endpoints: dict[str, str] = field(default_factory=dict)
    function_names: dict[str, str] = field(default_factory=dict)
    kms_keys: dict[str, dict] = field(default_factory=dict)

    def attribute(self, logical_id: str, name: str | None) -> Any:
        if logical_id in self.tables:
            table = self.tables[logical_id]
            return {None: table["name"], "Arn": table["arn"], "StreamArn": table.get("stream_arn")}[name]
        if logical_id in self.queues:
            queue = self.queues[logical_id]
            return {None: queue["url"], "Arn": queue["arn"], "QueueName": queue["name"]}[name]
        if logical_id in self.api_endpoints:
            return {None: logical_id.lower(), "ApiEndpoint": self.api_endpoints[logical_id], "ApiId": logical_id.lower()}[name]
        if logical_id in self.kms_keys:
            key = self.kms_keys[logical_id]
            return {None: key["id"], "Arn": key["arn"]}[name]
        if logical_id in self.function_names:
            fn = self.function_names[logical_id]
            return {None: fn, "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}"}[name]
        if name is None:
            return logical_id
        return f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{logical_id}/{name}"

    def environment(self, template: Template, variables: dict) -> dict[str, str]:
        resolved = template.resolve(variables, self.attribute)
        return {k: str(v) for k, v in resolved.items() if v is not None}


def _table_request(name: str, props: dict) -> dict:
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = props.get("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            {k: v for k, v in gsi.items() if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")}
            for gsi in props["GlobalSecondaryIndexes"]
        ]
    if props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": props["StreamSpecification"]["StreamViewType"]}
    return request


def deploy(template: Template, dynamodb: Any, sqs: Any, prefix: str, api_endpoints: dict[str, str] | None = None, kms: Any = None) -> Deployed:
    """Create (or reuse) every table and queue, and (given ``kms``) every KMS key whose condition
    holds; returns their physical names."""
    deployed = Deployed(prefix=prefix, api_endpoints=dict(api_endpoints or {}))
    for logical_id, resource in template.resources.items():
        if resource.get("Type") != "AWS::KMS::Key" or kms is None:
            continue
        if "Condition" in resource and not template.conditions.get(resource["Condition"]):
            continue
        description = str(template.resolve(resource.get("Properties", {}).get("Description", logical_id), deployed.attribute))
        metadata = kms.create_key(Description=description, KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
        deployed.kms_keys[logical_id] = {"id": metadata["KeyId"], "arn": metadata["Arn"]}
    for logical_id in template.of_type("AWS::Serverless::Function"):
        deployed.function_names[logical_id] = f"{prefix}-{logical_id}"

    for logical_id, props in template.of_type("AWS::DynamoDB::Table").items():
        name = f"{prefix}-{logical_id}"
        try:
            description = dynamodb.create_table(**_table_request(name, props))["TableDescription"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise
            description = dynamodb.describe_table(TableName=name)["Table"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            try:
                dynamodb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
                )
            except ClientError as error:  # already enabled on a reused table
                if "already enabled" not in str(error).lower():
                    raise
        deployed.tables[logical_id] = {
            "name": name,
            "arn": description["TableArn"],
            "stream_arn": description.get("LatestStreamArn"),
        }

    queues = template.of_type("AWS::SQS::Queue")
    for logical_id, props in queues.items():
        name = f"{prefix}-{logical_id}" + (".fifo" if props.get("FifoQueue") else "")
        values = {k: template.resolve(props[k], deployed.attribute) for k in _QUEUE_ATTRIBUTES if k in props}
        attributes = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        deployed.queues[logical_id] = {"name": name, "url": url, "arn": arn}
    # Redrive policies name other queues, so they are set once every queue exists.
    for logical_id, props in queues.items():
        if "RedrivePolicy" in props:
            policy = template.resolve(props["RedrivePolicy"], deployed.attribute)
            sqs.set_queue_attributes(QueueUrl=deployed.queues[logical_id]["url"], Attributes={"RedrivePolicy": json.dumps(policy)})
    return deployed
