"""RtpIngress: every datagram at a forwarding connection's ICE port, screened, and its RTP
forwarded in one call.

Screening (media/admission.py has the rules and counters): a datagram longer than
MAX_DATAGRAM is dropped; STUN goes to aioice from any address (connectivity checks
carry their own integrity); DTLS, RTP and RTCP are taken only from the ICE-selected
remote address (before ICE selects a pair: from a candidate pair's remote address);
anything else is dropped. RTP and RTCP reach libsrtp only with a header that fits and
an admitted SSRC, every SRTP failure is counted per packet, and no datagram can raise
into aiortc's receive loop (which closes the transport when anything escapes it).

Speed: aiortc moves every received datagram through a queue and a chain of coroutines.
RtpIngress takes the SRTP-protected RTP (first byte 128-191, not RTCP) right where
aioice hands it over and runs SRTP unprotect, parsing, aiortc's routing rules and the
:class:`~media.receiver.ForwardingReceiver` synchronously. RTCP is unprotected here too
and handed to aiortc's RTCP routing; DTLS keeps aiortc's own path. The transport's
receive counters (``getStats``) stay true.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import TYPE_CHECKING, Any

import pylibsrtp
from aioice import Connection
from aioice.ice import CandidatePair, StunProtocol
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters

from media import guards
from media.admission import (
    MAX_DATAGRAM,
    IngressCounters,
    SsrcAdmission,
    rtcp_ssrc,
    rtp_ssrc,
)
from media.fanout import NTP_UNIX_OFFSET
from media.rtpheader import URI_ABS_SEND_TIME, URI_AUDIO_LEVEL, parse_rtp
from media.srtp import FastSrtp

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

RECV_SIZE = 2048  # bytes read per datagram when draining: longer ones are dropped anyway
DRAIN_MAX = 32  # datagrams read per wakeup at most, after the one asyncio read
COMPONENT = 1  # aiortc multiplexes RTP and RTCP on ICE component 1

_EMPTY: frozenset[Any] = frozenset()
_CONNECTED = State.CONNECTED

_INGRESS_ATTRIBUTE = "_mentorcall_rtp_ingress"  # where a transport keeps its ingress


class RtpIngress:
    """Screens every datagram of one DTLS transport; receives its SRTP synchronously.

    Install it with :meth:`for_transport` once the transport's candidates are gathered
    (the forwarding peer connection does, in ``apply_local``). Receivers found by
    aiortc's routing rules (SSRC, else a payload type only one receiver has) get
    ``handle_rtp(packet, now)`` when they have it (forwarding receivers), else aiortc's
    ``_handle_rtp_packet`` as a task. ``counters`` counts what was dropped and why.
    """

    def __init__(
        self,
        dtls: RTCDtlsTransport,
        admission: SsrcAdmission | None = None,
        stun_from: Callable[[str], bool] | None = None,
    ) -> None:
        self._dtls = dtls
        # Which source hosts may run ICE checks here (None: any). A check from outside
        # the allowed networks would make a peer-reflexive pair that no DTLS can follow.
        self._stun_from = stun_from
        self._router = dtls._rtp_router
        connection = dtls.transport._connection
        self._connection = connection
        # an ICE restart's other connections: being checked, or the old one retiring
        self._others: tuple[Connection, ...] = ()
        self._queue: Callable[[bytes, int], None] = connection.data_received
        self._abs_send_time_id: int | None = None
        self._audio_level_id: int | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._srtp: FastSrtp | None = None
        self._pair: Any = None  # the selected pair last seen, and its remote address
        self._pair_host: str | None = None
        self._pair_port = -1
        self.admission = admission if admission is not None else SsrcAdmission()
        self.counters = IngressCounters()
        self.packets = 0  # RTP packets received here (unprotected and parsed)
        self.drained = 0  # datagrams read by draining a burst, not by asyncio
        self._take(connection)

    def _take(self, connection: Connection) -> None:
        """Screen every datagram of ``connection`` (its host sockets and relay data)."""
        connection.data_received = self.data_received  # type: ignore[method-assign]
        for protocol in list(connection._protocols):
            if type(protocol) is StunProtocol:  # host sockets (TURN relays use data_received)
                protocol.datagram_received = self._screen(protocol)  # type: ignore[method-assign,assignment]

    def follow(self, connection: Connection) -> None:
        """An ICE restart (media/ice_restart.py) gathered ``connection``: screen its
        datagrams too, and hand DTLS to its queue (which the transport reads). Its
        candidate pairs are admitted beside the current connection's selected one."""
        self._queue = connection.data_received
        self._take(connection)
        self._others = (*self._others, connection)

    def promote(self, connection: Connection) -> None:
        """The restart's ``connection`` carries the data now; the old one's pairs stay
        admitted until :meth:`retire` (the peer may still send on it for a moment)."""
        old = self._connection
        self._others = (*(c for c in self._others if c is not connection and c is not old), old)
        self._connection = connection
        self._pair = None

    def retire(self, connection: Connection) -> None:
        """``connection`` closes (an ICE restart left it, or abandoned it): its pairs are
        not admitted any more."""
        self._others = tuple(c for c in self._others if c is not connection)

    @classmethod
    def for_transport(
        cls,
        dtls: RTCDtlsTransport,
        admission: SsrcAdmission | None = None,
        stun_from: Callable[[str], bool] | None = None,
    ) -> RtpIngress:
        """The transport's ingress, installed on first use."""
        ingress = cls.installed(dtls)
        if ingress is None:
            ingress = cls(dtls, admission, stun_from)
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

    def release(self) -> None:
        """The connection closed: free libsrtp's per-SSRC state now, not at collection."""
        session = self._dtls._rx_srtp
        if session is not None:
            for ssrc in self.admission.seen:
                try:
                    session.remove_stream(ssrc)
                except pylibsrtp.Error:
                    pass  # signalled on another transport of the connection
        self._srtp = None

    # -- screening ------------------------------------------------------------------------

    def _screen(self, protocol: StunProtocol) -> Callable[[bytes, tuple[Any, ...]], None]:
        original = protocol.datagram_received
        counters = self.counters
        selected = self._from_selected
        accept = self._accept
        stun_from = self._stun_from
        transport = protocol.transport
        sock = getattr(transport, guards.ASYNCIO_TRANSPORT_SOCKET, None)
        if not isinstance(sock, socket.socket):
            sock = None  # another event loop's transport: one datagram per wakeup

        def screen(data: bytes, addr: tuple[Any, ...]) -> None:
            if len(data) > MAX_DATAGRAM:
                counters.oversized += 1
            elif not data:
                counters.malformed += 1
            elif data[0] < 4:
                # STUN (RFC 7983): aioice answers and checks it, from any address in the
                # allowed ICE networks
                if stun_from is not None and not stun_from(addr[0]):
                    counters.outside += 1
                    return
                try:
                    original(data, addr)
                except Exception:
                    counters.malformed += 1
                    logger.debug("aioice refused a STUN-like datagram", exc_info=True)
            elif selected(addr):
                accept(data)
            else:
                counters.foreign += 1

        def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
            screen(data, addr)
            if sock is None:
                return
            # A video frame arrives as a burst of datagrams: read the rest of the burst
            # now instead of one event loop iteration (and epoll_wait) per datagram.
            for _ in range(DRAIN_MAX):
                if transport.is_closing():
                    return
                try:
                    data, addr = sock.recvfrom(RECV_SIZE)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:
                    protocol.error_received(exc)  # as asyncio's transport would
                    return
                self.drained += 1
                screen(data, addr)

        return datagram_received

    def _from_selected(self, addr: tuple[Any, ...]) -> bool:
        """True if ``addr`` is the ICE-selected remote address, or that of another pair
        whose connectivity check succeeded (before a pair is selected: the remote address
        of any candidate pair, i.e. signalled or learnt by a check).

        When the server is the controlling agent (it offers: a subscribe connection), a
        browser may send from the local candidate of another valid pair than the one
        the server nominated (seen with Chromium: two host addresses reaching 127.0.0.1).
        """
        connection = self._connection
        pair = connection._nominated.get(COMPONENT)
        here = (addr[0], addr[1])
        for other in self._others:  # restarting ICE: a pair of the new or old connection
            if any(p.remote_addr == here for p in other._check_list):
                return True
        if pair is None:
            return any(p.remote_addr == here for p in connection._check_list)
        if pair is not self._pair:
            self._pair = pair
            self._pair_host, self._pair_port = pair.remote_addr
        if addr[1] == self._pair_port and addr[0] == self._pair_host:
            return True
        return any(
            p.remote_addr == here and p.state == CandidatePair.State.SUCCEEDED
            for p in connection._check_list
        )

    def data_received(self, data: bytes, component: int) -> None:
        """aioice's Connection.data_received: non-STUN data from a relay (TURN), or host
        data aioice could not parse as STUN."""
        if len(data) > MAX_DATAGRAM:
            self.counters.oversized += 1
        elif data:
            self._accept(data)
        else:
            self.counters.malformed += 1

    def _accept(self, data: bytes) -> None:
        """A datagram from the peer: SRTP here, DTLS to aiortc, anything else dropped."""
        first = data[0]
        if 127 < first < 192:
            if 191 < data[1] < 209:  # RTCP (aiortc's is_rtcp)
                self._receive_rtcp(data)
            else:
                self._receive_rtp(data)
        elif 19 < first < 64:
            self._queue(data, COMPONENT)  # DTLS: aiortc's own path
        else:
            self.counters.malformed += 1

    # -- SRTP -----------------------------------------------------------------------------

    def _session(self, data: bytes) -> Any:
        """The receive SRTP session if the transport is connected (counting the datagram
        as aiortc's _recv_next would), else None."""
        dtls: Any = self._dtls
        session = dtls._rx_srtp
        if session is None or dtls._state is not _CONNECTED:
            self.counters.not_ready += 1
            return None
        # (guards.DTLS_RX_BYTES / DTLS_RX_PACKETS: what aiortc's _recv_next counts)
        dtls._RTCDtlsTransport__rx_bytes += len(data)
        dtls._RTCDtlsTransport__rx_packets += 1
        return session

    def _receive_rtcp(self, data: bytes) -> None:
        session = self._session(data)
        if session is None:
            return
        ssrc = rtcp_ssrc(data)
        if ssrc is None:
            self.counters.malformed += 1
            return
        admission = self.admission
        if not admission.may_unprotect(ssrc):
            self.counters.ssrc_refused += 1
            return
        try:
            data = session.unprotect_rtcp(data)
        except (pylibsrtp.Error, ValueError):
            self.counters.srtp_failed += 1
            return
        admission.unprotected(ssrc)
        self._spawn(self._handle_rtcp(data))

    async def _handle_rtcp(self, data: bytes) -> None:
        try:
            await self._dtls._handle_rtcp_data(data)
        except Exception:
            # one bad packet must not stop the connection's receive path
            self.counters.handler_failed += 1
            logger.exception("handling an RTCP packet failed")

    def _receive_rtp(self, data: bytes) -> None:
        session = self._session(data)
        if session is None:
            return
        counters = self.counters
        ssrc = rtp_ssrc(data)
        if ssrc is None:
            counters.malformed += 1
            return
        admission = self.admission
        known = ssrc in admission.seen
        if not known and not admission.may_unprotect(ssrc):
            counters.ssrc_refused += 1
            return
        now = time.time()
        srtp = self._srtp
        if srtp is None or srtp.session is not session:
            srtp = self._srtp = FastSrtp(session)
        try:
            data = srtp.unprotect(data)
        except (pylibsrtp.Error, ValueError):
            counters.srtp_failed += 1
            return
        if not known:
            admission.unprotected(ssrc)
        try:
            packet = parse_rtp(data, self._abs_send_time_id, self._audio_level_id)
        except ValueError:
            counters.malformed += 1  # aiortc drops these too
            return
        self.packets += 1

        # aiortc's RtpRouter.route_rtp: by SSRC, else by a payload type one receiver has
        router = self._router
        receiver = router.ssrc_table.get(ssrc)
        by_type = router.payload_type_table.get(packet.payload_type, _EMPTY)
        if receiver is None:
            if len(by_type) != 1:
                return
            (receiver,) = by_type
            accepts = getattr(receiver, "accepts_ssrc", None)
            if accepts is not None and not accepts(ssrc):
                return  # no more SSRCs for it: dropped, and not learnt
            router.ssrc_table[ssrc] = receiver
        elif receiver not in by_type:
            return

        handle = getattr(receiver, "handle_rtp", None)
        if handle is None:
            arrival_ms = int((now + NTP_UNIX_OFFSET) * 1000)
            self._spawn(receiver._handle_rtp_packet(packet, arrival_ms))
            return
        try:
            handle(packet, now)
        except Exception:
            # one bad packet must not stop the connection's receive path
            counters.handler_failed += 1
            logger.exception("handling an RTP packet failed")

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
