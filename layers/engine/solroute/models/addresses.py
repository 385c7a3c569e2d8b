"""Which addresses a webhook may reach: only globally routable ones (docs/webhooks.md, "The URL").

A webhook URL is chosen by a client, and the sender POSTs from inside our network, so any
address that is not on the public internet (loopback, private ranges, link-local with the
instance metadata service at 169.254.169.254, the Lambda runtime API at 127.0.0.1:9001,
multicast, reserved and documentation ranges) is refused, in whatever form it is written:
IPv4, IPv6, IPv4 inside IPv6 (mapped, NAT64, 6to4), or IPv4 as one number (``2130706433``),
in octal (``0177.0.0.1``), hex (``0x7f.1``) or shortened (``127.1``), which resolvers accept.

IPv6 is judged by an allow list (global unicast, 2000::/3) rather than a deny list: a new
special range outside it is refused until someone decides otherwise.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address

# IANA's IPv4 special-purpose registry, the blocks that are not globally reachable
# (https://www.iana.org/assignments/iana-ipv4-special-registry/), plus multicast and class E.
NOT_PUBLIC_V4 = tuple(IPv4Network(block) for block in (
    "0.0.0.0/8",        # "this network": 0.0.0.0 reaches the local host on Linux
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private
    "100.64.0.0/10",    # carrier-grade NAT (shared address space)
    "127.0.0.0/8",      # loopback: the Lambda runtime API, the local cloud
    "169.254.0.0/16",   # link-local: instance metadata (169.254.169.254), ECS (169.254.170.2)
    "192.0.0.0/24",     # IETF protocol assignments
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation
    "192.88.99.0/24",   # 6to4 relay anycast (deprecated)
    "198.18.0.0/15",    # benchmarking
    "224.0.0.0/4",      # multicast
    "240.0.0.0/4",      # reserved, and 255.255.255.255 broadcast
))  # fmt: skip

GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")
NOT_PUBLIC_V6 = tuple(IPv6Network(block) for block in (
    "2001::/23",        # IETF protocol assignments, Teredo (2001::/32) among them
    "2001:db8::/32", "3fff::/20",  # documentation
))  # fmt: skip
NAT64 = IPv6Network("64:ff9b::/96")  # the well-known NAT64 prefix: an IPv4 address in its last 32 bits
SIX_TO_FOUR = IPv6Network("2002::/16")  # 6to4: an IPv4 address in bits 16-48

# What a resolver (inet_aton) takes as an IPv4 address: one to four parts, each decimal, octal
# (leading 0) or hex (0x). Only the canonical form, four decimal parts, is a valid webhook host.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DOTTED_QUAD = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$")


def is_public(address: IPAddress) -> bool:
    """True when ``address`` is globally routable: a webhook may be sent there."""
    if isinstance(address, IPv4Address):
        return not any(address in block for block in NOT_PUBLIC_V4)
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d to the socket
        return is_public(address.ipv4_mapped)
    if address in NAT64:
        return is_public(IPv4Address(int(address) & 0xFFFFFFFF))
    if address in SIX_TO_FOUR:
        return address.sixtofour is not None and is_public(address.sixtofour)
    return address in GLOBAL_UNICAST_V6 and not any(address in block for block in NOT_PUBLIC_V6)


def looks_numeric(host: str) -> bool:
    """True when a resolver would take ``host`` as an IPv4 address in some form (its last label
    is a number: decimal, octal or hex), whether or not it is the canonical dotted quad."""
    last = host.rstrip(".").rsplit(".", 1)[-1].lower()
    return bool(_NUMERIC_LABEL.match(last))


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` (a URL's hostname, brackets removed) names literally: a canonical
    dotted quad or an IPv6 address without a zone; None for a name. ValueError for a numeric
    host in any other form (``2130706433``, ``0177.0.0.1``, ``127.1``): refused, never guessed."""
    if ":" in host:
        if "%" in host:
            raise ValueError("an IPv6 zone (%) is never a public address")
        return IPv6Address(host)  # ValueError when it is not one
    if looks_numeric(host):
        if not _DOTTED_QUAD.match(host):
            raise ValueError("write an IPv4 address as four decimal numbers (a.b.c.d)")
        return IPv4Address(host)
    return None


def parse_address(text: str) -> IPAddress:
    """An address as a resolver answers it (getaddrinfo's sockaddr[0]); an IPv6 zone is dropped
    (a scoped address is link-local, refused either way)."""
    return ip_address(text.split("%", 1)[0])
