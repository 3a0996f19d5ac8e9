"""Start-up self-check of every private aiortc/aioice name media/ relies on.

aiortc offers no public hook for RTP-level forwarding, so media/ overrides a few
single-underscore methods and reads a few name-mangled attributes. Each such name is a
constant here, and :func:`check_aiortc` verifies all of them against the installed
packages, so an upgrade that renames one fails loudly at start-up instead of silently
decoding (or dropping) media.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aioice
import aiortc
from aioice import Connection
from aioice.ice import CandidatePair, StunProtocol
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceGatherer

# RTCRtpReceiver: name-mangled state the forwarding receiver reads and fills.
RECEIVER_CODECS = "_RTCRtpReceiver__codecs"
RECEIVER_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
RECEIVER_REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
RECEIVER_ACTIVE_SSRC = "_RTCRtpReceiver__active_ssrc"
RECEIVER_NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"
RECEIVER_BITRATE_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"
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

# RTCDtlsTransport: SRTP context and state used by the direct send path.
DTLS_TX_SRTP = "_tx_srtp"
DTLS_STATE = "_state"


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
        attribute(RTCRtpReceiver, RECEIVER_NACK_GENERATOR),
        attribute(RTCRtpReceiver, RECEIVER_BITRATE_ESTIMATOR),
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
        attribute(RTCDtlsTransport, DTLS_TX_SRTP, "_setup_srtp"),
        attribute(RTCDtlsTransport, DTLS_STATE),
        attribute(RTCIceGatherer, "_connection"),
        # aioice
        method(Connection, "gather_candidates"),
        method(Connection, "get_component_candidates"),
        attribute(Connection, "_components"),
        attribute(Connection, "_local_candidates"),
        attribute(Connection, "_local_candidates_start"),
        attribute(Connection, "_local_candidates_end"),
        attribute(Connection, "_nominated"),
        attribute(CandidatePair, "protocol"),
        attribute(StunProtocol, "transport", "connection_made"),
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
            f"(aioice {aioice.__version__}): missing private name(s): "
            + ", ".join(missing)
            + ". media/ is written against aiortc 1.16; pin aiortc==1.16.* or update "
            "media/guards.py and the code that uses these names."
        )
