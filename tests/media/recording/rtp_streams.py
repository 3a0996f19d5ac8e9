"""RTP packets of real VP8 and Opus streams, for feeding the recorder's parts directly."""

from __future__ import annotations

from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import RtpPacket

from tests.media.encoded import opus_packets, vp8_packets

VIDEO_TICKS = 3000  # 90 kHz ticks per frame at 30 fps
AUDIO_TICKS = 960


def vp8_frames(count: int, gop: int = 15) -> list[bytes]:
    """``count`` encoded 320x180 VP8 frames, a keyframe every ``gop``."""
    frames = vp8_packets(320, 180, 3, gop)
    return [frames[i % len(frames)] for i in range(count)]


def vp8_rtp(
    frames: list[bytes], first_seq: int = 0, first_ts: int = 0, ssrc: int = 1234
) -> list[RtpPacket]:
    """The frames packetised as aiortc sends them (one RTP timestamp per frame)."""
    packets = []
    seq = first_seq
    for index, frame in enumerate(frames):
        payloads = Vp8Encoder._packetize(frame, index & 0x7FFF)
        for n, payload in enumerate(payloads):
            packets.append(
                RtpPacket(
                    payload_type=96,
                    marker=int(n == len(payloads) - 1),
                    sequence_number=seq & 0xFFFF,
                    timestamp=(first_ts + index * VIDEO_TICKS) & 0xFFFFFFFF,
                    ssrc=ssrc,
                    payload=payload,
                )
            )
            seq += 1
    return packets


def opus_rtp(count: int, first_seq: int = 0, first_ts: int = 0, ssrc: int = 99) -> list[RtpPacket]:
    """``count`` Opus packets of a tone, 20 ms apart."""
    payloads = opus_packets(440.0)
    return [
        RtpPacket(
            payload_type=111,
            sequence_number=(first_seq + i) & 0xFFFF,
            timestamp=(first_ts + i * AUDIO_TICKS) & 0xFFFFFFFF,
            ssrc=ssrc,
            payload=payloads[i % len(payloads)],
        )
        for i in range(count)
    ]
