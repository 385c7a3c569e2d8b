"""The runtime hooks a restored snapshot runs (solroute.snapshot, services.reopen): Lambda
SnapStart runs them in each instance it resumes, the local cloud's fork server in each instance it
forks. Each test takes the process as the snapshot holds it, runs the registered hooks as the
runtime does (snapshot_restore_py's registry), and checks what the hook is for."""

from __future__ import annotations

import random

import boto3
import pytest
import snapshot_restore_py

from solroute import services
from solroute.dal.solana.secrets import SealedRootStore
from tests.lambdas import reset_caches


def _restore() -> None:
    for func, args, kwargs in snapshot_restore_py.get_after_restore():
        func(*args, **kwargs)


def _snapshot() -> None:
    for func, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        func(*args, **kwargs)


def test_after_a_restore_random_draws_differ_from_the_snapshots():
    random.seed(2026)
    in_the_snapshot = [random.random() for _ in range(4)]
    random.seed(2026)  # the generator's state in the image every restored instance starts from
    _restore()
    assert [random.random() for _ in range(4)] != in_the_snapshot


@pytest.fixture
def aws_env(monkeypatch):
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)  # making a client reads them; it calls nothing


def test_after_a_restore_every_aws_client_and_table_is_made_anew(aws_env):
    sqs, table = services._sqs(), services._table("orders")
    client, resource, orders = sqs.meta, services._dynamodb(), table.meta  # made now (their first use)
    _restore()
    assert sqs.meta is not client, "a new SQS client (and connection pool)"
    assert services._dynamodb() is not resource and table.meta is not orders
    assert table.name == "orders"


def test_a_snapshot_holds_the_service_models_of_every_client_but_no_client(aws_env, monkeypatch):
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a process that has made no client yet
    services.reopen()
    sqs, table = services._sqs(), services._table("orders")
    _snapshot()
    loader = boto3.DEFAULT_SESSION._session.get_component("data_loader")
    loaded = {key[1] for key in loader._cache if key[0] == "load_service_model"}
    assert {"sqs", "dynamodb"} <= loaded, "a restored instance makes its clients from the loaded models"
    assert sqs._made is None and table._made is None and services._dynamodb.cache_info().currsize == 0


def test_the_chains_opened_root_is_never_in_a_snapshot_and_is_opened_again_after_a_restore(aws_env, monkeypatch):
    monkeypatch.setenv("SOLANA_RPC_URL", "http://127.0.0.1:8899")
    monkeypatch.setenv("API_KEYS_TABLE", "keys")
    monkeypatch.setenv("CHAIN_KMS_KEY", "alias/chain")
    opened: list[int] = []
    monkeypatch.setattr(SealedRootStore, "load", lambda store: opened.append(1) or bytes(32))
    reset_caches()
    try:
        chain = services.rpc_chain()
        first = chain.keys()
        assert chain.keys() is first and len(opened) == 1, "opened once a process"
        _snapshot()
        assert chain.keys() is not first and len(opened) == 2, "the snapshot holds no opened root"
        connection = chain.rpc._connection()
        _restore()
        assert len(opened) == 2 and chain.keys() is not None and len(opened) == 3, "opened again in the restored instance"
        assert chain.rpc._connection() is not connection, "a new connection to the node"
    finally:
        monkeypatch.undo()
        reset_caches()
