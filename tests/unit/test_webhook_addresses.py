"""Which addresses a webhook may reach (solroute.models.addresses) and which URLs a client may
give (solroute.models.webhooks): every form of a non-public address is refused, at submission
when it is written literally, and by the sender for whatever a name resolves to."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from pydantic import ValidationError
from solroute.models.addresses import is_public, literal_address, looks_numeric, parse_address
from solroute.models.requests import ExecuteOrderRequest
from solroute.models.webhooks import parse_webhook_url, webhook_url

NOT_PUBLIC = [
    "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.0.0.2", "127.255.255.255",
    "169.254.169.254", "169.254.170.2", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.1.1",
    "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::", "::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:0.0.0.0", "::127.0.0.1",  # mapped, compatible
    "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::808:808",  # NAT64 of the metadata service, of loopback; local-use NAT64
    "2002:7f00:1::1", "2002:a9fe:a9fe::", "2002:c0a8:101::1",  # 6to4 of loopback, metadata, a private network
    "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1", "3fff::1", "fc00::1", "fd00:ec2::254", "fe80::1", "fec0::1", "ff02::1", "100::1", "::ffff:0:0",
]  # fmt: skip
PUBLIC = [
    "1.1.1.1", "8.8.8.8", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "169.253.255.255",
    "192.0.1.1", "198.17.255.255", "198.20.0.0", "223.255.255.255",
    "2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
]  # fmt: skip


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_every_address_that_is_not_globally_routable_is_refused(text):
    assert not is_public(ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_allowed(text):
    assert is_public(ip_address(text))


@pytest.mark.parametrize("text", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "8.8.8.8", "1.1.1.1", "::1", "fe80::1", "2606:4700::1", "fc00::1"])
def test_the_classifier_agrees_with_the_standard_library_on_plain_addresses(text):
    assert is_public(ip_address(text)) == ip_address(text).is_global


@pytest.mark.parametrize("host", [
    "2130706433", "017700000001", "0x7f000001", "0x7F.0.0.1", "0177.0.0.1", "127.1", "127.0.1", "0300.0250.0.1", "192.168.010.1",
    "127.000.000.001", "1.2.3.4.5", "999.1.1.1", "localhost.0x10",
])  # fmt: skip
def test_an_ipv4_address_in_any_form_but_the_dotted_quad_is_refused(host):
    assert looks_numeric(host)
    with pytest.raises(ValueError, match="four decimal numbers"):
        literal_address(host)


def test_literal_addresses_and_names():
    assert literal_address("127.0.0.1") == IPv4Address("127.0.0.1")
    assert literal_address("::ffff:127.0.0.1") == IPv6Address("::ffff:7f00:1")
    assert literal_address("example.com") is None and literal_address("0x7f.example.com") is None and not looks_numeric("deadbeef.com")
    with pytest.raises(ValueError, match="zone"):
        literal_address("fe80::1%eth0")
    assert parse_address("fe80::1%2") == IPv6Address("fe80::1"), "a resolver's scoped answer is judged without its scope"


# ---------------------------------------------------------------- the URL a client gives
REFUSED_URLS = [
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address"),
    ("https://10.0.0.1/hook", "not a public address"),
    ("https://127.0.0.2/hook", "not a public address"),
    ("http://127.0.0.2:9000/hook", "not a public address"),
    ("https://[::ffff:127.0.0.1]/hook", "not a public address"),
    ("https://[::1]:8080/", "not a public address"),
    ("https://[fd00:ec2::254]/", "not a public address"),
    ("https://0.0.0.0/hook", "not a public address"),
    ("https://2130706433/hook", "four decimal numbers"),
    ("https://0x7f000001/hook", "four decimal numbers"),
    ("https://0177.0.0.1/hook", "four decimal numbers"),
    ("https://127.1/hook", "four decimal numbers"),
    ("https://localhost/hook", "localhost is an internal name"),
    ("https://localhost./hook", "internal name"),
    ("http://localhost:9000/hook", "internal name"),
    ("https://api.localhost/hook", "internal name"),
    ("https://metadata.google.internal/computeMetadata/v1/", "internal name"),
    ("https://ip-10-0-0-1.ec2.internal/", "internal name"),
    ("https://printer.local/", "internal name"),
    ("https://router.home.arpa/", "internal name"),
    ("https://myalias/hook", "internal name"),  # one label: a hosts-file alias, a search-domain name
    ("https://exa%00mple.com/hook", "not a valid name"),
    ("https://exa%0Ample.com/hook", "not a valid name"),
    ("https://example.com%2F@evil.com/", "without credentials"),
    ("https://ex_ample..com/", "not a valid name"),
    ("https://bücher.de/", "ASCII"),
    ("https://[fe80::1%25eth0]/", "zone"),
    ("https://example.com:0/", "must be an https:// URL"),
    ("http://example.com/hook", "must be an https:// URL"),
]  # fmt: skip


@pytest.mark.parametrize("url, says", REFUSED_URLS)
def test_a_url_to_an_address_or_name_that_is_not_public_is_a_clear_400(url, says):
    with pytest.raises(ValidationError, match=says) as raised:
        ExecuteOrderRequest(tokenIn="SOL", tokenOut="USDC", amountIn="1", webhookUrl=url)
    assert raised.value.errors()[0]["loc"] == ("webhookUrl",)


@pytest.mark.parametrize("url, host, port, target", [
    ("https://example.com/hook", "example.com", 443, "/hook"),
    ("https://Example.COM.:8443/a?b=c", "example.com", 8443, "/a?b=c"),
    ("https://hooks.example.com", "hooks.example.com", 443, "/"),
    ("https://8.8.8.8/x", "8.8.8.8", 443, "/x"),
    ("https://[2606:4700::1111]/x", "2606:4700::1111", 443, "/x"),
    ("http://127.0.0.1:9000/hook", "127.0.0.1", 9000, "/hook"),
    ("https://my-receiver.example.co.uk/p%20q", "my-receiver.example.co.uk", 443, "/p%20q"),
])  # fmt: skip
def test_a_url_to_a_public_host_is_taken_apart_as_the_sender_connects(url, host, port, target):
    assert webhook_url(url) == url
    parsed = parse_webhook_url(url)
    assert (parsed.host, parsed.port, parsed.target) == (host, port, target)
