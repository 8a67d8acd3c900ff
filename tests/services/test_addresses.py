"""Allowlists and the client address behind trusted proxies."""

import pytest

from etlfabric.errors import Invalid
from etlfabric.services.addresses import allowed, client_address, parse_networks


def test_networks_are_normalised_and_a_bad_one_is_named():
    assert parse_networks("allowed_ips", ["10.1.2.3/8", " 192.0.2.1", "", "::1"]) == [
        "10.0.0.0/8",
        "192.0.2.1/32",
        "::1/128",
    ]
    with pytest.raises(Invalid) as caught:
        parse_networks("allowed_ips", ["10.0.0.0/8", "10.0.0.300"])
    assert caught.value.field == "allowed_ips" and "10.0.0.300" in caught.value.message


def test_an_empty_allowlist_lets_everyone_in():
    assert allowed("198.51.100.4", [])
    assert allowed("::ffff:10.0.0.5", ["10.0.0.0/8"])
    assert not allowed("198.51.100.4", ["10.0.0.0/8"])
    assert not allowed(None, ["10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("127.0.0.1", "10.1.1.1", [], "127.0.0.1"),  # no trusted proxy: header ignored
        ("192.0.2.9", "10.1.1.1", ["127.0.0.1"], "192.0.2.9"),  # peer is not a proxy
        ("127.0.0.1", "10.1.1.1", ["127.0.0.1"], "10.1.1.1"),
        ("127.0.0.1", "6.6.6.6, 10.1.1.1, 172.16.0.2", ["127.0.0.1", "172.16.0.0/12"], "10.1.1.1"),
        ("127.0.0.1", "garbage", ["127.0.0.1"], "127.0.0.1"),
    ],
)
def test_client_address(peer, forwarded, trusted, client):
    assert client_address(peer, forwarded, trusted) == client
