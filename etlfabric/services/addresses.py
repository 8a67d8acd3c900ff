"""Client addresses: IP allowlists (CIDRs) and the client behind trusted reverse proxies.

The client IP is the TCP peer the web server sees. Only when that peer is one of TRUSTED_PROXIES is
X-Forwarded-For read, right to left, skipping trusted proxies: the first other address is the
client. Without TRUSTED_PROXIES the header is ignored, so a caller cannot pick its own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_NETWORKS = 50


def parse_networks(field: str, values: Iterable[str]) -> list[str]:
    """Normalised CIDRs ("10.0.0.0/8"; a bare address becomes /32 or /128), deduplicated, in
    the order given; Invalid(field) names the first entry that is not one."""
    from etlfabric.errors import Invalid

    found: list[str] = []
    for raw in values:
        text = str(raw).strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise Invalid(
                field, f"'{text[:60]}' is not an IP address or CIDR range (e.g. 203.0.113.0/24)."
            ) from None
        if str(network) not in found:
            found.append(str(network))
    if len(found) > MAX_NETWORKS:
        raise Invalid(field, f"List at most {MAX_NETWORKS} addresses or ranges.")
    return found


def _address(text: str | None):
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def in_networks(ip: str | None, networks: Iterable[str]) -> bool:
    address = _address(ip)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def allowed(ip: str | None, allowlist: list[str]) -> bool:
    """An empty allowlist lets any address in; otherwise `ip` must be in one of its ranges."""
    return not allowlist or in_networks(ip, allowlist)


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[str]) -> str | None:
    """The client's IP: `peer`, or, when `peer` is a trusted proxy, the right-most address of
    X-Forwarded-For that is not a trusted proxy."""
    if not trusted or not forwarded_for or not in_networks(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return peer  # a malformed header: trust nothing in it
        if not in_networks(hop, trusted):
            return hop
    return hops[0] if hops else peer
