"""The start-up self-check of private aiortc/aioice names."""

from __future__ import annotations

import aiortc
import pylibsrtp
import pytest
from aioice.ice import StunProtocol
from aiortc import RTCRtpReceiver, RTCRtpTransceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport

from media import MediaConfig, Sfu
from media.guards import _requirements, check_aiortc, missing_names


def test_installed_aiortc_has_every_name() -> None:
    assert missing_names() == []
    check_aiortc()


def test_a_missing_method_is_named_with_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(RTCRtpReceiver, "_handle_rtp_packet")
    with pytest.raises(RuntimeError) as info:
        check_aiortc()
    message = str(info.value)
    assert f"aiortc {aiortc.__version__}" in message
    assert "RTCRtpReceiver._handle_rtp_packet" in message


def test_a_missing_mangled_attribute_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def renamed_init(self: RTCRtpTransceiver, kind: str, receiver: object, sender: object) -> None:
        self.receiver_renamed = receiver  # type: ignore[attr-defined]
        self.sender_renamed = sender  # type: ignore[attr-defined]

    monkeypatch.setattr(RTCRtpTransceiver, "__init__", renamed_init)
    with pytest.raises(RuntimeError, match=r"_RTCRtpTransceiver__receiver"):
        check_aiortc()


def test_the_sfu_refuses_to_start_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(aiortc.RTCRtpSender, "_retransmit")
    with pytest.raises(RuntimeError, match=r"RTCRtpSender\._retransmit"):
        Sfu(MediaConfig())


def test_the_receive_path_names_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The synchronous receive path's names: aioice, pylibsrtp, asyncio, aiortc."""

    def session_init(self: pylibsrtp.Session, policy: object = None) -> None:
        self.context = None  # type: ignore[attr-defined]

    def datagram_received(self: StunProtocol, data: bytes, addr: object) -> None:
        self.receiver.handle(data)  # type: ignore[attr-defined]

    monkeypatch.setattr(pylibsrtp.Session, "__init__", session_init)
    monkeypatch.setattr(StunProtocol, "datagram_received", datagram_received)
    monkeypatch.delattr(RTCDtlsTransport, "_recv_next")
    with pytest.raises(RuntimeError) as info:
        check_aiortc()
    message = str(info.value)
    assert f"pylibsrtp {pylibsrtp.__version__}" in message
    for name in ("Session._srtp", "Session._cdata", "Session._buffer"):
        assert name in message
    assert "StunProtocol.data_received (referenced in datagram_received)" in message
    assert "RTCDtlsTransport._rx_srtp (referenced in _recv_next)" in message


def test_every_receive_path_name_is_listed() -> None:
    listed = " ".join(label for label, _ in _requirements())
    for name in (
        "RTCDtlsTransport._rx_srtp",
        "RTCDtlsTransport._rtp_router",
        "RTCDtlsTransport._RTCDtlsTransport__rx_bytes",
        "RTCDtlsTransport._RTCDtlsTransport__rx_packets",
        "RtpRouter.ssrc_table",
        "RtpRouter.payload_type_table",
        "RTCIceTransport._connection",
        "Connection.data_received",
        "Connection._protocols",
        "StunProtocol.error_received",
        "StreamStatistics._jitter_q4",
        "OveruseEstimator._offset",
        "OveruseEstimator.update_min_frame_period (referenced in update)",
        "_SelectorTransport._sock",
        "_SelectorDatagramTransport._sock (referenced in _read_ready)",
        "pylibsrtp._binding.lib.srtp_protect/srtp_unprotect",
    ):
        assert name in listed, name
