"""The local cloud answers only requests addressed to a host it serves (DNS rebinding): which Host
headers pass, for the default address, a named one and every address."""

import pytest

from localcloud.host_guard import AllowedHosts, host_name


@pytest.mark.parametrize(
    ("header", "name"),
    [("localhost:3000", "localhost"), ("LocalHost.", "localhost"), ("[::1]:3001", "::1"), ("127.0.0.1", "127.0.0.1"), ("evil.example:3000", "evil.example")],
)
def test_the_name_in_a_host_header(header, name):
    assert host_name(header) == name


def test_on_the_default_address_only_loopback_names_and_addresses_pass():
    allowed = AllowedHosts.serving("127.0.0.1")
    for host in ("127.0.0.1:3000", "localhost:3000", "localhost.:3000", "[::1]:3000", "127.0.0.2:3000", None, ""):
        assert allowed.allows(host), host
    for host in ("evil.example:3000", "evil.example", "192.168.1.5:3000", "localhost.evil.example", "127.0.0.1.nip.io:3000"):
        assert not allowed.allows(host), host


def test_a_named_host_and_allowed_names_pass_and_every_address_when_listening_on_all():
    named = AllowedHosts.serving("devbox.lan", ["host.docker.internal"])
    assert named.allows("devbox.lan:3000") and named.allows("host.docker.internal:4566")
    assert not named.allows("192.168.1.5:3000")
    everywhere = AllowedHosts.serving("0.0.0.0")
    assert everywhere.allows("192.168.1.5:3000") and everywhere.allows("[fe80::1]:3000"), "an address cannot be rebound"
    assert not everywhere.allows("evil.example:3000")
