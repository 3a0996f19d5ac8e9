"""The start-up self-check of private aiortc/aioice names."""

from __future__ import annotations

import aiortc
import pytest
from aiortc import RTCRtpReceiver, RTCRtpTransceiver

from media import MediaConfig, Sfu
from media.guards import check_aiortc, missing_names


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
