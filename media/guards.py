"""Start-up self-check of every private aiortc/aioice/pylibsrtp/asyncio name media/ uses.

aiortc offers no public hook for RTP-level forwarding, so media/ overrides a few
single-underscore methods and reads a few name-mangled attributes; its synchronous
receive path (media/ingress.py) also reaches into aioice's connection, pylibsrtp's
session and asyncio's datagram transport. Each such name is a constant here or in the
module using it, and :func:`check_aiortc` verifies all of them against the installed
packages, so an upgrade that renames one fails loudly at start-up instead of silently
decoding (or dropping) media.
"""

from __future__ import annotations

import asyncio.selector_events
import sys
from collections.abc import Callable
from typing import Any

import aioice
import aiortc
import pylibsrtp
from aioice import Connection
from aioice.ice import CandidatePair, StunProtocol
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rate import AimdRateControl, OveruseDetector, OveruseEstimator
from aiortc.rtcdtlstransport import RTCDtlsTransport, RtpRouter
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpreceiver import StreamStatistics
from pylibsrtp import _binding as srtp_binding

from media import srtp

# RTCRtpReceiver: name-mangled state the forwarding receiver reads and fills.
RECEIVER_CODECS = "_RTCRtpReceiver__codecs"
RECEIVER_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
RECEIVER_REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
RECEIVER_ACTIVE_SSRC = "_RTCRtpReceiver__active_ssrc"
RECEIVER_RTCP_TASK = "_RTCRtpReceiver__rtcp_task"
RECEIVER_STARTED = "_RTCRtpReceiver__started"
RECEIVER_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"

# RTCRtpSender: events its stop() waits on, and the counters its RTCP loop reports in SRs.
SENDER_RTP_STARTED = "_RTCRtpSender__rtp_started"
SENDER_RTP_EXITED = "_RTCRtpSender__rtp_exited"
SENDER_PACKET_COUNT = "_RTCRtpSender__packet_count"
SENDER_OCTET_COUNT = "_RTCRtpSender__octet_count"
SENDER_NTP_TIMESTAMP = "_RTCRtpSender__ntp_timestamp"
SENDER_RTP_TIMESTAMP = "_RTCRtpSender__rtp_timestamp"
SENDER_ENCODER = "_RTCRtpSender__encoder"
SENDER_SR_COUNTERS = (
    SENDER_PACKET_COUNT,
    SENDER_OCTET_COUNT,
    SENDER_NTP_TIMESTAMP,
    SENDER_RTP_TIMESTAMP,
)

# RTCRtpTransceiver: where its sender and receiver live (swapped for forwarding ones).
TRANSCEIVER_RECEIVER = "_RTCRtpTransceiver__receiver"
TRANSCEIVER_SENDER = "_RTCRtpTransceiver__sender"

# RTCPeerConnection: the one place transceivers are created (overridden per connection).
PC_CREATE_TRANSCEIVER = "_RTCPeerConnection__createTransceiver"

# RTCDtlsTransport: SRTP contexts, state, router and receive counters used by the direct
# send and receive paths (media/sender.py, media/ingress.py).
DTLS_TX_SRTP = "_tx_srtp"
DTLS_RX_SRTP = "_rx_srtp"
DTLS_STATE = "_state"
DTLS_RTP_ROUTER = "_rtp_router"
DTLS_RX_BYTES = "_RTCDtlsTransport__rx_bytes"
DTLS_RX_PACKETS = "_RTCDtlsTransport__rx_packets"

# ICE restart (media/ice_restart.py, media/ice_carrier.py): aioice's receive queue, the
# ICE transport's state monitor task and state setter, the gatherer's end-of-candidates
ICE_MONITOR_TASK = "_RTCIceTransport__monitor_task"
ICE_SET_STATE = "_RTCIceTransport__setState"
GATHERER_REMOTE_END = "_remote_candidates_end"
CONNECTION_QUEUE = "_queue"

# asyncio's datagram transport: its socket, read directly to drain a burst (ingress.py).
ASYNCIO_TRANSPORT_SOCKET = "_sock"


def _selector_transport(name: str) -> Any:
    """asyncio's (private) selector transport class ``name``, or None without it."""
    return getattr(asyncio.selector_events, name, None)


def _referenced_names(function: Any) -> set[str]:
    """Attribute names a function's code loads or stores (mangled names included)."""
    code = getattr(function, "__code__", None)
    return set(code.co_names) if code is not None else set()


def _requirements() -> list[tuple[str, Callable[[], bool]]]:
    """(name as people read it, check) for every private name media/ relies on."""

    def method(owner: type, name: str) -> tuple[str, Callable[[], bool]]:
        return f"{owner.__name__}.{name}", lambda: callable(getattr(owner, name, None))

    def attribute(owner: type, name: str, where: str = "__init__") -> tuple[str, Any]:
        return (
            f"{owner.__name__}.{name} (referenced in {where})",
            lambda: name in _referenced_names(getattr(owner, where, None)),
        )

    return [
        # receiver
        method(RTCRtpReceiver, "_handle_rtp_packet"),
        method(RTCRtpReceiver, "_handle_rtcp_packet"),
        method(RTCRtpReceiver, "_run_rtcp"),
        method(RTCRtpReceiver, "_send_rtcp"),
        method(RTCRtpReceiver, "_send_rtcp_nack"),
        method(RTCRtpReceiver, "_send_rtcp_pli"),
        method(RTCRtpReceiver, "_set_rtcp_ssrc"),
        attribute(RTCRtpReceiver, "_enabled"),
        attribute(RTCRtpReceiver, RECEIVER_CODECS),
        attribute(RTCRtpReceiver, RECEIVER_RTX_SSRC),
        attribute(RTCRtpReceiver, RECEIVER_REMOTE_STREAMS),
        attribute(RTCRtpReceiver, RECEIVER_ACTIVE_SSRC),
        attribute(RTCRtpReceiver, RECEIVER_RTCP_TASK),
        attribute(RTCRtpReceiver, RECEIVER_STARTED),
        attribute(RTCRtpReceiver, RECEIVER_DECODER_THREAD),
        attribute(RTCRtpReceiver, RECEIVER_REMOTE_STREAMS, "_run_rtcp"),
        # sender
        method(RTCRtpSender, "_run_rtp"),
        method(RTCRtpSender, "_run_rtcp"),
        method(RTCRtpSender, "_retransmit"),
        method(RTCRtpSender, "_send_keyframe"),
        method(RTCRtpSender, "_handle_rtcp_packet"),
        attribute(RTCRtpSender, "_retransmit", "_handle_rtcp_packet"),
        attribute(RTCRtpSender, "_send_keyframe", "_handle_rtcp_packet"),
        attribute(RTCRtpSender, "_ssrc"),
        attribute(RTCRtpSender, "_rtx_ssrc"),
        attribute(RTCRtpSender, "_stream_id"),
        attribute(RTCRtpSender, SENDER_RTP_STARTED),
        attribute(RTCRtpSender, SENDER_RTP_EXITED),
        attribute(RTCRtpSender, SENDER_ENCODER),
        *(attribute(RTCRtpSender, name) for name in SENDER_SR_COUNTERS),
        *(attribute(RTCRtpSender, name, "_run_rtcp") for name in SENDER_SR_COUNTERS),
        attribute(RTCRtpSender, "_track_id", "replaceTrack"),
        # transceiver and peer connection
        attribute(RTCRtpTransceiver, TRANSCEIVER_RECEIVER),
        attribute(RTCRtpTransceiver, TRANSCEIVER_SENDER),
        method(RTCPeerConnection, PC_CREATE_TRANSCEIVER),
        # transports
        method(RTCDtlsTransport, "_register_rtp_receiver"),
        method(RTCDtlsTransport, "_handle_rtcp_data"),
        attribute(RTCDtlsTransport, DTLS_TX_SRTP, "_setup_srtp"),
        attribute(RTCDtlsTransport, DTLS_RX_SRTP, "_setup_srtp"),
        attribute(RTCDtlsTransport, DTLS_RX_SRTP, "_recv_next"),
        attribute(RTCDtlsTransport, DTLS_STATE),
        attribute(RTCDtlsTransport, DTLS_RTP_ROUTER),
        attribute(RTCDtlsTransport, DTLS_RTP_ROUTER, "_handle_rtp_data"),
        attribute(RTCDtlsTransport, DTLS_RX_BYTES),
        attribute(RTCDtlsTransport, DTLS_RX_PACKETS),
        attribute(RTCDtlsTransport, DTLS_RX_PACKETS, "_recv_next"),
        attribute(RtpRouter, "ssrc_table", "route_rtp"),
        attribute(RtpRouter, "payload_type_table", "route_rtp"),
        attribute(RTCIceGatherer, "_connection"),
        attribute(RTCIceTransport, "_connection"),
        # ICE restart (media/ice_restart.py, media/ice_carrier.py): the transport's bound
        # send/recv, its state monitor and setter, the gatherer's end-of-candidates flag
        attribute(RTCIceTransport, "_send"),
        attribute(RTCIceTransport, "_recv"),
        attribute(RTCDtlsTransport, "_recv", "_recv_next"),
        attribute(RTCDtlsTransport, "_send", "_send_rtp"),
        attribute(RTCIceTransport, ICE_MONITOR_TASK),
        attribute(RTCIceTransport, ICE_MONITOR_TASK, "stop"),
        method(RTCIceTransport, ICE_SET_STATE),
        attribute(RTCIceGatherer, GATHERER_REMOTE_END),
        attribute(RTCIceTransport, GATHERER_REMOTE_END, "addRemoteCandidate"),
        attribute(Connection, CONNECTION_QUEUE),
        attribute(Connection, CONNECTION_QUEUE, "recvfrom"),
        attribute(Connection, CONNECTION_QUEUE, "close"),
        *(attribute(Connection, name)
          for name in ("_use_ipv4", "_use_ipv6", "_transport_policy", "_closed")),
        # aioice: where non-STUN datagrams are handed over, and the host sockets
        method(Connection, "gather_candidates"),
        method(Connection, "get_component_candidates"),
        method(Connection, "data_received"),
        attribute(Connection, "_components"),
        attribute(Connection, "_local_candidates"),
        attribute(Connection, "_local_candidates_start"),
        attribute(Connection, "_local_candidates_end"),
        attribute(Connection, "_nominated"),
        attribute(Connection, "_check_list"),
        (
            "aioice CandidatePair.remote_addr (a property)",
            lambda: isinstance(getattr(CandidatePair, "remote_addr", None), property),
        ),
        attribute(Connection, "_protocols"),
        attribute(CandidatePair, "protocol"),
        attribute(StunProtocol, "transport", "connection_made"),
        attribute(StunProtocol, "data_received", "datagram_received"),
        method(StunProtocol, "datagram_received"),
        method(StunProtocol, "error_received"),
        # receive statistics, REMB estimator stages (media/remb.py)
        *(
            attribute(StreamStatistics, name)
            for name in ("_clockrate", "_jitter_q4", "_last_arrival", "_last_timestamp")
        ),
        *(
            attribute(OveruseEstimator, name)
            for name in ("E", "process_noise", "_offset", "previous_offset", "slope")
        ),
        *(
            attribute(OveruseEstimator, name)
            for name in ("var_noise", "_num_of_deltas", "ts_delta_hist")
        ),
        attribute(OveruseEstimator, "update_min_frame_period", "update"),
        method(OveruseEstimator, "update_noise_estimate"),
        attribute(OveruseDetector, "hypothesis"),
        method(OveruseDetector, "detect"),
        method(AimdRateControl, "update"),
        method(AimdRateControl, "feedback_interval"),
        # pylibsrtp: the session's C context and buffer, libsrtp's RTP calls (srtp.py)
        attribute(pylibsrtp.Session, srtp.SESSION_CONTEXT),
        attribute(pylibsrtp.Session, srtp.SESSION_CDATA),
        attribute(pylibsrtp.Session, srtp.SESSION_BUFFER),
        method(pylibsrtp.Session, "unprotect_rtcp"),
        method(pylibsrtp.Session, "remove_stream"),
        (
            "pylibsrtp._binding.lib.srtp_protect/srtp_unprotect",
            lambda: all(
                callable(getattr(srtp_binding.lib, name, None))
                for name in ("srtp_protect", "srtp_unprotect")
            ),
        ),
        # asyncio's datagram transport socket (media/ingress.py drains bursts from it)
        attribute(_selector_transport("_SelectorTransport"), ASYNCIO_TRANSPORT_SOCKET),
        attribute(
            _selector_transport("_SelectorDatagramTransport"),
            ASYNCIO_TRANSPORT_SOCKET,
            "_read_ready",
        ),
    ]


def missing_names() -> list[str]:
    """Every private name media/ relies on that the installed aiortc/aioice lack."""
    return [label for label, present in _requirements() if not present()]


def check_aiortc() -> None:
    """Fail loudly, naming versions and names, if a private aiortc/aioice name is gone.

    Raises RuntimeError; returns None when the installed packages have every name.
    """
    missing = missing_names()
    if missing:
        raise RuntimeError(
            f"media/ cannot forward RTP with aiortc {aiortc.__version__} "
            f"(aioice {aioice.__version__}, pylibsrtp {pylibsrtp.__version__}, "
            f"Python {sys.version.split()[0]}): missing private name(s): "
            + ", ".join(missing)
            + ". media/ is written against aiortc 1.16; pin aiortc==1.16.* or update "
            "media/guards.py and the code that uses these names."
        )
