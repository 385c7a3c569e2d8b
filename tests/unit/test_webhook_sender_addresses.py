"""The sender reaches public addresses only: a URL stored under an older rule is judged again, a
name by every address it resolves to (once: the connection goes to the addresses judged), and
127.0.0.1 only for the local cloud, never at its own ports. What it records is coarse."""

from __future__ import annotations

import pytest
from solroute.settings import Settings
from tests.support.webhook_sender import MESSAGE, PUBLIC_IP, Log, Receiver, Resolver, sender

NOT_PUBLIC = "refused: not a public address"
LOCAL_CLOUD_PORT = "refused: a port of the local cloud's own services, not a receiver"
NO_PUBLIC_ADDRESS = "refused: no public address for the host"


def deliver(url, receiver=None, resolver=None, attempt=1, **kw):
    receiver = receiver or Receiver(204)
    log = Log()
    verdict = sender(receiver, log, resolve=resolver or Resolver([PUBLIC_IP]), **kw).deliver({**MESSAGE, "url": url}, attempt=attempt)
    return verdict, receiver, log


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",  # the Lambda runtime API
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://10.0.0.1/hook", "https://0.0.0.0/hook", "https://[::ffff:127.0.0.1]/hook", "http://[::1]:8080/",
])  # fmt: skip
def test_a_stored_literal_address_that_is_not_public_is_given_up_unsent(url):
    verdict, receiver, log = deliver(url)
    assert (verdict.attempt.outcome, verdict.attempt.error, verdict.retry_in_s) == ("gave up", NOT_PUBLIC, None)
    assert receiver.requests == [] and len(log.records) == 1


@pytest.mark.parametrize("url", [
    "http://localhost/x", "https://2130706433/", "https://exa%00mple.com/hook", "https://exa%0a.com/",
    "https://[::1", "not a url", "https://localhost./", "https://alias/",
])  # fmt: skip
def test_a_stored_url_the_rule_refuses_is_given_up_at_once_with_a_coarse_reason(url):
    verdict, receiver, _ = deliver(url)
    assert (verdict.attempt.outcome, verdict.attempt.error) == ("gave up", "refused: not a valid webhook URL")
    assert receiver.requests == []


@pytest.mark.parametrize("answer", [["10.0.0.7"], [PUBLIC_IP, "127.0.0.1"], ["::ffff:169.254.169.254"], ["fd00:ec2::254"], [], OSError("Name or service not known")])
def test_a_name_with_any_address_that_is_not_public_or_none_is_refused_and_retried(answer):
    verdict, receiver, _ = deliver("https://hooks.example.com/x", resolver=Resolver(answer))
    assert (verdict.attempt.outcome, verdict.attempt.error) == ("retrying", NO_PUBLIC_ADDRESS), "DNS can change"
    assert receiver.requests == [], "never connected"


def test_the_connection_goes_to_the_addresses_judged_not_to_a_second_lookup():
    rebinding = Resolver([PUBLIC_IP], ["127.0.0.1"])  # a public answer first, then loopback
    receiver = Receiver(204)
    verdict, _, _ = deliver("https://hooks.example.com/x", receiver, rebinding)
    assert verdict.attempt.outcome == "delivered" and rebinding.asked == ["hooks.example.com"], "one lookup per attempt"
    ((target, addresses, *_),) = receiver.requests
    assert (target.host, addresses) == ("hooks.example.com", [PUBLIC_IP])


def test_the_local_clouds_receivers_at_127_0_0_1_only_and_never_at_its_own_ports():
    local = {"local_receivers": True, "closed_local_ports": frozenset({3000, 4566, 4567, 4568})}
    verdict, receiver, _ = deliver("http://127.0.0.1:8123/hook", **local)
    assert verdict.attempt.outcome == "delivered" and receiver.requests[0][1] == ["127.0.0.1"]
    for url in ("http://127.0.0.1:4568/2015-03-31/functions/ApiFunction/invocations", "http://127.0.0.1:3000/api/orders/execute"):
        verdict, receiver, _ = deliver(url, **local)
        assert (verdict.attempt.outcome, verdict.attempt.error, receiver.requests) == ("gave up", LOCAL_CLOUD_PORT, []), "said as it is"
    verdict, receiver, _ = deliver("https://receiver.example.com/x", resolver=Resolver(["127.0.0.1"]), **local)
    assert verdict.attempt.error == NO_PUBLIC_ADDRESS and receiver.requests == [], "127.0.0.1 only as written, not as resolved"
    verdict, receiver, _ = deliver("http://127.0.0.1:8123/hook")
    assert (verdict.attempt.error, receiver.requests) == (NOT_PUBLIC, []), "not unless the local cloud says so"


@pytest.mark.parametrize("env, allowed, closed", [
    ({}, False, frozenset()),
    ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, False, frozenset()),  # a local endpoint says nothing by itself
    ({"WEBHOOK_ALLOW_LOOPBACK": "true", "WEBHOOK_CLOSED_LOOPBACK_PORTS": "3000,3001,4566,4567,4568"}, True, frozenset({3000, 3001, 4566, 4567, 4568})),
])  # fmt: skip
def test_local_receivers_are_allowed_only_when_the_local_cloud_says_so(env, allowed, closed):
    config = Settings.from_env(env)
    assert (config.webhook_allow_loopback, config.webhook_closed_loopback_ports) == (allowed, closed)

