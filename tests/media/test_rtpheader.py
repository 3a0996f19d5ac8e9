"""RtpHeaderWriter output, checked by parsing it back with aiortc."""

from __future__ import annotations

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from media.rtpheader import URI_ABS_SEND_TIME, URI_AUDIO_LEVEL, URI_MID, RtpHeaderWriter


def extension_map(ids: dict[str, int]) -> HeaderExtensionsMap:
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=i, uri=uri) for uri, i in ids.items()
            ]
        )
    )
    return extensions


def parse(header: bytes, payload: bytes, ids: dict[str, int]) -> RtpPacket:
    return RtpPacket.parse(header + payload, extension_map(ids))


def test_video_header_round_trips() -> None:
    ids = {URI_MID: 1, URI_ABS_SEND_TIME: 3}
    writer = RtpHeaderWriter(97, 0xDEADBEEF, "1", ids)
    header = writer.header(1, 65535, 0xFFFFFFFF, False, 0xABCDEF, None)
    packet = parse(header, b"payload", ids)
    assert (packet.payload_type, packet.marker) == (97, 1)
    assert (packet.sequence_number, packet.timestamp, packet.ssrc) == (
        65535,
        0xFFFFFFFF,
        0xDEADBEEF,
    )
    assert packet.extensions.mid == "1"
    assert packet.extensions.abs_send_time == 0xABCDEF
    assert packet.extensions.audio_level is None
    assert packet.payload == b"payload"
    assert len(header) % 4 == 0


def test_audio_level_is_copied_when_present() -> None:
    ids = {URI_MID: 1, URI_AUDIO_LEVEL: 2}
    writer = RtpHeaderWriter(111, 42, "0", ids)
    packet = parse(writer.header(0, 7, 960, False, 0, (True, 33)), b"opus", ids)
    assert packet.extensions.audio_level == (True, 33)
    assert packet.extensions.mid == "0"
    assert packet.payload_type == 111 and packet.marker == 0
    packet = parse(writer.header(0, 8, 1920, False, 0, None), b"opus", ids)
    assert packet.extensions.audio_level is None
    assert packet.extensions.mid == "0"


def test_header_matches_aiortc_serialisation() -> None:
    ids = {URI_MID: 1, URI_AUDIO_LEVEL: 2}
    writer = RtpHeaderWriter(96, 1234, "audio", ids)
    reference = RtpPacket(payload_type=96, marker=1, sequence_number=9, timestamp=99, ssrc=1234)
    reference.extensions.mid = "audio"
    reference.extensions.audio_level = (False, 127)
    reference.payload = b"xyz"
    ours = writer.header(1, 9, 99, False, 0, (False, 127)) + b"xyz"
    assert ours == reference.serialize(extension_map(ids))


def test_video_header_matches_aiortc_serialisation() -> None:
    ids = {URI_MID: 1, URI_ABS_SEND_TIME: 3}
    writer = RtpHeaderWriter(97, 77, "1", ids)
    reference = RtpPacket(payload_type=97, marker=0, sequence_number=1, timestamp=2, ssrc=77)
    reference.extensions.mid = "1"
    reference.extensions.abs_send_time = 0x123456
    reference.payload = b"vp8"
    ours = writer.header(0, 1, 2, False, 0x123456, None) + b"vp8"
    assert ours == reference.serialize(extension_map(ids))


def test_no_extensions_and_padding() -> None:
    writer = RtpHeaderWriter(96, 1, None, {})
    header = writer.header(0, 1, 2, True, 0, None)
    assert len(header) == 12
    assert header[0] == 0xA0  # version 2, padding, no extension
    packet = RtpPacket.parse(header + b"data" + b"\x00\x00\x03")
    assert packet.payload == b"data" and packet.padding_size == 3


def test_level_only_layout_sets_the_extension_bit() -> None:
    ids = {URI_AUDIO_LEVEL: 2}
    writer = RtpHeaderWriter(96, 1, None, ids)
    assert writer.header(0, 1, 2, False, 0, None)[0] == 0x80
    packet = parse(writer.header(0, 1, 2, False, 0, (False, 5)), b"x", ids)
    assert packet.extensions.audio_level == (False, 5)


def test_ids_outside_the_one_byte_form_are_refused() -> None:
    with pytest.raises(ValueError):
        RtpHeaderWriter(96, 1, "0", {URI_MID: 15})
