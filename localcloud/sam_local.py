"""The `--env-vars` file for `sam local start-api` (and `sam local invoke`): every function's
environment as the local cloud gives it, so that the functions SAM CLI runs in containers use
this cloud's tables, queues and settings (the data plane), and its consumers execute the orders.

SAM CLI gives a container only the variables the template declares (Environment.Variables),
each with the value the file names for the function's logical id, else the file's "Parameters"
(SAM's "all functions" key), else its own resolution of the template, where a table's Ref is
its logical id ("OrdersTable"), a table that exists nowhere. The endpoints boto3 needs
(AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS) are therefore declared in template.yaml's Globals as
AWS::NoValue: absent on AWS, set from this file locally.

A container reaches the endpoints the file names only if they are on an address it can reach:
not 127.0.0.1 (its own loopback). SAM CLI 1.170 has no host network (`--docker-network host`
leaves the container on Docker's bridge), so on Linux the local cloud listens on the bridge's
address on the host (docker0, usually 172.17.0.1): `solroute up --host 172.17.0.1`."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Mapping

from localcloud.resources import Deployed
from localcloud.template import REGION, Template

ENV_VARS_FILE = Path(".aws-sam") / "localcloud-env.json"  # beside the template: build output, out of git
SAM_LOCAL_PORT = 3100  # sam local start-api's own port: its default, 3000, is the local cloud's
# SAM CLI passes the caller's AWS credentials into every container; the local endpoints take any,
# so give it dummy ones, never a real key. The region must be the one the tables were made in.
_DUMMY_CREDENTIALS = "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"


def env_vars(template: Template, deployed: Deployed, aws_endpoint: str, sqs_endpoint: str = "") -> dict[str, dict[str, str]]:
    """SAM's env-vars document: {"Parameters": the endpoints, <LogicalId>: its environment}."""
    endpoints = {"AWS_ENDPOINT_URL": aws_endpoint, **({"AWS_ENDPOINT_URL_SQS": sqs_endpoint} if sqs_endpoint else {})}
    functions = {lid: deployed.environment(template, spec.environment) for lid, spec in template.functions().items()}
    return {"Parameters": endpoints, **functions}


def write_env_vars(path: Path, document: Mapping[str, Mapping[str, str]]) -> None:
    """Write atomically: `sam local` started meanwhile reads the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    partial.replace(path)


def start_api_command(path: Path, cwd: Path) -> str:
    """The command, run from the template's folder after `sam build`, that serves the HTTP API."""
    shown = path.relative_to(cwd) if path.is_relative_to(cwd) else path
    return (
        f"{_DUMMY_CREDENTIALS} .venv/bin/sam local start-api --env-vars {shown} --region {REGION}"
        f" --skip-pull-image --warm-containers LAZY --port {SAM_LOCAL_PORT}"
    )


def reachable_from_containers(host: str) -> bool:
    """False for a loopback or unspecified address: a container's own, not this machine's."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host != "localhost"
    return not (address.is_loopback or address.is_unspecified)


def publish(path: Path, template: Template, deployed: Deployed, aws_endpoint: str, sqs_endpoint: str, host: str) -> str:
    """Write the env-vars file; the log line that says where, and how to use it. A file that cannot
    be written costs `sam local` its file, never the local cloud its start."""
    try:
        write_env_vars(path, env_vars(template, deployed, aws_endpoint, sqs_endpoint))
    except OSError as error:
        return f"could not write the env-vars file for `sam local` ({error}); --sam-env-vars PATH writes it elsewhere"
    if not reachable_from_containers(host):
        return (
            f"wrote {path} for `sam local`; its endpoints are on {host}, which a container cannot reach: "
            "start with --host set to Docker's bridge address (docker0, usually 172.17.0.1) to use it (docs/sam-local.md)"
        )
    return f"wrote {path} for `sam local` (after sam build): {start_api_command(path, template.root)}"
