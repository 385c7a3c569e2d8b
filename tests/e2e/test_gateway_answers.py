"""End-to-end: what the local cloud answers itself, as API Gateway does, in JSON, echoing nothing.

- A request addressed to a host it does not serve, as a DNS-rebinding page's requests are (Host:
  the page's own name), is refused by every server with a JSON 403 that gives nothing away;
  addressed to localhost it is answered as usual, and the console still loads.
- A route the API does not have is API Gateway's own 404 {"message": "Not Found"} (docs/api.md).
- A URL over API Gateway's limit (10,240 bytes of request line and header values) is 413
  {"message": "Request Entity Too Large"}."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import aiohttp
import pytest

from tests.support.cloud_client import run

FORGED = "rebind.attacker.example:3000"


def answer(url: str, host: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, data=data, headers={"Host": host, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def endpoints(cloud) -> dict[str, tuple[str, str, bytes | None, dict]]:
    """Each server, with a request it would answer: (url, method, body, headers)."""
    amz = {"content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.ListTables"}
    sqs = {"content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues"}
    return {
        "health page": (f"{cloud.http}/_localcloud/health", "GET", None, {}),
        "console": (f"{cloud.http}/", "GET", None, {}),
        "HTTP API": (f"{cloud.http}/api/orders", "GET", None, cloud.headers),
        "DynamoDB": (cloud.aws, "POST", b"{}", amz),
        "SQS": (cloud.sqs, "POST", b"{}", sqs),
        "Lambda API": (f"{cloud.lambda_endpoint}/2015-03-31/functions/SweeperFunction/invocations", "POST", b"{}", {"X-Amz-Invocation-Type": "DryRun"}),
        "@connections": (f"{cloud.ws.replace('ws://', 'http://')}/dev/@connections/nope", "GET", None, {}),
    }


@pytest.mark.parametrize("server", ["health page", "console", "HTTP API", "DynamoDB", "SQS", "Lambda API", "@connections"])
def test_a_request_addressed_to_another_host_is_refused_and_to_localhost_answered(cloud, server):
    url, method, body, headers = endpoints(cloud)[server]
    port = url.split("://", 1)[1].split("/", 1)[0].rpartition(":")[2]
    status, refused = answer(url, FORGED, method, body, headers)
    assert status == 403, (server, status, refused[:200])
    assert list(json.loads(refused)) == ["message"] and "rebinding" in json.loads(refused)["message"]
    assert cloud.api_key.encode() not in refused and b"attacker" not in refused, "nothing given away, nothing echoed"
    status, served = answer(url, f"localhost:{port}", method, body, headers)
    assert status != 403, (server, served[:200])


def test_a_websocket_handshake_addressed_to_another_host_is_refused(cloud):
    async def handshake(host: str) -> int:
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            try:
                async with session.ws_connect(f"{cloud.ws}/dev", headers={"Host": host}):
                    return 101
            except aiohttp.WSServerHandshakeError as error:
                return error.status

    assert run(handshake(FORGED)) == 403
    assert run(handshake("localhost")) == 101


def test_a_route_the_api_does_not_have_is_api_gateways_own_json_404(cloud):
    for method, path in (("GET", "/nowhere"), ("PUT", "/api/orders/x"), ("GET", "/api/orderz"), ("POST", "/health")):
        status, body = answer(f"{cloud.http}{path}", cloud.http.split("://", 1)[1], method, b"{}" if method != "GET" else None, cloud.headers)
        assert (status, json.loads(body)) == (404, {"message": "Not Found"}), (method, path)


def test_a_url_over_the_limit_is_a_json_413_that_echoes_nothing(cloud):
    mark = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    status, body = answer(f"{cloud.http}/api/orders?wallet={mark}{'a' * 12_000}", cloud.http.split("://", 1)[1], headers=cloud.headers)
    assert (status, json.loads(body)) == (413, {"message": "Request Entity Too Large"})
    status, body = answer(f"{cloud.http}/api/orders?wallet={mark}{'a' * 70_000}", cloud.http.split("://", 1)[1], headers=cloud.headers)
    assert (status, json.loads(body)) == (413, {"message": "Request Entity Too Large"}), "beyond the HTTP parser's own limit too"


@pytest.mark.parametrize("server", ["DynamoDB", "SQS", "Lambda API", "@connections"])
def test_no_port_of_the_local_cloud_echoes_a_request_line_it_cannot_read(cloud, server):
    """Acceptance trial: the DynamoDB port (moto's front) still answered an over-8 KB line with a
    plain-text 400 quoting it."""
    url = endpoints(cloud)[server][0]
    base = url.split("://", 1)[0] + "://" + url.split("://", 1)[1].split("/", 1)[0]
    status, body = answer(f"{base}/%3Cscript%3E{'a' * 9_000}", base.split("://", 1)[1])
    assert status in (400, 413) and list(json.loads(body)) == ["message"], (server, status, body[:120])
    assert b"script" not in body


@pytest.mark.parametrize("server", ["Lambda API", "@connections"])
def test_a_path_no_server_has_is_a_json_404(cloud, server):
    """Acceptance trial: the WebSocket and Lambda ports answered an unknown path in plain text."""
    url = endpoints(cloud)[server][0]
    base = url.split("://", 1)[0] + "://" + url.split("://", 1)[1].split("/", 1)[0]
    status, body = answer(f"{base}/no/such/path", base.split("://", 1)[1])
    assert (status, json.loads(body)) == (404, {"message": "Not Found"}), (server, body[:100])
