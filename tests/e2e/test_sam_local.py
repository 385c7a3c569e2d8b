"""`sam local start-api` against the local cloud's data plane (docs/sam-local.md).

The local cloud writes an --env-vars file at start; SAM CLI's own code says what each container
then gets. That part runs everywhere (no Docker). The last test runs SAM CLI for real: it needs a
Docker daemon (`docker info`) and the Lambda image of the template's Python (`make lambda-image`), and is
skipped with the reason otherwise (CI has no Docker daemon: it is skipped there)."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import boto3
import pytest

from localcloud.template import REGION, Template
from tests.support.cloud_client import run, submit, watch
from tests.support.cloud_process import FAST, free_port, start_cloud, stop_cloud

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
# What SAM CLI runs the template's python3.X x86_64 functions on.
LAMBDA_IMAGE = f"public.ecr.aws/lambda/python:{Template(TEMPLATE).functions()['ApiFunction'].runtime.removeprefix('python')}-x86_64"


def http_api_functions(template: Template) -> set[str]:
    """The functions the HTTP API invokes: its routes' and their authorizers'."""
    routes = template.http_routes()
    return {r.function for r in routes} | {r.authorizer.function for r in routes if r.authorizer}


def container_environments(functions: set[str], env_vars: dict, parameters: dict[str, str]) -> dict[str, dict[str, str]]:
    """What SAM CLI puts in each function's container, computed by SAM CLI's own code: its template
    resolution (with `--parameter-overrides`), then the --env-vars document."""
    from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
    from samcli.lib.providers.sam_function_provider import SamFunctionProvider
    from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

    stacks, _ = SamLocalStackProvider.get_stacks(str(TEMPLATE), parameter_overrides=parameters)
    provider = SamFunctionProvider(stacks)
    runner = LocalLambdaRunner(None, provider, str(ROOT), str(ROOT), env_vars_values=env_vars)  # type: ignore[arg-type]
    # _make_env_vars is how `sam local start-api` and `sam local invoke` build a container's environment.
    return {lid: runner._make_env_vars(provider.get(lid)).resolve() for lid in functions}  # noqa: SLF001


def declared(logical_id: str) -> set[str]:
    template = Template(TEMPLATE)
    return set(template.functions()[logical_id].environment)


def test_the_env_vars_file_gives_each_http_api_function_what_its_environment_declares_resolved_to_the_local_cloud(monkeypatch):
    # SAM CLI puts the caller's credentials in each container: dummy ones, as the documented command
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    # Given a local cloud started with parameter overrides (written beside its log, not the project's file)
    cloud = start_cloud(FAST, "--no-prewarm")
    try:
        env_vars = json.loads(Path(cloud.sam_env_vars).read_text())
        # FAST, and what the local cloud sets itself: its validator as the chain, with a faucet
        parameters = {**dict(p.split("=", 1) for p in FAST), "SolanaRpcUrl": cloud.solana, "ChainFaucet": "true"}
        functions = http_api_functions(Template(TEMPLATE))
        assert functions == {"ApiFunction", "ConsoleFunction", "AuthorizerFunction"}
        # When SAM CLI builds each container's environment from the template and that file
        given = container_environments(functions, env_vars, parameters)
        without_file = container_environments(functions, {}, parameters)
        credentials = {"region_name": REGION, "aws_access_key_id": "test", "aws_secret_access_key": "test"}
        dynamodb = boto3.client("dynamodb", endpoint_url=cloud.aws, **credentials)
        sqs = boto3.client("sqs", endpoint_url=cloud.sqs, **credentials)
        # Then every variable the function declares names the local cloud's endpoints and resources
        for logical_id in functions:
            environment = given[logical_id]
            assert declared(logical_id) <= set(environment), logical_id
            assert environment["AWS_ENDPOINT_URL"] == cloud.aws
            assert environment["AWS_ENDPOINT_URL_SQS"] == cloud.sqs
            assert environment["WEBSOCKET_URL"] == f"{cloud.ws}/dev"
            for name in declared(logical_id):
                value = environment[name]
                if name.endswith("_TABLE"):
                    dynamodb.describe_table(TableName=value)  # exists there (SAM alone names the logical id)
                    assert without_file[logical_id][name] != value
                elif name.endswith("_QUEUE_URL"):
                    sqs.get_queue_attributes(QueueUrl=value, AttributeNames=["QueueArn"])
                elif name == "CHAIN_KMS_KEY":  # the KMS key the cloud created (SAM alone names the logical id)
                    assert value and value != without_file[logical_id][name]
                elif name not in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "WEBSOCKET_URL"):
                    # A setting: the value the cloud runs with, as SAM resolves the same parameters
                    assert value == without_file[logical_id][name], (logical_id, name)
        # The settings follow the cloud's --param overrides (the template's default is 200)
        assert given["ApiFunction"]["SIM_QUOTE_DELAY_MS"] == "20"
        # Without the file a container would look for a table named after its logical id, on AWS
        assert without_file["ApiFunction"]["ORDERS_TABLE"] == "OrdersTable"
        assert without_file["ApiFunction"]["AWS_ENDPOINT_URL"] == ""
    finally:
        assert stop_cloud(cloud) == 0, cloud.log()[-3000:]


# ---------------------------------------------------------------- with Docker


def _docker(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def _docker_unavailable() -> str | None:
    """Why `sam local` cannot run here, or None."""
    if not shutil.which("docker"):
        return "no docker command (apt-get install docker.io)"
    try:
        if _docker("info").returncode != 0:
            return "no Docker daemon answers `docker info` (CI machines have none)"
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer in 30 s"
    if _docker("image", "inspect", LAMBDA_IMAGE).returncode != 0:
        return f"no {LAMBDA_IMAGE} image: build it with `make lambda-image` (no registry is needed)"
    return None


def _bridge_gateway() -> str:
    """The host's address on Docker's default bridge: what a Lambda container reaches it at."""
    answer = _docker("network", "inspect", "bridge")
    assert answer.returncode == 0, answer.stderr
    config = json.loads(answer.stdout)[0]["IPAM"]["Config"][0]
    # Docker 20.10 leaves the default bridge's Gateway out: it is the subnet's first address.
    return config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


def _answer(url: str, headers: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _wait_until_serving(url: str, sam: subprocess.Popen, log: Path, timeout_s: float = 600) -> None:
    """SAM CLI answers once its Flask server listens; the first request also builds its image."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert sam.poll() is None, log.read_text()[-3000:]
        try:
            if _answer(url)[0] == 200:
                return
        except (OSError, ValueError):
            time.sleep(0.5)
    raise AssertionError(f"sam local start-api did not serve {url} in {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.mark.timeout(900)  # sam build, then SAM CLI builds its image on the first request
def test_sam_local_start_api_serves_the_http_api_with_its_authorizer_and_the_local_cloud_executes_the_order(tmp_path):
    if reason := _docker_unavailable():
        pytest.skip(reason)
    # Given a local cloud on the address Docker's containers reach the host at, and a build
    cloud = start_cloud(FAST, host=_bridge_gateway())
    sam_env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "SAM_CLI_TELEMETRY": "0"}
    sam_cli = str(Path(sys.executable).with_name("sam"))
    build = tmp_path / "build"
    log = tmp_path / "sam.log"
    sam = None
    try:
        build_command = [sam_cli, "build", "--template", str(TEMPLATE), "--build-dir", str(build)]
        built = subprocess.run(build_command, cwd=ROOT, env=sam_env, capture_output=True, text=True, timeout=600)
        assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
        # When `sam local start-api` runs with the file the cloud wrote (the command its log prints)
        port = free_port()
        command = [sam_cli, "local", "start-api", "--template", str(build / "template.yaml"), "--env-vars", cloud.sam_env_vars]
        command += ["--region", REGION, "--skip-pull-image", "--warm-containers", "LAZY", "--port", str(port)]
        with log.open("w") as out:
            sam = subprocess.Popen(command, cwd=ROOT, env=sam_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        api = f"http://127.0.0.1:{port}"
        _wait_until_serving(f"{api}/health", sam, log)

        # Then the authorizer runs in its container too: no key, or an unknown one, is refused
        assert _answer(f"{api}/api/orders")[0] == 401
        assert _answer(f"{api}/api/orders", {"x-api-key": "sr_not_a_key"})[0] == 401

        async def scenario() -> tuple[dict, list[dict]]:
            async with aiohttp.ClientSession(headers=cloud.headers) as session:
                accepted = await submit(session, api)  # through SAM, with the cloud's demo key
                return accepted, await watch(session, f"{cloud.ws}/dev", accepted["orderId"])

        accepted, updates = run(scenario())
        # And the order, queued on the local cloud's SQS, is executed by its consumer
        assert accepted["websocketUrl"] == f"{cloud.ws}/dev"  # the container had the cloud's settings
        assert updates[-1]["status"] == "confirmed", updates
        status, order = _answer(f"{api}/api/orders/{accepted['orderId']}", cloud.headers)
        assert (status, order["status"]) == (200, "confirmed")
    finally:
        if sam is not None:
            _stop_sam(sam, log)
        assert stop_cloud(cloud) == 0, cloud.log()[-3000:]


def _stop_sam(sam: subprocess.Popen, log: Path) -> None:
    """Ctrl-C, which stops its warm containers; any it left behind are removed (only its own)."""
    if sam.poll() is None:
        os.killpg(sam.pid, signal.SIGINT)
        try:
            sam.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(sam.pid, signal.SIGKILL)
            sam.wait()
    for container in set(re.findall(r"SAM_CONTAINER_ID: ([0-9a-f]{64})", log.read_text())):
        if _docker("container", "inspect", container).returncode == 0:
            _docker("rm", "-f", container)

