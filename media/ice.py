"""ICE policy: gather exactly the configured addresses, accept only allowed networks.

aioice gathers on every interface except 127.0.0.1 and aiortc contacts a public STUN
server unless told otherwise. A media server must use exactly the addresses it was
given (loopback in tests), never contact an unconfigured server, and ignore remote
candidates outside the networks it serves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from aioice import Connection
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCBundlePolicy

_GATHER_MARK = "_mentorcall_gathers_on"

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def rtc_configuration(ice_servers: Iterable[str]) -> RTCConfiguration:
    """An explicit configuration (no default STUN server), one bundled transport."""
    return RTCConfiguration(
        iceServers=[RTCIceServer(urls=url) for url in ice_servers],
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )


def ice_connections(pc: RTCPeerConnection) -> list[Connection]:
    """The aioice connections behind every transport of ``pc`` (deduplicated)."""
    connections: dict[int, Connection] = {}
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    for dtls in transports:
        connection = dtls.transport.iceGatherer._connection
        connections[id(connection)] = connection
    return list(connections.values())


def restrict_gathering(pc: RTCPeerConnection, addresses: Iterable[str]) -> None:
    """Make every ICE connection of ``pc`` gather host candidates on ``addresses`` only.

    Call before ``setLocalDescription`` (which gathers). STUN/TURN candidates still come
    from the servers in the connection's configuration, if any.
    """
    wanted = list(addresses)
    for connection in ice_connections(pc):
        if gathering_addresses(connection) is None:
            restrict_connection(connection, wanted)


def restrict_connection(connection: Connection, addresses: Iterable[str]) -> None:
    """Make one aioice connection gather host candidates on ``addresses`` only."""
    wanted = list(addresses)
    setattr(connection, _GATHER_MARK, tuple(wanted))
    connection.gather_candidates = _gatherer(connection, wanted)  # type: ignore[method-assign]


def gathering_addresses(connection: Connection) -> tuple[str, ...] | None:
    """The addresses :func:`restrict_connection` gave ``connection``, or None."""
    addresses = getattr(connection, _GATHER_MARK, None)
    return addresses if isinstance(addresses, tuple) else None


def _gatherer(
    connection: Connection, addresses: list[str]
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def gather_candidates() -> None:
        # aioice's own gather_candidates, with the address list given instead of
        # discovered (it would skip 127.0.0.1 and add every other interface)
        if connection._local_candidates_start:
            return
        connection._local_candidates_start = True
        for component in sorted(connection._components):
            connection._local_candidates += await connection.get_component_candidates(
                component=component, addresses=list(addresses)
            )
        connection._local_candidates_end = True

    return gather_candidates


def allowed_networks(cidrs: Iterable[str]) -> list[IpNetwork]:
    """Parse CIDR strings (raises ValueError on a malformed one)."""
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]


def candidate_allowed(address: str, networks: list[IpNetwork]) -> bool:
    """True if ``address`` is an IP literal inside one of ``networks`` (mDNS names are not)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def filter_remote_candidates(sdp: str, networks: list[IpNetwork]) -> str:
    """``sdp`` without the ``a=candidate`` lines whose address is outside ``networks``."""
    kept = [line for line in sdp.splitlines()
            if not line.startswith("a=candidate:") or _line_allowed(line, networks)]
    return "\r\n".join(kept) + "\r\n"


def refused_candidates(sdp: str, networks: list[IpNetwork]) -> list[str]:
    """The type of each candidate :func:`filter_remote_candidates` drops, for a log line;
    with its address for a relayed one (``"relay <address>"``: a TURN server's, which an
    operator may have to allow), never the person's own addresses."""
    refused = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") and not _line_allowed(line, networks):
            fields = line.split()
            kind = fields[fields.index("typ") + 1] if "typ" in fields[:-1] else "?"
            refused.append(f"relay {fields[4]}" if kind == "relay" else kind)
    return refused


def has_candidates(sdp: str) -> bool:
    """True if ``sdp`` has at least one ``a=candidate`` line."""
    return any(line.startswith("a=candidate:") for line in sdp.splitlines())


def _line_allowed(line: str, networks: list[IpNetwork]) -> bool:
    fields = line.split()
    return len(fields) >= 5 and candidate_allowed(fields[4], networks)
