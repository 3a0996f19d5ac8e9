"""ICE restart of a live aiortc peer connection: new ICE credentials, candidates and path
under the same DTLS transport (its SSL and SRTP state kept: no new handshake).

aiortc 1.16 has no ``restartIce``: its ``RTCIceGatherer`` makes one ``aioice.Connection``
at construction, ``RTCIceTransport`` binds that connection's ``send``/``recv`` and runs
``start()`` once, and the DTLS transport's receive loop ends when that connection
closes. A restart here, per (bundled) ICE transport:

1. :func:`begin_restart` (before creating the offer, or before applying a remote restart
   offer): a new ``aioice.Connection`` with the old one's settings (role, components,
   STUN/TURN, gathering addresses) gathers; the gatherer and transport hand it out (so
   the local description carries its credentials and candidates, and the remote ones
   go to it). Data keeps flowing on the old connection meanwhile: the transport sends
   through the *carrier* (the old connection until the new one is checked; a datagram
   that cannot go anywhere during the restart is dropped, as a cut path would, instead
   of ending aiortc's senders), and receives from one queue both connections feed, so
   the old connection's end never ends the DTLS receive loop. aiortc's state monitor
   is replaced by one that watches the new connection.
2. :func:`finish_restart` (once the remote description with the peer's new credentials
   is applied): connectivity checks run in the background; when they succeed the new
   connection carries the data and the old one closes OLD_PATH_GRACE_S later (the
   peer's checks may succeed a moment after ours: until then it still sends on the old
   path, and packets lost there would stall receivers); when they fail the transport
   fails (as aiortc's own would when its connection ends).

:func:`restarted` waits for the checks. An :class:`~media.ingress.RtpIngress` on the
transport follows (it screens the new connection's sockets too). Every private aiortc
and aioice name used here is checked at start-up by media/guards.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aioice import Connection, ConnectionClosed
from aiortc import RTCPeerConnection
from aiortc import sdp as aiortc_sdp
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceTransport

from media.guards import (
    CONNECTION_QUEUE,
    GATHERER_REMOTE_END,
    ICE_MONITOR_TASK,
    ICE_SET_STATE,
)
from media.ice import gathering_addresses, restrict_connection
from media.ice_carrier import CARRIER, Carrier, carrier_of
from media.ingress import RtpIngress

logger = logging.getLogger(__name__)

OLD_PATH_GRACE_S = 2.0  # the old connection stays open this long after the new one took over


def ice_transports(pc: RTCPeerConnection) -> list[RTCIceTransport]:
    """Each distinct ICE transport of ``pc`` (one when bundled)."""
    return list({id(t): t for t in (d.transport for d in _dtls_transports(pc))}.values())


def ice_credentials(sdp: str) -> tuple[str, str] | None:
    """The first ``(ufrag, pwd)`` of a session description, or None."""
    ufrag = pwd = None
    for line in sdp.splitlines():
        if ufrag is None and line.startswith("a=ice-ufrag:"):
            ufrag = line.split(":", 1)[1].strip()
        elif pwd is None and line.startswith("a=ice-pwd:"):
            pwd = line.split(":", 1)[1].strip()
    return (ufrag, pwd) if ufrag is not None and pwd is not None else None


def fingerprint(sdp: str) -> str | None:
    """The first DTLS fingerprint of a session description (one per peer connection)."""
    for line in sdp.splitlines():
        if line.startswith("a=fingerprint:"):
            return line.split(":", 1)[1].strip().lower()
    return None


def is_restart_offer(pc: RTCPeerConnection, offer_sdp: str) -> bool:
    """True if ``offer_sdp`` comes from the same remote peer connection as ``pc``'s
    current remote description (same DTLS certificate) with new ICE credentials."""
    current = pc.remoteDescription
    if current is None or pc.connectionState in ("closed", "failed"):
        return False
    old = current.sdp
    return (fingerprint(offer_sdp) is not None and fingerprint(offer_sdp) == fingerprint(old)
            and ice_credentials(offer_sdp) != ice_credentials(old))


async def begin_restart(pc: RTCPeerConnection) -> None:
    """New local ICE credentials and candidates on every ICE transport of ``pc``; the
    next local description carries them. Data flows on the old path meanwhile."""
    for dtls in _dtls_transports(pc):
        transport = dtls.transport
        carrier = carrier_of(transport)
        if transport._connection is not carrier.connection:
            continue  # this transport's restart has begun (another m-line of it)
        if carrier.pending is not None:
            await _abandon(transport, carrier)  # a newer restart replaces it
        await _begin(dtls, transport, carrier)


async def abandon_restart(pc: RTCPeerConnection) -> None:
    """Drop the begun restarts of ``pc`` whose checks have not succeeded (their offer or
    answer failed); data goes on over the old path."""
    for transport in ice_transports(pc):
        carrier = _carrier(transport)
        if carrier is not None and carrier.pending is not None:
            await _abandon(transport, carrier)


async def _abandon(transport: RTCIceTransport, carrier: Carrier) -> None:
    """Drop a restart whose checks have not succeeded; the old path carries on."""
    pending, carrier.pending = carrier.pending, None
    if carrier.checks is not None:
        carrier.checks.cancel()
        carrier.checks = None
    transport.iceGatherer._connection = carrier.connection
    transport._connection = carrier.connection  # its monitor sees it superseded
    if pending is not None:
        setattr(pending, CONNECTION_QUEUE, asyncio.Queue())  # its end wakes nothing shared
        for ingress in carrier.ingresses:
            ingress.retire(pending)
        await pending.close()


async def _begin(dtls: RTCDtlsTransport, transport: RTCIceTransport, carrier: Carrier) -> None:
    old = carrier.connection
    new = _successor(old)
    await new.gather_candidates()
    setattr(new, CONNECTION_QUEUE, carrier.queue)
    # whatever the old connection still receives goes to the shared queue; its closing
    # (consent expired, or ours after the swap) wakes nothing there
    setattr(old, CONNECTION_QUEUE, asyncio.Queue())
    ingress = RtpIngress.installed(dtls)
    carrier.ingresses = [ingress] if ingress is not None else []
    if ingress is not None:
        ingress.follow(new)  # it receives the old connection's data too
    else:
        old.data_received = new.data_received  # type: ignore[method-assign]
    monitor = getattr(transport, ICE_MONITOR_TASK)
    if monitor is not None and monitor is not carrier.monitor:
        monitor.cancel()  # aiortc's: it would fail the transport when the old one closes
    carrier.pending = new
    transport.iceGatherer._connection = new
    transport._connection = new
    setattr(transport.iceGatherer, GATHERER_REMOTE_END, False)  # take the new candidates
    carrier.monitor = asyncio.ensure_future(_monitor(transport, carrier, new))
    setattr(transport, ICE_MONITOR_TASK, carrier.monitor)  # RTCIceTransport.stop awaits it


def finish_restart(
    pc: RTCPeerConnection, on_restarted: Callable[[], None] | None = None
) -> list[asyncio.Task[bool]]:
    """Start the checks of every begun restart of ``pc`` with the peer's new credentials
    (from its remote description, applied already). Returns their tasks (True: the new
    path carries the data; False: it failed, and so did the transport).
    ``on_restarted`` is called once a new path carries the data."""
    remote = pc.remoteDescription
    if remote is None:
        raise RuntimeError("no remote description to restart ICE with")
    parsed = aiortc_sdp.SessionDescription.parse(remote.sdp)
    by_mid = {media.rtp.muxId: media for media in parsed.media}
    tasks = []
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport.transport
        carrier = getattr(transport, CARRIER, None)
        media = by_mid.get(transceiver.mid or "")
        if (not isinstance(carrier, Carrier) or carrier.pending is None or media is None
                or media.ice is None):
            continue
        if carrier.checks is None or carrier.checks.done():
            new = carrier.pending
            new.remote_username = media.ice.usernameFragment
            new.remote_password = media.ice.password
            new.remote_is_lite = media.ice.iceLite
            carrier.checks = asyncio.ensure_future(_check(transport, carrier, new))
            if on_restarted is not None:
                carrier.checks.add_done_callback(_when_restarted(on_restarted))
            tasks.append(carrier.checks)
    return tasks


def _when_restarted(callback: Callable[[], None]) -> Callable[[asyncio.Task[bool]], None]:
    def done(task: asyncio.Task[bool]) -> None:
        if not task.cancelled() and task.exception() is None and task.result():
            callback()

    return done


def restarted(pc: RTCPeerConnection) -> Awaitable[list[bool]]:
    """Wait for the checks :func:`finish_restart` started."""
    checks = [c.checks for c in map(_carrier, ice_transports(pc))
              if c is not None and c.checks is not None]
    return asyncio.gather(*checks)


def restart_count(pc: RTCPeerConnection) -> int:
    """ICE restarts completed on ``pc`` (all its transports)."""
    return sum(c.restarts for c in map(_carrier, ice_transports(pc)) if c is not None)


def _carrier(transport: RTCIceTransport) -> Carrier | None:
    carrier = getattr(transport, CARRIER, None)
    return carrier if isinstance(carrier, Carrier) else None


async def _check(transport: RTCIceTransport, carrier: Carrier, new: Connection) -> bool:
    try:
        await new.connect()
    except Exception as exc:
        if not isinstance(exc, ConnectionError):
            logger.exception("ICE restart checks failed")
        if transport._connection is new and not new._closed:
            logger.info("ICE restart failed: no path with the new credentials")
            await new.close()  # its monitor fails the transport
        return False
    if transport._connection is not new:
        return False
    old = carrier.connection
    carrier.connection = new
    carrier.pending = None
    carrier.restarts += 1
    for ingress in carrier.ingresses:
        ingress.promote(new)
    # the peer's checks may end a moment after ours: until then it still sends on the
    # old path, so the old connection stays open (and admitted) a little longer
    retiring = asyncio.ensure_future(_retire(old, carrier.ingresses))
    carrier.retiring.add(retiring)
    retiring.add_done_callback(carrier.retiring.discard)
    pair = new._nominated.get(1)
    logger.info("ICE restart: the data goes to %s now (restart %d of this connection)",
                pair.remote_addr if pair is not None else "?", carrier.restarts)
    return True


async def _retire(old: Connection, ingresses: list[RtpIngress]) -> None:
    """Close the connection a restart left, OLD_PATH_GRACE_S after it did."""
    try:
        await asyncio.sleep(OLD_PATH_GRACE_S)
    finally:
        for ingress in ingresses:
            ingress.retire(old)
        await old.close()


async def _monitor(transport: RTCIceTransport, carrier: Carrier, connection: Connection) -> None:
    """aiortc's monitor for a connection that a restart made: a closed connection fails
    the transport; closed while still being checked, the old one closes too."""
    while True:
        event = await connection.get_event()
        if event is None or isinstance(event, ConnectionClosed):
            break
    if transport._connection is not connection:
        return
    for retiring in list(carrier.retiring):
        retiring.cancel()  # closes the old connection now
    if carrier.pending is connection:
        old = carrier.connection
        carrier.pending = None
        if not old._closed:
            await old.close()
        if transport.state != "closed":
            carrier.queue.put_nowait(None)  # the DTLS receive loop ends, as aiortc's would
    if transport.state == "completed":
        getattr(transport, ICE_SET_STATE)("failed")


def _successor(old: Connection) -> Connection:
    """A new connection with ``old``'s settings (and fresh credentials)."""
    new = Connection(
        ice_controlling=old.ice_controlling,
        components=max(old._components, default=1),
        stun_server=old.stun_server,
        turn_server=old.turn_server,
        turn_username=old.turn_username,
        turn_password=old.turn_password,
        turn_ssl=old.turn_ssl,
        turn_transport=old.turn_transport,
        use_ipv4=old._use_ipv4,
        use_ipv6=old._use_ipv6,
        transport_policy=old._transport_policy,
    )
    addresses = gathering_addresses(old)
    if addresses is not None:
        restrict_connection(new, addresses)
    return new


def _dtls_transports(pc: RTCPeerConnection) -> list[RTCDtlsTransport]:
    transports: list[Any] = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    return list({id(d): d for d in transports}.values())

