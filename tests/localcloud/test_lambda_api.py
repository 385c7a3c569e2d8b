"""The Lambda Invoke API, driven by a real boto3 lambda client over HTTP."""

import asyncio
import json
import threading
import time

import boto3
import pytest
from aiohttp import web
from botocore.exceptions import ClientError

from localcloud.services.awslambda.async_invoke import AsyncInvoker
from localcloud.services.awslambda.api import LambdaApi
from tests.support.local_function import function


@pytest.fixture(scope="module")
def cloud():
    """The API in front of two fixture functions, served from an event loop in a thread."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def setup():
        functions = {"Count": function("app.count"), "Boom": function("app.boom")}
        invokers = {k: AsyncInvoker(f, max_retries=0) for k, f in functions.items()}
        runner = web.AppRunner(LambdaApi(functions, invokers.__getitem__).app())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return functions, invokers, runner

    functions, invokers, runner = asyncio.run_coroutine_threadsafe(setup(), loop).result(30)
    client = boto3.client(
        "lambda", endpoint_url=f"http://127.0.0.1:{runner.addresses[0][1]}",
        region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t",
    )  # fmt: skip
    yield client, functions

    async def teardown():
        await asyncio.gather(*(i.stop() for i in invokers.values()))
        await runner.cleanup()
        await asyncio.gather(*(f.stop() for f in functions.values()))

    asyncio.run_coroutine_threadsafe(teardown(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)


@pytest.mark.parametrize(
    "name",
    [
        "test-app.count",  # the physical name the local cloud gives the function
        "Count",  # its logical id
        "arn:aws:lambda:us-east-1:123456789012:function:test-app.count",
        "123456789012:function:test-app.count",
        "test-app.count:$LATEST",
    ],
)
def test_request_response_returns_the_functions_result(cloud, name):
    client, _ = cloud
    answer = client.invoke(FunctionName=name, Payload=json.dumps({"hello": 1}))
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert answer["ExecutedVersion"] == "$LATEST"
    result = json.loads(answer["Payload"].read())
    assert result["count"] >= 1 and result["request"] == answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_a_function_error_is_a_200_flagged_unhandled_with_the_error_as_payload(cloud):
    client, _ = cloud
    answer = client.invoke(FunctionName="Boom", Payload=json.dumps({"why": "bad"}))
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "boom: bad")
    assert error["stackTrace"] and error["requestId"]


def test_an_event_invocation_is_accepted_at_once_and_runs_in_the_background(cloud):
    client, functions = cloud
    before = functions["Count"].stats.invocations
    answer = client.invoke(FunctionName="Count", InvocationType="Event", Payload=b"{}")
    assert answer["StatusCode"] == 202 and answer["Payload"].read() == b""
    deadline = time.monotonic() + 30
    while functions["Count"].stats.invocations == before:
        assert time.monotonic() < deadline, "the Event invocation never ran"
        time.sleep(0.05)


def test_dry_run_and_errors_answer_like_lambda(cloud):
    client, _ = cloud
    assert client.invoke(FunctionName="Count", InvocationType="DryRun")["StatusCode"] == 204
    assert json.loads(client.invoke(FunctionName="Count")["Payload"].read())["count"] >= 1  # no payload: {}
    with pytest.raises(ClientError) as missing:
        client.invoke(FunctionName="Nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as qualified:
        client.invoke(FunctionName="Count:prod")  # only $LATEST exists locally
    assert qualified.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as not_json:
        client.invoke(FunctionName="Count", Payload=b"{nope")
    assert not_json.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as too_large:
        client.invoke(FunctionName="Count", InvocationType="Event", Payload=json.dumps({"x": "a" * (1024 * 1024)}))
    assert too_large.value.response["Error"]["Code"] == "RequestTooLargeException"
