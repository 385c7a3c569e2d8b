"""`solroute ops status|redrive|order --stack-name` against a deployed stack as moto mocks it
(CloudFormation, SQS, DynamoDB, CloudWatch, CloudWatch Logs, Lambda): no AWS account. The stack
holds the real template's queues and tables (their properties as template.yaml declares them),
an alarm named as the template names them, and a function whose log group holds an order's lines."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from localcloud.template import Template
from solroute_cli.main import main

REGION = "eu-west-1"
ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("OrdersQueue", "SettleQueue", "TriggerWakeQueue", "OrdersDeadLetterQueue", "WebhookQueue", "WebhookDeadLetterQueue", "WebhookStreamFailureQueue")


def _stack_template() -> dict:
    real = Template(ROOT / "template.yaml", {}).raw
    resources = {k: real["Resources"][k] for k in (*QUEUES, "OrdersTable", "RateLimitTable")}
    resources["FunctionRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}},
    }  # fmt: skip
    resources["SettlerFunction"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"FunctionName": "prod-SettlerFunction", "Runtime": "python3.13", "Handler": "app.handler",
                       "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]}, "Code": {"ZipFile": "def handler(e, c): pass"}},
    }  # fmt: skip
    parameters = {"QueueVisibilityTimeout": real["Parameters"]["QueueVisibilityTimeout"]}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": parameters, "Resources": resources}


ALARM = {  # as the template names and describes its alarms
    "AlarmName": "prod-orders-dead-letters",
    "AlarmDescription": "A message reached the orders dead-letter queue. Runbook: docs/operations.md#orders-dead-letters",
    "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "Statistic": "Maximum", "Period": 60,
    "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
}  # fmt: skip


class _CloudFormationAlarm:
    """AWS::CloudWatch::Alarm as CloudFormation makes it (moto's has none): the alarm put, its name its physical id."""

    def __init__(self, name: str) -> None:
        self.physical_resource_id = name

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(cls, _name, resource_json, _account, region_name, **_):  # moto's CloudFormationModel hook
        boto3.client("cloudwatch", region_name=region_name).put_metric_alarm(**resource_json["Properties"])
        return cls(resource_json["Properties"]["AlarmName"])


@pytest.fixture
def stack(monkeypatch):
    from moto.cloudformation import parsing

    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    moto_types = parsing.resource_class_from_type
    monkeypatch.setattr(parsing, "resource_class_from_type", lambda t: _CloudFormationAlarm if t == "AWS::CloudWatch::Alarm" else moto_types(t))
    with mock_aws():
        template = _stack_template()
        template["Resources"]["OrdersDeadLetterAlarm"] = {"Type": "AWS::CloudWatch::Alarm", "Properties": ALARM}
        boto3.client("cloudformation", region_name=REGION).create_stack(StackName="prod", TemplateBody=json.dumps(template))
        # Other stacks' alarms: one whose name merely starts with this stack's name and a dash
        boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(**{**ALARM, "AlarmName": "other-stack-alarm"})
        boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(**{**ALARM, "AlarmName": "prod-eu-http-5xx"})
        yield {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in
               boto3.client("cloudformation", region_name=REGION).list_stack_resources(StackName="prod")["StackResourceSummaries"]}  # fmt: skip


def solroute(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--stack-name", "prod", "--region", REGION])
    out, err = capsys.readouterr()
    return code, out, err


def _dead_letter(stack: dict, body: dict) -> str:
    """A message that SQS itself dead-letters: received past OrdersQueue's maxReceiveCount (5)."""
    sqs = boto3.client("sqs", region_name=REGION)
    sent = sqs.send_message(QueueUrl=stack["OrdersQueue"], MessageBody=json.dumps(body))["MessageId"]
    for _ in range(6):
        sqs.receive_message(QueueUrl=stack["OrdersQueue"], VisibilityTimeout=0)
    return sent


def _depth(stack: dict, logical_id: str) -> int:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(QueueUrl=stack[logical_id], AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_status_shows_every_queue_dead_letters_orders_by_the_sparse_indexes_and_exits_1_in_alarm(stack, capsys):
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.put_item(TableName=stack["OrdersTable"], Item={"orderId": {"S": "o1"}, "status": {"S": "pending"}, "sweepKey": {"S": "pending"}, "startDeadlineMs": {"N": "1"}})
    dynamodb.put_item(TableName=stack["OrdersTable"], Item={"orderId": {"S": "o2"}, "status": {"S": "open"}, "openKey": {"S": "open#k1"}, "expiresAtMs": {"N": "9"}})
    dynamodb.put_item(TableName=stack["OrdersTable"], Item={"orderId": {"S": "o3"}, "status": {"S": "submitted"}})
    now_ms = int(time.time() * 1000)
    dynamodb.put_item(TableName=stack["RateLimitTable"], Item={"bucket": {"S": "trigger#lease"}, "holder": {"S": "run-1"}, "untilMs": {"N": str(now_ms + 30_000)},
                                                               "passedAtMs": {"N": str(now_ms - 95_000)}})  # fmt: skip
    _dead_letter(stack, {"orderId": "o3"})
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(Namespace="AWS/SQS", MetricData=[{
        "MetricName": "ApproximateAgeOfOldestMessage", "Dimensions": [{"Name": "QueueName", "Value": stack["OrdersDeadLetterQueue"].rsplit("/", 1)[1]}],
        "Value": 42, "Unit": "Seconds"}])  # fmt: skip

    code, out, _ = solroute(capsys, "ops", "status", "--json")
    status = json.loads(out)
    assert code == 0  # no alarm in ALARM
    assert {q["logicalId"] for q in status["queues"]} == set(QUEUES)
    (dead,) = [q for q in status["queues"] if q["logicalId"] == "OrdersDeadLetterQueue"]
    assert dead["deadLetter"] and dead["visible"] == 1 and dead["oldestAgeSeconds"] == 42
    # Without --scan-orders: only the sparse indexes are read (the submitted order is not counted)
    assert status["orders"]["inFlight"] == {"pending": 1} and status["orders"]["open"] == 1
    trigger = status["rateLimiter"]["trigger"]
    assert trigger["passedAtMs"] == now_ms - 95_000 and trigger["passedAgoSeconds"] >= 95
    assert trigger["lease"]["holder"] == "run-1" and trigger["lease"]["untilMs"] == now_ms + 30_000
    # Only this stack's alarms, by name: not prod-eu-http-5xx (another stack's, though it starts with "prod-")
    assert [(a["logicalId"], a["name"], a["state"], a["runbook"]) for a in status["alarms"]] == [
        ("OrdersDeadLetterAlarm", "prod-orders-dead-letters", "OK", "orders-dead-letters")]  # fmt: skip

    code, out, _ = solroute(capsys, "ops", "status")
    assert code == 0 and re.search(r"trigger: last judged every open order \d+ s ago \(lease held by run-1 until \d\d:\d\d:\d\d UTC", out)

    code, out, _ = solroute(capsys, "ops", "status", "--json", "--scan-orders")
    assert json.loads(out)["orders"]["inFlight"] == {"pending": 1, "routing": 0, "building": 0, "submitted": 1}

    boto3.client("cloudwatch", region_name=REGION).set_alarm_state(AlarmName="prod-orders-dead-letters", StateValue="ALARM", StateReason="test")
    code, out, _ = solroute(capsys, "ops", "status")
    assert code == 1
    assert "ALARM" in out and "OrdersDeadLetterAlarm  docs/operations.md#orders-dead-letters" in out and "<< dead letters" in out


def test_redrive_dry_run_moves_nothing_then_the_message_goes_back_to_its_queue(stack, capsys):
    sent = _dead_letter(stack, {"orderId": "order-7"})
    assert (_depth(stack, "OrdersQueue"), _depth(stack, "OrdersDeadLetterQueue")) == (0, 1)

    code, out, _ = solroute(capsys, "ops", "redrive", "OrdersDeadLetterQueue", "--dry-run", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["dryRun"] and listed["moved"] == []
    assert [(m["messageId"], m["orderId"]) for m in listed["messages"]] == [(sent, "order-7")]
    assert (_depth(stack, "OrdersQueue"), _depth(stack, "OrdersDeadLetterQueue")) == (0, 1)  # visible again, where it was

    code, out, _ = solroute(capsys, "ops", "redrive", stack["OrdersDeadLetterQueue"].rsplit("/", 1)[1])  # by its deployed name
    assert code == 0 and "moved 1 message(s) from OrdersDeadLetterQueue" in out
    assert (_depth(stack, "OrdersQueue"), _depth(stack, "OrdersDeadLetterQueue")) == (1, 0)
    (back,) = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=stack["OrdersQueue"])["Messages"]
    assert json.loads(back["Body"]) == {"orderId": "order-7"}

    code, _, err = solroute(capsys, "ops", "redrive", "OrdersQueue")
    assert code == 1 and "OrdersQueue is no dead-letter queue" in err


def test_order_merges_every_function_log_group_lines_that_name_the_order(stack, capsys):
    logs = boto3.client("logs", region_name=REGION)
    group = f"/aws/lambda/{stack['SettlerFunction']}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now_ms = int(time.time() * 1000)
    lines = [
        {"level": "INFO", "message": "order confirmed: Confirmed", "correlation_id": "ord-1", "status": "confirmed", "service": "solroute"},
        {"level": "INFO", "message": "another order", "correlation_id": "ord-2"},
    ]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms + i, "message": json.dumps(r)} for i, r in enumerate(lines)])

    code, out, _ = solroute(capsys, "ops", "order", "ord-1", "--since", "1h")
    assert code == 0
    assert "not in the orders table" in out
    (line,) = [x for x in out.splitlines() if "SettlerFunction" in x]
    assert "INFO" in line and "order confirmed: Confirmed  status=confirmed" in line and "service=" not in line
    assert "another order" not in out


def test_status_neither_lists_nor_counts_another_stacks_alarm_in_alarm(stack, capsys):
    """Stack prod-eu's alarm prod-eu-http-5xx starts with "prod-": by prefix it would make prod's status exit 1."""
    boto3.client("cloudwatch", region_name=REGION).set_alarm_state(AlarmName="prod-eu-http-5xx", StateValue="ALARM", StateReason="prod-eu's")
    code, out, _ = solroute(capsys, "ops", "status", "--json")
    assert code == 0 and [a["name"] for a in json.loads(out)["alarms"]] == ["prod-orders-dead-letters"]
    code, out, _ = solroute(capsys, "ops", "status")
    assert code == 0 and "prod-eu" not in out


def test_status_exits_3_when_describe_alarms_is_refused_and_1_still_wins(stack, capsys):
    from botocore.awsrequest import AWSResponse

    from solroute_cli.ops import status, target

    def refuse(**_):  # CloudWatch's answer to a role without cloudwatch:DescribeAlarms
        return AWSResponse("https://monitoring", 403, {}, None), {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: cloudwatch:DescribeAlarms"}}

    prod = target.aws_stack("prod", REGION)
    prod.session.events.register("before-call.cloudwatch.DescribeAlarms", refuse)
    found = status.gather(prod)
    assert found.alarms is None and found.notes[-1].startswith("alarms: unknown: DescribeAlarms refused (AccessDenied")
    assert status.show(found, prod.where, as_json=False) == 3
    out = capsys.readouterr().out
    assert "alarms unknown (not read): exit 3" in out and "note: alarms: unknown: DescribeAlarms refused" in out

    found.alarms = [{"logicalId": "A", "name": "prod-a", "state": "ALARM", "reason": "", "runbook": None}]
    assert status.show(found, prod.where, as_json=True) == 1


def _drain(queue_url: str) -> list[str]:
    sqs, bodies = boto3.client("sqs", region_name=REGION), []
    while got := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages", []):
        bodies += [m["Body"] for m in got]
    return bodies


def test_a_redrive_of_more_than_10_moves_each_message_once_holding_one_batch_at_a_time(stack, capsys):
    """Each batch is sent and deleted before the next is received: no message stays hidden (and may come back into
    DeadLetterFunction's sight, to be delivered twice) while the others move."""
    from solroute_cli.ops import redrive, target

    sqs, dead_letters = boto3.client("sqs", region_name=REGION), stack["OrdersDeadLetterQueue"]
    _dead_letter(stack, {"orderId": "order-0"})
    for i in range(1, 25):
        sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps({"orderId": f"order-{i}"}))
    prod, hidden = target.aws_stack("prod", REGION), []

    def count_hidden(**_):  # at each send: how many messages the redrive keeps hidden on the dead-letter queue
        attributes = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        hidden.append(int(attributes["ApproximateNumberOfMessagesNotVisible"]))

    for operation in ("SendMessage", "SendMessageBatch"):
        prod.session.events.register(f"before-call.sqs.{operation}", count_hidden)

    assert redrive.redrive(prod, "OrdersDeadLetterQueue", dry_run=False, most=12, as_json=True) == 0  # --max 12: stops there
    assert hidden and max(hidden) <= 10
    answer = json.loads(capsys.readouterr().out)
    assert len(answer["moved"]) == 12 and answer["failed"] == [] and _depth(stack, "OrdersDeadLetterQueue") == 13
    assert redrive.redrive(prod, "OrdersDeadLetterQueue", dry_run=False, most=100, as_json=False) == 0
    assert "moved 13 message(s) from OrdersDeadLetterQueue" in capsys.readouterr().out and max(hidden) <= 10
    assert sorted(_drain(stack["OrdersQueue"])) == sorted(json.dumps({"orderId": f"order-{i}"}) for i in range(25))  # each exactly once
    assert _drain(dead_letters) == []


def test_a_batch_entry_that_fails_is_reported_and_counted_not_claimed_moved(stack, capsys):
    from solroute_cli.ops import redrive, target

    sqs, dead_letters = boto3.client("sqs", region_name=REGION), stack["WebhookDeadLetterQueue"]
    sent = [sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps({"orderId": f"o-{i}"}))["MessageId"] for i in range(4)]
    prod = target.aws_stack("prod", REGION)

    def refuse_one_send(params, **_):  # a DelaySeconds SQS refuses: that entry comes back in the answer's Failed
        params["Entries"][1]["DelaySeconds"] = 901

    def spoil_one_delete(params, **_):  # a receipt handle SQS does not know: that entry comes back in Failed
        params["Entries"][0]["ReceiptHandle"] = "not-a-receipt-handle"

    prod.session.events.register("before-parameter-build.sqs.SendMessageBatch", refuse_one_send)
    prod.session.events.register("before-parameter-build.sqs.DeleteMessageBatch", spoil_one_delete)
    assert redrive.redrive(prod, "WebhookDeadLetterQueue", dry_run=False, most=100, as_json=True) == 1
    answer = json.loads(capsys.readouterr().out)
    assert [(f["messageId"], f["step"]) for f in answer["failed"]] == [(sent[1], "send"), (sent[0], "delete")]
    assert sorted(m["messageId"] for m in answer["moved"]) == sorted(sent[2:])
    assert sorted(_drain(stack["WebhookQueue"])) == sorted(json.dumps({"orderId": f"o-{i}"}) for i in (0, 2, 3))

    sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps({"orderId": "o-9"}))
    prod.session.events.unregister("before-parameter-build.sqs.DeleteMessageBatch", spoil_one_delete)
    sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps({"orderId": "o-10"}))
    assert redrive.redrive(prod, "WebhookDeadLetterQueue", dry_run=False, most=100, as_json=False) == 1
    out = capsys.readouterr().out
    assert "NOT moved (send failed): InvalidParameterValue" in out and "moved 1 message(s)" in out and "1 message(s) failed" in out and "exit 1" in out
