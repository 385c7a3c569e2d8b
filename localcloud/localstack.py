"""`solroute up --localstack`: DynamoDB, DynamoDB Streams and SQS from a running LocalStack.

LocalStack runs in Docker and, since March 2026, needs an auth token (``LOCALSTACK_AUTH_TOKEN``)
even for its free image. Its free edition has no API Gateway v2 WebSocket APIs, and it runs
Lambda functions in containers; so with ``--localstack`` the local cloud still serves both
APIs, runs the functions and their event sources itself, and takes from LocalStack only the
services it keeps state in. Where LocalStack is found is ``localstack-client``'s answer: its
edge URL from ``LOCALSTACK_HOST`` (``localhost:4566`` by default) and ``USE_SSL``, or
``AWS_ENDPOINT_URL`` when that is set.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from localstack_client import config as localstack_config

SERVICES = ("dynamodb", "dynamodbstreams", "sqs")
HEALTH_PATH = "/_localstack/health"  # https://docs.localstack.cloud/references/internal-endpoints/
USABLE = {"available", "running"}


class LocalStackUnavailable(RuntimeError):
    """Nothing usable answers where LocalStack should be; the message says what to do."""


@dataclass(frozen=True)
class Found:
    url: str
    description: str  # what answered, for the log


def endpoint() -> str:
    url = localstack_config.get_service_endpoint("dynamodb")
    assert url is not None  # localstack-client knows every boto3 service
    return url.rstrip("/")


def find(timeout_s: float = 3.0) -> Found:
    """Where LocalStack is, checked: its health endpoint must list the services the engine
    keeps state in as available. An endpoint with no health page (a moto server standing in,
    or AWS itself) is used as a plain AWS endpoint, and the log says so."""
    url = endpoint()
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout_s) as response:
            health = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return Found(url, f"{url} (no {HEALTH_PATH}: not LocalStack; used as a plain AWS endpoint)")
        raise LocalStackUnavailable(f"LocalStack at {url} answered {error.code} to {HEALTH_PATH}") from error
    except (OSError, ValueError) as error:
        raise LocalStackUnavailable(
            f"nothing answers as LocalStack at {url} ({error}). Start LocalStack (it needs Docker and, "
            "since March 2026, LOCALSTACK_AUTH_TOKEN), or point LOCALSTACK_HOST at it (host:port)."
        ) from error
    services = health.get("services", {}) if isinstance(health, dict) else {}
    missing = [s for s in SERVICES if services.get(s) not in USABLE]
    if missing:
        states = ", ".join(f"{s}: {services.get(s, 'absent')}" for s in missing)
        raise LocalStackUnavailable(f"LocalStack at {url} does not offer what the engine needs ({states}); enable them with SERVICES=dynamodb,dynamodbstreams,sqs")
    edition = health.get("edition", "unknown edition")
    return Found(url, f"LocalStack {health.get('version', '')} ({edition}) at {url}".replace("  ", " "))
