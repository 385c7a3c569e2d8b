"""Integration tests: real handlers, real template.yaml, moto for every AWS service. The template
is deployed once per test module and emptied before each test (tests/support/moto_cloud.py); a
module whose tests need a world of their own overrides `deployment` with a function-scoped one."""

from __future__ import annotations

import pytest

from tests.lambdas import reset_caches
from tests.support.moto_cloud import AWS_ENV, FAST, Cloud, deployed_in_moto


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    yield
    reset_caches()


@pytest.fixture(scope="module")
def parameters():
    return dict(FAST)


@pytest.fixture(scope="module")
def deployment(parameters):
    """template.yaml deployed into moto, once for the module's tests."""
    with deployed_in_moto(parameters) as deployed:
        yield deployed


@pytest.fixture
def cloud(deployment, aws_env, monkeypatch):
    """The deployment, every table and queue empty; ``cloud.fn("ApiFunction")`` gives a handler."""
    deployment.empty()
    yield Cloud(deployment, monkeypatch)
