import pytest
from hypothesis import given
from hypothesis import strategies as st
from solroute.models.tokens import KNOWN_TOKENS, b58decode, b58encode, is_solana_address, resolve_token


@pytest.mark.parametrize("symbol", sorted(KNOWN_TOKENS))
def test_every_known_mint_is_a_32_byte_address(symbol):
    assert len(b58decode(KNOWN_TOKENS[symbol].mint)) == 32
    assert resolve_token(KNOWN_TOKENS[symbol].mint).symbol == symbol


@given(st.binary(min_size=0, max_size=64))
def test_base58_round_trips(data):
    assert b58decode(b58encode(data)) == data


def test_addresses_of_the_wrong_length_or_alphabet_are_not_solana_addresses():
    assert not is_solana_address("1" * 20)
    assert not is_solana_address("0" * 43)  # '0' is outside the alphabet
    assert not is_solana_address(b58encode(b"\x01" * 31))
    assert is_solana_address(b58encode(b"\x01" * 32))
