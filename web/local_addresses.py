"""``local`` in ``MENTORCALL_ICE_ALLOWED_NETWORKS``: this machine's own addresses.

A browser on the server's own machine offers its interface addresses as ICE candidates
(Chrome and Chromium offer no loopback address unless started with
``--allow-loopback-in-peer-connection``), so with the loopback-only default its call
never connects. Allowing this machine's own addresses as *remote* candidates fixes that
without listening anywhere new: the SFU still gathers only on ``MENTORCALL_ICE_HOSTS``
(127.0.0.1 by default), and a datagram reaching a loopback socket can only come from
this machine. Nothing is resolved or sent on the network (no mDNS): the addresses are
read from the interfaces once, at start-up. Link-local addresses are left out (their
candidates need a scope the SFU does not keep)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

import ifaddr

LOCAL = "local"


def own_addresses() -> list[str]:
    """This machine's interface addresses, without loopback and link-local ones."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for entry in adapter.ips:
            text = entry.ip if isinstance(entry.ip, str) else entry.ip[0]
            try:
                ip = ipaddress.ip_address(text)
            except ValueError:
                continue
            if ip.is_loopback or ip.is_link_local or str(ip) in found:
                continue
            found.append(str(ip))
    return found


def with_own_addresses(networks: Iterable[str],
                       own: Callable[[], list[str]] = own_addresses) -> tuple[str, ...]:
    """``networks`` with ``local`` replaced by one host network per own address."""
    out: list[str] = []
    for network in networks:
        if network.strip().lower() != LOCAL:
            out.append(network)
            continue
        for address in own():
            host = f"{address}/{32 if ipaddress.ip_address(address).version == 4 else 128}"
            if host not in out:
                out.append(host)
    return tuple(out)


def loopback_only(ice_hosts: Iterable[str], networks: Iterable[str]) -> bool:
    """Whether media is offered and accepted on loopback addresses alone (the default):
    then a browser on this machine needs --allow-loopback-in-peer-connection."""
    def loopback(text: str) -> bool:
        try:
            return ipaddress.ip_network(text, strict=False).is_loopback
        except ValueError:
            return False
    return all(loopback(h) for h in ice_hosts) and all(loopback(n) for n in networks)
