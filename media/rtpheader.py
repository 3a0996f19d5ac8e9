"""The RTP header of a forwarded packet, as one subscriber negotiated it.

Each subscriber has its own SSRC, payload type and header-extension ids, so the header
is rebuilt per subscriber (never copied) with struct formats precomputed once: the MID
element is constant bytes, abs-send-time and audio level are the only
extension values that change per packet. RFC 8285 one-byte header form.
"""

from __future__ import annotations

import struct

from aiortc.rtp import RtpPacket

URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
URI_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
URI_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

_ONE_BYTE_PROFILE = 0xBEDE
_TWO_BYTE_PROFILE = 0x1000
_BASE = "!BBHLL"


def _padded(length: int) -> int:
    return (length + 3) // 4 * 4


class RtpHeaderWriter:
    """Serialises the 12-byte RTP header plus extensions for one subscriber's stream.

    ``extension_ids`` maps extension URIs (mid, abs-send-time, audio level) to the ids
    the subscriber negotiated; other URIs are ignored (aiortc negotiates no others).
    """

    __slots__ = (
        "_ast_tag",
        "_b0",
        "_b0_level",
        "_level_tag",
        "_mid",
        "_mid_level",
        "_pt",
        "_pt_marker",
        "_ssrc",
        "_struct",
        "_struct_level",
        "_words",
        "_words_level",
    )

    def __init__(
        self, payload_type: int, ssrc: int, mid: str | None, extension_ids: dict[str, int]
    ) -> None:
        for uri, ext_id in extension_ids.items():
            if not 0 < ext_id < 15:
                raise ValueError(f"extension {uri} has id {ext_id}: one-byte form needs 1-14")
        self._pt = payload_type & 0x7F
        self._pt_marker = 0x80 | self._pt
        self._ssrc = ssrc

        mid_id = extension_ids.get(URI_MID)
        ast_id = extension_ids.get(URI_ABS_SEND_TIME)
        level_id = extension_ids.get(URI_AUDIO_LEVEL)
        mid_element = b""
        if mid_id is not None and mid:
            mid_bytes = mid.encode("utf8")
            if not 0 < len(mid_bytes) <= 16:
                raise ValueError("MID must be 1-16 bytes")
            mid_element = bytes([(mid_id << 4) | (len(mid_bytes) - 1)]) + mid_bytes
        self._ast_tag = ((ast_id << 4) | 2) << 24 if ast_id is not None else None
        self._level_tag = (level_id << 4) << 8 if level_id is not None else None

        dynamic = 4 if ast_id is not None else 0
        fmt_dynamic = "L" if ast_id is not None else ""
        self._struct, self._mid, self._words = self._layout(fmt_dynamic, dynamic, mid_element)
        self._struct_level = self._struct
        self._mid_level, self._words_level = self._mid, self._words
        if level_id is not None:
            self._struct_level, self._mid_level, self._words_level = self._layout(
                fmt_dynamic + "H", dynamic + 2, mid_element
            )
        # version 2, and the X bit when the variant carries extensions
        self._b0 = 0x90 if self._words else 0x80
        self._b0_level = 0x90 if self._words_level else 0x80

    @staticmethod
    def _layout(
        fmt_dynamic: str, dynamic: int, mid_element: bytes
    ) -> tuple[struct.Struct, bytes, int]:
        # aiortc's element order (mid, abs-send-time, audio level), then zero padding
        length = dynamic + len(mid_element)
        if not length:
            return struct.Struct(_BASE), b"", 0
        padding = _padded(length) - length
        fmt = f"{_BASE}HH{len(mid_element)}s{fmt_dynamic}{padding}x"
        return struct.Struct(fmt), mid_element, _padded(length) // 4

    @property
    def payload_type(self) -> int:
        """The payload type written into every header."""
        return self._pt

    @property
    def ssrc(self) -> int:
        """The SSRC written into every header."""
        return self._ssrc

    def header(
        self,
        marker: int,
        seq: int,
        ts: int,
        padding: bool,
        abs_send_time: int,
        audio_level: tuple[bool, int] | None,
    ) -> bytes:
        """The header bytes; ``abs_send_time`` is the 24-bit 6.18 fixed-point send time."""
        b1 = self._pt_marker if marker else self._pt
        ast_tag = self._ast_tag
        if audio_level is not None and self._level_tag is not None:
            b0 = self._b0_level | 0x20 if padding else self._b0_level
            level = self._level_tag | (0x80 if audio_level[0] else 0) | (audio_level[1] & 0x7F)
            if ast_tag is not None:
                return self._struct_level.pack(
                    b0, b1, seq, ts, self._ssrc, _ONE_BYTE_PROFILE, self._words_level,
                    self._mid_level, ast_tag | abs_send_time, level,
                )  # fmt: skip
            return self._struct_level.pack(
                b0, b1, seq, ts, self._ssrc, _ONE_BYTE_PROFILE, self._words_level,
                self._mid_level, level,
            )  # fmt: skip
        b0 = self._b0 | 0x20 if padding else self._b0
        if not self._words:
            return self._struct.pack(b0, b1, seq, ts, self._ssrc)
        if ast_tag is not None:
            return self._struct.pack(
                b0, b1, seq, ts, self._ssrc, _ONE_BYTE_PROFILE, self._words,
                self._mid, ast_tag | abs_send_time,
            )  # fmt: skip
        return self._struct.pack(
            b0, b1, seq, ts, self._ssrc, _ONE_BYTE_PROFILE, self._words, self._mid
        )


_FIXED = struct.Struct("!BBHLL")


def parse_rtp(data: bytes, abs_send_time_id: int | None, audio_level_id: int | None) -> RtpPacket:
    """Parse an RTP packet like aiortc's ``RtpPacket.parse``, reading only the header
    extensions the SFU uses (abs-send-time, audio level) by their ids.

    Raises ValueError on the packets aiortc's parser refuses. ``extensions.mid`` and
    the other extension values stay unset (routing never reads them).
    """
    if len(data) < 12:
        raise ValueError("RTP packet length is less than 12 bytes")
    v_p_x_cc, m_pt, seq, ts, ssrc = _FIXED.unpack_from(data)
    if v_p_x_cc >> 6 != 2:
        raise ValueError("RTP packet has invalid version")
    packet = RtpPacket(m_pt & 0x7F, m_pt >> 7, seq, ts, ssrc)
    pos = 12
    cc = v_p_x_cc & 0x0F
    if cc:
        if len(data) < 12 + 4 * cc:
            raise ValueError("RTP packet has truncated CSRC")
        packet.csrc = list(struct.unpack_from(f"!{cc}L", data, 12))
        pos += 4 * cc
    if v_p_x_cc & 0x10:
        if len(data) < pos + 4:
            raise ValueError("RTP packet has truncated extension profile / length")
        profile = data[pos] << 8 | data[pos + 1]
        end = pos + 4 + 4 * (data[pos + 2] << 8 | data[pos + 3])
        if len(data) < end:
            raise ValueError("RTP packet has truncated extension value")
        if profile == _ONE_BYTE_PROFILE or profile == _TWO_BYTE_PROFILE:
            _read_extensions(
                packet, data, pos + 4, end, profile == _ONE_BYTE_PROFILE,
                abs_send_time_id, audio_level_id,
            )  # fmt: skip
        pos = end
    if v_p_x_cc & 0x20:
        padding = data[-1]
        if not padding or padding > len(data) - pos:
            raise ValueError("RTP packet padding length is invalid")
        packet.padding_size = padding
        packet.payload = data[pos:-padding]
    else:
        packet.payload = data[pos:]
    return packet


def _read_extensions(
    packet: RtpPacket,
    data: bytes,
    pos: int,
    end: int,
    one_byte: bool,
    abs_send_time_id: int | None,
    audio_level_id: int | None,
) -> None:
    """RFC 8285 elements between ``pos`` and ``end``; truncation raises like aiortc."""
    extensions = packet.extensions
    while pos < end:
        first = data[pos]
        if not first:  # padding
            pos += 1
            continue
        if one_byte:
            x_id = first >> 4
            length = (first & 0x0F) + 1
            pos += 1
        else:
            if end < pos + 2:
                raise ValueError("RTP two-byte header extension is truncated")
            x_id = first
            length = data[pos + 1]
            pos += 2
        if end < pos + length:
            raise ValueError("RTP header extension value is truncated")
        # (an element of the wrong size is ignored; aiortc's parser would raise)
        if x_id == abs_send_time_id and length == 3:
            extensions.abs_send_time = data[pos] << 16 | data[pos + 1] << 8 | data[pos + 2]
        elif x_id == audio_level_id and length == 1:
            level = data[pos]
            extensions.audio_level = (level & 0x80 == 0x80, level & 0x7F)
        pos += length
