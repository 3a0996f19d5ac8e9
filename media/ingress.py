"""RtpIngress: a forwarding connection's RTP, from the socket to the fan-out in one call.

aiortc moves every received datagram through a queue and a chain of coroutines: aioice
queues it, the DTLS transport's task awaits it, unprotects it, awaits the router's
receiver, which awaits its RTCP sends. For a forwarding connection that is most of the
CPU an incoming packet costs. RtpIngress takes over, per DTLS transport, the SRTP-
protected RTP datagrams (first byte 128-191, not RTCP) right where aioice hands them
over, and runs SRTP unprotect, parsing, aiortc's routing rules and the
:class:`~media.receiver.ForwardingReceiver` synchronously; DTLS, RTCP and STUN keep
taking aiortc's own path. The transport's receive counters (``getStats``) stay true.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import TYPE_CHECKING, Any

import pylibsrtp
from aioice.ice import StunProtocol
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters

from media import guards
from media.fanout import NTP_UNIX_OFFSET
from media.rtpheader import URI_ABS_SEND_TIME, URI_AUDIO_LEVEL, parse_rtp
from media.srtp import FastSrtp

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

MAX_DATAGRAM = 256 * 1024  # what asyncio's datagram transport reads at most
DRAIN_MAX = 32  # datagrams read per wakeup at most, after the one asyncio read

_EMPTY: frozenset[Any] = frozenset()
_CONNECTED = State.CONNECTED

_INGRESS_ATTRIBUTE = "_mentorcall_rtp_ingress"  # where a transport keeps its ingress


class RtpIngress:
    """Receives the SRTP-protected RTP of one DTLS transport synchronously.

    Install it with :meth:`for_transport` once the transport is connected (a forwarding
    receiver does, in ``receive``). Receivers found by aiortc's routing rules (SSRC,
    else a payload type only one receiver has) get ``handle_rtp(packet, now)`` when
    they have it (forwarding receivers), else aiortc's ``_handle_rtp_packet`` as a task.
    """

    def __init__(self, dtls: RTCDtlsTransport) -> None:
        self._dtls = dtls
        self._router = dtls._rtp_router
        connection = dtls.transport._connection
        self._connection = connection
        self._queue: Callable[[bytes, int], None] = connection.data_received
        self._abs_send_time_id: int | None = None
        self._audio_level_id: int | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._srtp: FastSrtp | None = None
        self.packets = 0  # RTP packets received here (unprotected and parsed)
        self.drained = 0  # datagrams read by draining a burst, not by asyncio
        connection.data_received = self.data_received  # type: ignore[method-assign]
        for protocol in list(connection._protocols):
            # host sockets: skip aioice's STUN parse attempt for RTP datagrams
            if type(protocol) is StunProtocol:
                protocol.datagram_received = self._bypass(protocol)  # type: ignore[method-assign,assignment]

    @classmethod
    def for_transport(cls, dtls: RTCDtlsTransport) -> RtpIngress:
        """The transport's ingress, installed on first use."""
        ingress = cls.installed(dtls)
        if ingress is None:
            ingress = cls(dtls)
            # on the transport itself: the two live and die together
            setattr(dtls, _INGRESS_ATTRIBUTE, ingress)
        return ingress

    @classmethod
    def installed(cls, dtls: RTCDtlsTransport) -> RtpIngress | None:
        """The transport's ingress if one was installed."""
        ingress = getattr(dtls, _INGRESS_ATTRIBUTE, None)
        return ingress if isinstance(ingress, RtpIngress) else None

    def configure(self, parameters: RTCRtpReceiveParameters) -> None:
        """Learn the header extension ids (shared by every m-line of a bundle)."""
        for extension in parameters.headerExtensions:
            if extension.uri == URI_ABS_SEND_TIME:
                self._abs_send_time_id = extension.id
            elif extension.uri == URI_AUDIO_LEVEL:
                self._audio_level_id = extension.id

    def _bypass(self, protocol: StunProtocol) -> Callable[[bytes, tuple[Any, ...]], None]:
        original = protocol.datagram_received
        receive = self._receive
        transport = protocol.transport
        sock = getattr(transport, guards.ASYNCIO_TRANSPORT_SOCKET, None)
        if not isinstance(sock, socket.socket):
            sock = None  # another event loop's transport: one datagram per wakeup

        def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
            # (aioice would first try, and fail, to parse RTP as STUN)
            if not receive(data):
                original(data, addr)
            if sock is None:
                return
            # A video frame arrives as a burst of datagrams: read the rest of the burst
            # now instead of one event loop iteration (and epoll_wait) per datagram.
            for _ in range(DRAIN_MAX):
                if transport.is_closing():
                    return
                try:
                    data, addr = sock.recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:
                    protocol.error_received(exc)  # as asyncio's transport would
                    return
                self.drained += 1
                if not receive(data):
                    original(data, addr)

        return datagram_received

    def data_received(self, data: bytes, component: int) -> None:
        """aioice's Connection.data_received for this connection: RTP here, else queued."""
        if not self._receive(data):
            self._queue(data, component)

    def _receive(self, data: bytes) -> bool:
        """Handle ``data`` if it is SRTP-protected RTP (True), else leave it (False)."""
        if (
            len(data) <= 12
            or not 127 < data[0] < 192  # RTP/RTCP: never STUN (0-3), DTLS (20-63)
            or 191 < data[1] < 209  # RTCP (aiortc's is_rtcp)
        ):
            return False
        dtls: Any = self._dtls
        session = dtls._rx_srtp
        if session is None or dtls._state is not _CONNECTED:
            return False
        # (guards.DTLS_RX_BYTES / DTLS_RX_PACKETS: what aiortc's _recv_next counts)
        dtls._RTCDtlsTransport__rx_bytes += len(data)
        dtls._RTCDtlsTransport__rx_packets += 1
        now = time.time()
        srtp = self._srtp
        if srtp is None or srtp.session is not session:
            srtp = self._srtp = FastSrtp(session)
        try:
            data = srtp.unprotect(data)
            packet = parse_rtp(data, self._abs_send_time_id, self._audio_level_id)
        except (pylibsrtp.Error, ValueError):
            return True  # aiortc drops these too
        self.packets += 1

        # aiortc's RtpRouter.route_rtp: by SSRC, else by a payload type one receiver has
        router = self._router
        ssrc = packet.ssrc
        receiver = router.ssrc_table.get(ssrc)
        by_type = router.payload_type_table.get(packet.payload_type, _EMPTY)
        if receiver is None:
            if len(by_type) != 1:
                return True
            (receiver,) = by_type
            accepts = getattr(receiver, "accepts_ssrc", None)
            if accepts is not None and not accepts(ssrc):
                return True  # no more SSRCs for it: dropped, and not learnt
            router.ssrc_table[ssrc] = receiver
        elif receiver not in by_type:
            return True

        handle = getattr(receiver, "handle_rtp", None)
        if handle is None:
            arrival_ms = int((now + NTP_UNIX_OFFSET) * 1000)
            task = asyncio.ensure_future(receiver._handle_rtp_packet(packet, arrival_ms))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return True
        try:
            handle(packet, now)
        except Exception:
            # one bad packet must not stop the connection's receive path
            logger.exception("handling an RTP packet failed")
        return True
