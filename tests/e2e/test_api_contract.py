"""The API keeps the promise its OpenAPI document makes: schemathesis reads the document the local
cloud serves, generates requests from it (valid and invalid ones, and the document's examples),
sends them over real HTTP and checks each answer: never a 5xx, and status, content type and body
are the documented ones."""

from __future__ import annotations

import aiohttp
import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from tests.support.cloud_client import run, solroute_keys, submit, wait_final

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"  # the document's example wallet
# Per operation: enough to find a broken answer, few enough that the run adds seconds to `make test`.
# derandomize: the same requests on every run, so `make test` cannot fail by the luck of the draw.
BOUNDED = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
# API Gateway, and the local cloud's HTTP server, refuse a request line or header over 8 KB before
# any function runs, and answer some requests themselves with {"message": ...}: such requests
# test the gateway, not this API. (If that were most of them, hypothesis fails as unsatisfiable.)
GATEWAY_LINE_LIMIT = 8000


@pytest.fixture(scope="module")
def generated_key(cloud):
    """A key of its own for the generated requests: valid ones place strategies (TWAP, recurring,
    sniper) that would stay active for days, holding the session key's KeyMaxActiveStrategies and
    keeping the trigger ticking for the rest of the session. Each is cancelled afterwards."""
    key = solroute_keys(cloud, "create", "--name", "api-contract")["apiKey"]
    yield {"x-api-key": key}
    with requests.Session() as http:
        http.headers["x-api-key"] = key
        cursor = None
        while True:
            page = http.get(f"{cloud.http}/api/orders", params={"limit": 100, **({"cursor": cursor} if cursor else {})}, timeout=30).json()
            for order in page["orders"]:
                if order["status"] == "active":
                    http.delete(f"{cloud.http}/api/orders/{order['orderId']}", timeout=30)
            cursor = page["cursor"]
            if not cursor:
                break


@pytest.fixture(scope="module")
def document(cloud):
    return schemathesis.openapi.from_url(f"{cloud.http}/api/openapi.json", timeout=10, headers=cloud.headers)


def within_gateway_limits(case) -> bool:
    sent = case.as_transport_kwargs()
    line = requests.Request(method=sent["method"], url=sent["url"], params=sent.get("params")).prepare().path_url
    return all(len(str(text).encode()) < GATEWAY_LINE_LIMIT for text in [line, *(sent.get("headers") or {}).values()])


def answered_by_the_gateway(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and set(body) == {"message"}


def test_every_answer_is_a_documented_one_and_none_is_a_server_error(cloud, document, generated_key):
    # The document is only served once the session's cloud is up, so the operations are walked here
    # with schemathesis' strategies: its loader for fixtures (schemathesis.pytest.from_fixture)
    # does not run under pytest 9.2, as it reads the Node._nodeid that pytest removed.
    failures = []
    for result in document.get_all_operations():
        operation = result.ok()
        generated = [operation.as_strategy(mode) for mode in GenerationMode]

        @BOUNDED
        @given(case=st.one_of(*generated, *operation.get_strategies_from_examples()))
        def exchange(case):
            assume(within_gateway_limits(case))
            response = case.call(timeout=10, headers=generated_key)  # a valid key: past the 401, to the rules
            assume(not answered_by_the_gateway(response))
            case.validate_response(response, checks=CHECKS)

        try:
            exchange()
        except (Exception, BaseExceptionGroup) as error:  # every operation is tried; all failures are reported
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)


def test_a_settled_order_and_its_wallets_page_match_the_documented_bodies(cloud, document):
    # Generated order ids are never real ones: this reads a real order, with its quotes, route and result.
    async def settle() -> str:
        async with aiohttp.ClientSession(headers=cloud.headers) as session:
            accepted = await submit(session, cloud.http, wallet=WALLET)
            await wait_final(session, cloud.http, accepted["orderId"])
            return accepted["orderId"]

    order_id = run(settle())
    one = document["/api/orders/{orderId}"]["GET"].Case(path_parameters={"orderId": order_id})
    assert one.call_and_validate(checks=CHECKS, timeout=10, headers=cloud.headers).status_code == 200
    page = document["/api/orders"]["GET"].Case(query={"wallet": WALLET, "limit": 5})
    assert page.call_and_validate(checks=CHECKS, timeout=10, headers=cloud.headers).json()["orders"][0]["orderId"] == order_id
