"""Every source of the local cloud's metrics feeds its store, and a template's alarms on them
fire: functions' EMF lines, AWS/Lambda (invocations, errors, throttles over the reserved
concurrency, duration, concurrency), AWS/SQS and AWS/ApiGateway. A small template, real functions,
`solroute up` as a process, driven over HTTP, SQS and the Lambda Invoke API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.support.cloud_process import start_cloud, stop_cloud

CODE = Path(__file__).resolve().parent / "fixture_function"


def _alarm(name: str, namespace: str, metric: str, dimensions: str, statistic: str = "Sum") -> str:
    return f"""
  {name}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${{AWS::StackName}}-{name}"
      AlarmDescription: "{metric}. Runbook: docs/operations.md#{name.lower()}"
      Namespace: {namespace}
      MetricName: {metric}
      Dimensions: {dimensions}
      Statistic: {statistic}
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref Topic]
      OKActions: [!Ref Topic]"""


TEMPLATE = f"""
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {{ Runtime: python3.13, CodeUri: {CODE}, Timeout: 10 }}
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Api:
    Type: AWS::Serverless::HttpApi
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy: {{ deadLetterTargetArn: !GetAtt DeadQueue.Arn, maxReceiveCount: 1 }}
  DeadQueue:
    Type: AWS::SQS::Queue
  EmfFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.emf
      Events:
        Get: {{ Type: HttpApi, Properties: {{ ApiId: !Ref Api, Path: /emf, Method: GET }} }}
  BoomFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.boom
      Events:
        Get: {{ Type: HttpApi, Properties: {{ ApiId: !Ref Api, Path: /boom, Method: GET }} }}
        Work: {{ Type: SQS, Properties: {{ Queue: !GetAtt WorkQueue.Arn, BatchSize: 1 }} }}
  SleepFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.sleep
      ReservedConcurrentExecutions: 1
      EventInvokeConfig: {{ MaximumRetryAttempts: 0 }}
{_alarm("EmfAlarm", "Fixture", "Things", "[{Name: service, Value: fixture}]")}
{_alarm("BoomErrorsAlarm", "AWS/Lambda", "Errors", "[{Name: FunctionName, Value: !Ref BoomFunction}]")}
{_alarm("ThrottlesAlarm", "AWS/Lambda", "Throttles", "[{Name: FunctionName, Value: !Ref SleepFunction}]")}
{_alarm("Api5xxAlarm", "AWS/ApiGateway", "5xx", "[{Name: ApiId, Value: !Ref Api}, {Name: Stage, Value: $default}]")}
  DeadLetterAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: "Dead letters. Runbook: docs/operations.md#dead-letters"
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Threshold: 1
      EvaluationPeriods: 1
      Metrics:
        - Id: visible
          ReturnData: false
          MetricStat:
            Metric: {{ Namespace: AWS/SQS, MetricName: ApproximateNumberOfMessagesVisible, Dimensions: [{{Name: QueueName, Value: !GetAtt DeadQueue.QueueName}}] }}
            Period: 60
            Stat: Maximum
        - Id: received
          ReturnData: false
          MetricStat:
            Metric: {{ Namespace: AWS/SQS, MetricName: NumberOfMessagesReceived, Dimensions: [{{Name: QueueName, Value: !GetAtt DeadQueue.QueueName}}] }}
            Period: 60
            Stat: Sum
        - Id: total
          Expression: FILL(visible, 0) + FILL(received, 0)
          ReturnData: true
"""
ALARMS = ("EmfAlarm", "BoomErrorsAlarm", "ThrottlesAlarm", "Api5xxAlarm", "DeadLetterAlarm")


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def _alarms_until(cloud, done, deadline_s: float = 60) -> dict[str, dict]:
    deadline = time.monotonic() + deadline_s
    while True:
        alarms = {a["logicalId"]: a for a in _get(f"{cloud.http}/_localcloud/alarms")["alarms"]}
        if done(alarms) or time.monotonic() > deadline:
            return alarms
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    template = tmp_path_factory.mktemp("cloudwatch") / "template.yaml"
    template.write_text(TEMPLATE)
    running = start_cloud([], "--template", str(template))
    yield running
    assert stop_cloud(running) == 0, running.log()[-3000:]


def test_each_source_feeds_the_metrics_and_the_alarms_on_them_fire(cloud):
    # Before anything happens, no alarm has a whole period yet
    first = _get(f"{cloud.http}/_localcloud/alarms")
    assert {a["logicalId"]: a["state"] for a in first["alarms"]} == dict.fromkeys(ALARMS, "INSUFFICIENT_DATA")
    assert first["evaluatedAtMs"] > 0
    # When a function prints EMF, a function fails behind the HTTP API and behind a queue whose
    # message then dead-letters, and two invocations want a function with one reserved slot
    assert _status(f"{cloud.http}/emf") == 200
    assert _status(f"{cloud.http}/boom") == 500
    assert _status(f"{cloud.http}/nowhere") == 404
    sqs = boto3.client("sqs", endpoint_url=cloud.sqs, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=_queue(sqs, "WorkQueue"))["QueueUrl"], MessageBody="{}")
    awslambda = boto3.client("lambda", endpoint_url=cloud.lambda_endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    sleeper = _function(cloud, "SleepFunction")
    for _ in range(2):
        awslambda.invoke(FunctionName=sleeper, InvocationType="Event", Payload=json.dumps({"seconds": 1}))

    # Then every alarm fires, each on its own source
    alarms = _alarms_until(cloud, lambda a: all(x["state"] == "ALARM" for x in a.values()))
    assert {k: a["state"] for k, a in alarms.items()} == dict.fromkeys(ALARMS, "ALARM"), alarms
    assert alarms["DeadLetterAlarm"]["reason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [1 (")
    assert alarms["EmfAlarm"]["value"] == 3.0  # an EMF array: a datapoint per value
    assert alarms["DeadLetterAlarm"]["runbook"] == "dead-letters" and alarms["DeadLetterAlarm"]["periodSeconds"] == 60
    assert _get(f"{cloud.http}/_localcloud/stats")["alarms"] == dict.fromkeys(ALARMS, "ALARM")
    log = cloud.log()
    assert "alarm BoomErrorsAlarm: INSUFFICIENT_DATA -> ALARM: Threshold Crossed: 1 out of the last 1 datapoints" in log
    assert "alarm BoomErrorsAlarm: would notify Topic (ALARM; the local cloud sends no notification)" in log

    # And the metrics endpoint answers each source's metrics over the last period
    api = {"ApiId": "api", "Stage": "$default"}
    queries = [
        ("count", "AWS/ApiGateway", "Count", api, "Sum"),
        ("fourxx", "AWS/ApiGateway", "4xx", api, "Sum"),
        ("latency", "AWS/ApiGateway", "Latency", api, "Maximum"),
        ("invocations", "AWS/Lambda", "Invocations", {"FunctionName": _function(cloud, "EmfFunction")}, "Sum"),
        ("duration", "AWS/Lambda", "Duration", {"FunctionName": sleeper}, "Minimum"),
        ("concurrent", "AWS/Lambda", "ConcurrentExecutions", {"FunctionName": sleeper}, "Maximum"),
        ("sent", "AWS/SQS", "NumberOfMessagesSent", {"QueueName": _queue(sqs, "WorkQueue")}, "Sum"),
        ("received", "AWS/SQS", "NumberOfMessagesReceived", {"QueueName": _queue(sqs, "WorkQueue")}, "Sum"),
        ("age", "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": _queue(sqs, "DeadQueue")}, "Maximum"),
        ("things", "Fixture", "Things", {"service": "fixture"}, "p50"),
        ("nothing", "Fixture", "Things", {"service": "other"}, "Sum"),
    ]
    body = {"queries": [{"id": i, "namespace": n, "metricName": m, "dimensions": d, "stat": s, "periodSeconds": 300} for i, n, m, d, s in queries]}
    results = _post(f"{cloud.http}/_localcloud/metrics", body)["results"]
    assert results["count"] == 3 and results["fourxx"] == 1 and results["latency"] > 0
    assert results["invocations"] == 1 and results["duration"] >= 1000 and results["concurrent"] == 1
    assert results["sent"] == 1 and results["received"] >= 1 and results["age"] >= 0
    assert results["things"] == 1 and results["nothing"] is None


@pytest.mark.parametrize(("stat", "period", "why"), [
    ("Median", 60, "statistic 'Median' is not one the local cloud computes"),
    ("Sum", 1e9, "periodSeconds must be between 1 and"),  # a window reads each of its seconds: never a billion
    ("Sum", -5, "periodSeconds must be between 1 and"),
])  # fmt: skip
def test_a_bad_metrics_query_is_a_400_that_says_why(cloud, stat, period, why):
    request = {"queries": [{"id": "a", "namespace": "N", "metricName": "M", "stat": stat, "periodSeconds": period}]}
    try:
        _post(f"{cloud.http}/_localcloud/metrics", request)
    except urllib.error.HTTPError as error:
        assert error.code == 400
        assert why in json.loads(error.read())["message"]
    else:
        raise AssertionError("a bad query was answered")


def _queue(sqs, logical_id: str) -> str:
    return next(url for url in sqs.list_queues()["QueueUrls"] if url.endswith(f"-{logical_id}")).rsplit("/", 1)[-1]


def _function(cloud, logical_id: str) -> str:
    return f"solroute-dev-{logical_id}"  # the deployed name: the stage's prefix and the logical id
