"""API keys: what a valid key is, where a request may present it, and issuing and revoking."""

from __future__ import annotations

import hashlib

import pytest
from solroute.logic.keys import KEY_LENGTH, KeyAdmin, KeyAuthority, generate_key, hash_key, key_from, key_id_of
from solroute.models.errors import InvalidRequest, KeyNotFound
from solroute.models.keys import Principal

from tests.fakes import FakeClock, InMemoryApiKeys


@pytest.fixture
def keys() -> InMemoryApiKeys:
    return InMemoryApiKeys()


@pytest.fixture
def admin(keys) -> KeyAdmin:
    return KeyAdmin(keys, FakeClock(), default_rate_per_minute=60)


@pytest.fixture
def authority(keys) -> KeyAuthority:
    return KeyAuthority(keys)


# ------------------------------------------------------------------ the key itself
def test_a_key_is_the_prefix_and_40_url_safe_characters_and_never_repeats():
    drawn = {generate_key() for _ in range(100)}
    assert len(drawn) == 100
    for key in drawn:
        assert key.startswith("sr_") and len(key) == KEY_LENGTH == 43
        assert set(key[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_stored_hash_is_the_hex_sha256_and_the_key_id_a_short_prefix():
    key = generate_key()
    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest()
    assert key_id_of(key) == key[:11]


# ------------------------------------------------------------------ issuing
def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(admin, keys):
    issued = admin.create("trading bot", rate_per_minute=30)
    stored = keys.get(hash_key(issued.api_key))
    assert stored == issued.record
    assert (stored.name, stored.rate_per_minute, stored.revoked) == ("trading bot", 30, False)
    assert issued.api_key not in stored.model_dump_json()
    assert stored.created_at == "2026-01-01T00:00:00.000Z"


def test_a_new_key_gets_the_default_rate_and_a_new_owner_unless_given_one(admin):
    first, second = admin.create("a"), admin.create("b")
    assert first.record.rate_per_minute == 60
    assert first.record.owner != second.record.owner
    assert admin.create("c", owner=first.record.owner).record.owner == first.record.owner


@pytest.mark.parametrize("name, rate", [("", None), ("x" * 65, None), ("bad\nname", None), ("ok", 0), ("ok", 10_001)])
def test_a_key_with_a_bad_name_or_rate_is_refused(admin, keys, name, rate):
    with pytest.raises(InvalidRequest):
        admin.create(name, rate_per_minute=rate)
    assert keys.items == {}


def test_a_key_id_already_taken_is_never_issued_again(admin, keys, monkeypatch):
    taken = admin.create("first")
    fresh = "sr_" + "Z" * 40
    draws = iter([taken.api_key[:11] + "A" * 32, fresh])
    monkeypatch.setattr("solroute.logic.keys.generate_key", lambda: next(draws))
    assert admin.create("second").api_key == fresh


def test_keys_are_listed_oldest_first_revoked_ones_too(admin):
    first = admin.create("first")
    admin.clock.advance(1)
    second = admin.create("second")
    admin.revoke(first.record.key_id)
    listed = admin.list()
    assert [k.key_id for k in listed] == [first.record.key_id, second.record.key_id]
    assert [k.revoked for k in listed] == [True, False]


def test_revoking_an_unknown_key_id_says_so(admin):
    with pytest.raises(KeyNotFound):
        admin.revoke("sr_nothing1")


# ------------------------------------------------------------------ authorizing
def test_a_valid_key_stands_for_its_owner(admin, authority):
    issued = admin.create("bot", rate_per_minute=5)
    assert authority.authorize(issued.api_key) == Principal(owner=issued.record.owner, key_id=issued.record.key_id, rate_per_minute=5)


def test_an_unknown_key_is_refused(authority):
    assert authority.authorize(generate_key()) is None


def test_a_revoked_key_is_refused(admin, authority):
    issued = admin.create("bot")
    admin.revoke(issued.record.key_id)
    assert authority.authorize(issued.api_key) is None


@pytest.mark.parametrize(
    "presented",
    [None, "", "sr_short", "sr_" + "a" * 41, "sr_" + "a" * 10_000, "xx_" + "a" * 40, "sr_" + "a" * 39 + "!", "sr_" + "a" * 39 + "\u00e9", 42],
)
def test_anything_not_shaped_like_a_key_is_refused_without_a_lookup(authority, keys, presented):
    assert authority.authorize(presented) is None
    assert keys.reads == 0


def test_the_stored_hash_is_compared_in_constant_time(admin, authority, monkeypatch):
    issued = admin.create("bot")
    compared = []

    def compare_digest(a, b):
        compared.append((a, b))
        return a == b

    monkeypatch.setattr("hmac.compare_digest", compare_digest)
    assert authority.authorize(issued.api_key) is not None
    assert compared == [(issued.record.key_hash, hash_key(issued.api_key))]


# ------------------------------------------------------------------ where the key is presented
KEY = "sr_" + "k" * 40


@pytest.mark.parametrize("headers", [{"x-api-key": KEY}, {"X-Api-Key": KEY}, {"X-API-KEY": f" {KEY} "}])
def test_a_key_is_read_from_the_x_api_key_header_whatever_its_case(headers):
    assert key_from(headers) == KEY


def test_a_bearer_token_is_not_a_key_any_more():
    # The HTTP API's identity source is x-api-key alone: a request with only a Bearer token is
    # refused by API Gateway (401), so accepting one here would only make the two APIs disagree.
    assert key_from({"authorization": f"Bearer {KEY}"}) is None


def test_the_x_api_key_header_wins_over_the_query():
    assert key_from({"x-api-key": KEY}, {"apiKey": "third"}) == KEY


def test_the_query_parameter_counts_only_when_the_caller_passes_the_query():
    assert key_from({}, {"apiKey": KEY}) == KEY  # the WebSocket $connect passes it
    assert key_from({}) is None  # an HTTP request does not


@pytest.mark.parametrize("headers", [None, {}, {"authorization": f"Basic {KEY}"}, {"x-api-key": ""}, {"authorization": "Bearer "}])
def test_no_key_is_found_where_none_is_presented(headers):
    assert key_from(headers) is None
