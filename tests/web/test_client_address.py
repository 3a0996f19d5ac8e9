"""The client's address behind trusted proxies (X-Forwarded-For), and only behind them."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from web.client_address import ClientAddress


class Peer:
    """The transport of a mocked request: who connected."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get_extra_info(self, name: str, default: object = None) -> object:
        return (self.host, 4000) if name == "peername" else default


def address(proxies: tuple[str, ...], peer: str, *forwarded: str) -> str:
    headers = CIMultiDict([("X-Forwarded-For", value) for value in forwarded])
    request = make_mocked_request("POST", "/api/recordings-session", headers=headers,
                                  transport=Peer(peer))
    return ClientAddress(proxies).of(request)


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert address((), "127.0.0.1", "203.0.113.5") == "127.0.0.1"
    assert address((), "198.51.100.9") == "198.51.100.9"


def test_behind_trusted_proxies_the_last_untrusted_hop_is_the_client() -> None:
    proxies = ("127.0.0.1", "10.0.0.0/8")
    assert address(proxies, "127.0.0.1", "203.0.113.5") == "203.0.113.5"
    # what the client wrote itself is left of the address its proxy saw
    assert address(proxies, "127.0.0.1", "1.2.3.4, 203.0.113.5") == "203.0.113.5"
    assert address(proxies, "127.0.0.1", "1.2.3.4", "203.0.113.5, 10.1.2.3") == "203.0.113.5"
    assert address(proxies, "127.0.0.1", "2001:db8::7") == "2001:db8::7"
    # no header, a garbled hop, or only proxies: the peer itself
    assert address(proxies, "127.0.0.1") == "127.0.0.1"
    assert address(proxies, "127.0.0.1", "1.2.3.4, not-an-address") == "127.0.0.1"
    assert address(proxies, "127.0.0.1", "10.0.0.1") == "127.0.0.1"
    # a peer that is not a trusted proxy says nothing about anyone else
    assert address(proxies, "198.51.100.9", "203.0.113.5") == "198.51.100.9"
