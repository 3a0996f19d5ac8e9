"""The address of the client behind a request, for per-address limits and the audit log.

It is ``request.remote``, unless that is a proxy the deployment trusts
(``MENTORCALL_TRUSTED_PROXIES``, networks): then it is the last address of
``X-Forwarded-For`` that is not itself a trusted proxy (each proxy appends the address it
got the request from, so the entries left of that one are whatever the client sent and
prove nothing). Without trusted proxies the header is ignored: anyone could send one.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from aiohttp import web

FORWARDED_FOR = "X-Forwarded-For"


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


class ClientAddress:
    """Finds the client's address of a request, through the trusted proxies."""

    def __init__(self, trusted_proxies: Sequence[str] = ()) -> None:
        self._trusted = tuple(ip_network(network, strict=False) for network in trusted_proxies)

    def _is_proxy(self, address: IPv4Address | IPv6Address) -> bool:
        return any(address in network for network in self._trusted)

    def of(self, request: web.BaseRequest) -> str:
        remote = request.remote or ""
        peer = _address(remote)
        if peer is None or not self._is_proxy(peer):
            return remote
        hops = ",".join(request.headers.getall(FORWARDED_FOR, [])).split(",")
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:  # missing or garbled: nothing left of it can be trusted
                return remote
            if not self._is_proxy(address):
                return str(address)
        return remote
