"""The per-key quota store's contract, run on the in-memory fake and on the DynamoDB adapter
(moto, the rate limit table created from template.yaml)."""

from __future__ import annotations

import itertools

import boto3
import pytest
from moto import mock_aws
from solroute.dal.dynamodb.key_quota import DynamoKeyQuotaStore
from solroute.logic.key_quota import HEAVY_SHARE, QUEUE, KeyQuota
from solroute.models.key_quota import QuotaState, Step

from localcloud.resources import deploy
from localcloud.template import Template
from tests.lambdas import ROOT
from tests.support.counting_table import CountingTable
from tests.quota_fakes import InMemoryKeyQuotaStore

MINUTE = 1_790_000_040_000
_ids = itertools.count()


@pytest.fixture(scope="module")
def rate_limit_table():
    with mock_aws():
        kwargs = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        deployed = deploy(Template(ROOT / "template.yaml"), boto3.client("dynamodb", **kwargs), boto3.client("sqs", **kwargs), "quota", {})
        yield boto3.resource("dynamodb", **kwargs).Table(deployed.tables["RateLimitTable"]["name"])


@pytest.fixture(params=["fake", "dynamodb"])
def store(request, rate_limit_table):
    if request.param == "fake":
        fake = InMemoryKeyQuotaStore()
        return fake, lambda: fake.calls
    table = CountingTable(rate_limit_table)
    return DynamoKeyQuotaStore(table), lambda: table.calls


def _key() -> str:
    return f"sr_contract{next(_ids)}"


def test_nothing_stored_reads_as_the_empty_state(store):
    quotas, _ = store
    assert quotas.read(_key()) == QuotaState()


def test_a_state_is_written_only_over_the_version_it_replaces(store):
    quotas, _ = store
    key = _key()
    first, second = QuotaState(MINUTE, 1, MINUTE + 615, 10), QuotaState(MINUTE, 2, MINUTE + 1_230, 11)
    assert quotas.write_if_unchanged(key, first, 0, 1) is None
    assert quotas.read(key) == first
    assert quotas.write_if_unchanged(key, second, 0, 1) == first, "version 0 means: nothing may be stored yet"
    assert quotas.write_if_unchanged(key, second, 9, 1) == first, "a lost write answers with the state that won"
    assert quotas.read(key) == first
    assert quotas.write_if_unchanged(key, second, 10, 1) is None
    assert quotas.read(key) == second


def test_a_write_over_a_version_that_is_gone_answers_with_the_empty_state(store):
    quotas, _ = store
    assert quotas.write_if_unchanged(_key(), QuotaState(MINUTE, 1, MINUTE, 8), 7, 1) == QuotaState()


def test_an_increment_never_creates_a_record(store):
    quotas, _ = store
    key = _key()
    assert quotas.increment(key, Step(MINUTE, None, 615), 1) == (False, QuotaState())
    assert quotas.read(key) == QuotaState()


@pytest.mark.parametrize(
    "step, applies",
    [
        (Step(MINUTE, MINUTE + 1_000, 1_230, 5, MINUTE + 2_000), True),
        (Step(MINUTE, None, 0), True),
        (Step(MINUTE + 60_000, None, 0), False),  # another minute
        (Step(MINUTE, MINUTE + 1_231, 1_230), False),  # the reach is behind now
        (Step(MINUTE, None, 0, max_count=3), False),  # the limit is reached
        (Step(MINUTE, None, 0, max_reach_ms=MINUTE + 1_229), False),  # the queue is full
    ],
    ids=["all-met", "no-conditions", "other-minute", "idle", "count-limit", "reach-limit"],
)
def test_an_increment_applies_only_when_every_condition_holds(store, step, applies):
    quotas, _ = store
    key, first = _key(), QuotaState(MINUTE, 3, MINUTE + 1_230, 10)
    assert quotas.write_if_unchanged(key, first, 0, 1) is None
    done, state = quotas.increment(key, step, 2)
    if applies:
        assert done and state == QuotaState(MINUTE, 4, MINUTE + 1_230 + step.reach_ms, 11) == quotas.read(key)
    else:
        assert (done, state) == (False, first) and quotas.read(key) == first


def test_a_decrement_undoes_an_increment(store):
    quotas, _ = store
    key, first = _key(), QuotaState(MINUTE, 3, MINUTE + 1_230, 10)
    quotas.write_if_unchanged(key, first, 0, 1)
    quotas.increment(key, Step(MINUTE, None, 1_230), 1)
    quotas.decrement(key, 1_230)
    assert quotas.read(key) == QuotaState(MINUTE, 3, MINUTE + 1_230, 12), "the version still moves on"


def test_an_accepted_order_is_two_calls_and_a_refusal_at_most_two_reads_a_second(store):
    quotas, calls = store
    keys, key = KeyQuota(quotas, 10_000, 615), _key()
    assert keys.admit(key, 2, MINUTE).accepted
    before = calls()
    assert keys.admit(key, 2, MINUTE + 1_000).accepted
    assert calls() == before + 2, "its key's record and its place in the shared queue"
    assert not keys.admit(key, 2, MINUTE + 2_000).accepted
    assert calls() == before + 4, "the refusal on the copy is confirmed: the key's record and the queue's, read"
    assert not keys.admit(key, 2, MINUTE + 2_500).accepted
    assert calls() == before + 4, "and not again within the second"


def test_two_instances_sharing_the_store_count_together(store):
    quotas, calls = store
    a, b, key = KeyQuota(quotas, 10_000, 615), KeyQuota(quotas, 10_000, 615), _key()
    assert a.admit(key, 3, MINUTE).accepted
    before = calls()
    assert b.admit(key, 3, MINUTE).accepted
    assert calls() == before + 4, "b had seen neither record: each first write lost and brought back the stored state (no read), then an increment"
    assert a.admit(key, 3, MINUTE).accepted
    assert not b.admit(key, 3, MINUTE).accepted
    assert quotas.read(key).count == 3


def test_the_dynamodb_item_is_keyed_by_key_id_and_expires(rate_limit_table):
    keys, key = KeyQuota(DynamoKeyQuotaStore(rate_limit_table), 10_000, 615), _key()
    keys.admit(key, 5, MINUTE + 30_000)
    item = rate_limit_table.get_item(Key={"bucket": f"key#{key}"})["Item"]
    queue = rate_limit_table.get_item(Key={"bucket": f"key#{QUEUE}"})["Item"]
    assert (item["windowStartMs"], item["count"]) == (MINUTE, 1)
    assert item["reachMs"] == MINUTE + 30_000 + HEAVY_SHARE * 615, "its own reach: two intervals an order"
    assert queue["reachMs"] >= MINUTE + 30_615, "the shared queue's: one interval an order"
    assert item["expiresAt"] == max((MINUTE + 60_000) // 1000, -(-int(item["reachMs"]) // 1000)) + 120, "a couple of minutes after it can last refuse"
    assert queue["expiresAt"] == -(-int(queue["reachMs"]) // 1000) + 120


def test_the_fake_keeps_the_same_expiry():
    fake = InMemoryKeyQuotaStore()
    keys, key = KeyQuota(fake, 100_000, 1_000), _key()
    for _ in range(90):
        keys.admit(key, 1_000, MINUTE)
    assert fake.expires_at_s(key) == (MINUTE + HEAVY_SHARE * 90_000) // 1000 + 120, "after the reach when it ends later than the minute"
