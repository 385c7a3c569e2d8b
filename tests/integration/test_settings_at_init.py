"""A function deployed without a table or queue it needs fails at init, naming the variable,
instead of mid-order (an empty name used to mean "feature off" too)."""

from __future__ import annotations

import pytest

from localcloud.resources import Deployed
from solroute.settings import MissingSetting
from tests.lambdas import Lambda

NEEDS = [
    ("ApiFunction", "ORDERS_TABLE"), ("ApiFunction", "IDEMPOTENCY_TABLE"), ("ApiFunction", "ORDERS_QUEUE_URL"), ("ApiFunction", "RATE_LIMIT_TABLE"),
    ("OrderConsumerFunction", "CHAIN_TABLE"), ("OrderConsumerFunction", "RATE_LIMIT_TABLE"), ("SettlerFunction", "CHAIN_TABLE"),
    ("DeadLetterFunction", "ORDERS_TABLE"), ("SweeperFunction", "ORDERS_TABLE"), ("TriggerFunction", "ORDERS_QUEUE_URL"),
    ("WebSocketFunction", "CONNECTIONS_TABLE"), ("WebSocketFunction", "API_KEYS_TABLE"), ("AuthorizerFunction", "API_KEYS_TABLE"),
    ("BroadcasterFunction", "WEBSOCKET_URL"), ("WebhookFunction", "WEBHOOK_QUEUE_URL"), ("WebhookSenderFunction", "WEBHOOK_QUEUE_URL"),
]  # fmt: skip


@pytest.mark.parametrize(("function", "variable"), NEEDS)
def test_a_function_without_a_name_it_needs_fails_at_init_naming_it(cloud, monkeypatch, function, variable):
    environment = Deployed.environment

    def without(self, template, variables):
        resolved = environment(self, template, variables)
        assert variable in resolved, f"template.yaml gives {function} no {variable}"
        return {k: v for k, v in resolved.items() if k != variable}

    monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(Deployed, "environment", without)
    with pytest.raises(MissingSetting, match=f"^{variable} is not set"):
        Lambda(cloud.template, cloud.deployed, function, monkeypatch)


@pytest.mark.parametrize("function", sorted({f for f, _ in NEEDS}))
def test_init_builds_the_services_but_makes_no_aws_client(cloud, monkeypatch, function):
    """What the check costs a cold start: Python objects only; the boto3 clients and tables (their
    service models) are made by the first call that needs them, as before the check existed."""
    import boto3.session

    made = []
    for name in ("client", "resource"):
        real = getattr(boto3.session.Session, name)
        monkeypatch.setattr(boto3.session.Session, name, lambda self, *a, _real=real, _name=name, **k: made.append(_name) or _real(self, *a, **k))
    Lambda(cloud.template, cloud.deployed, function, monkeypatch)
    assert made == []
