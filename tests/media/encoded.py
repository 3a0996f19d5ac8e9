"""Publishers that send pre-encoded media: VP8 and Opus packets encoded once, replayed.

A track whose ``recv()`` returns ``av.Packet`` skips aiortc's encoder (it only
packetises), so a test with many publishers in one process stays cheap. Keyframes
come every KEYFRAME_INTERVAL frames of the loop, since a pre-encoded track cannot
answer a keyframe request (aiortc ignores PLI for it).
"""

from __future__ import annotations

import asyncio
import fractions
import functools
import math
import time
from array import array

import av
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tests.media.peers import MovingVideoTrack

VIDEO_FPS = 30
VIDEO_CLOCK = 90000
KEYFRAME_INTERVAL = 15  # frames: a subscriber waits at most half a second for one
VIDEO_LOOP = 60  # frames encoded, then replayed
AUDIO_RATE = 48000
AUDIO_FRAME = 960  # 20 ms
AUDIO_LOOP = 50  # packets: one second of tone, then replayed (the phase stays continuous)


@functools.cache
def vp8_packets(
    width: int, height: int, seed: int, gop: int = KEYFRAME_INTERVAL
) -> tuple[bytes, ...]:
    """VIDEO_LOOP frames of :class:`MovingVideoTrack` content as VP8, a keyframe every
    ``gop`` frames (``gop=1``: every frame a keyframe)."""
    source = MovingVideoTrack(width, height, seed)
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = fractions.Fraction(1, VIDEO_FPS)
    encoder.bit_rate = 300_000
    encoder.options = {"deadline": "realtime", "lag-in-frames": "0"}
    encoder.gop_size = gop
    encoder.open()
    packets: list[bytes] = []
    for index in range(VIDEO_LOOP):
        frame = source.frame(index)
        frame.pts = index
        frame.time_base = encoder.time_base
        packets.extend(bytes(p) for p in encoder.encode(frame))
    packets.extend(bytes(p) for p in encoder.encode(None))
    assert len(packets) == VIDEO_LOOP, len(packets)
    return tuple(packets)


@functools.cache
def opus_packets(frequency: float) -> tuple[bytes, ...]:
    """AUDIO_LOOP Opus packets (20 ms each) of a sine tone at ``frequency`` Hz."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate = AUDIO_RATE
    encoder.layout = "stereo"
    encoder.format = "s16"
    encoder.bit_rate = 32000
    encoder.open()
    packets: list[bytes] = []
    step = 2 * math.pi * frequency / AUDIO_RATE
    for index in range(AUDIO_LOOP + 2):
        start = index * AUDIO_FRAME
        mono = [int(8000 * math.sin(step * (start + n))) for n in range(AUDIO_FRAME)]
        samples = array("h", (s for s in mono for _ in range(2)))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = AUDIO_RATE
        frame.pts = index * AUDIO_FRAME
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        packets.extend(bytes(p) for p in encoder.encode(frame))
    return tuple(packets[:AUDIO_LOOP])


class EncodedTrack(MediaStreamTrack):
    """Replays pre-encoded packets in real time (``kind`` "audio" or "video")."""

    def __init__(self, kind: str, packets: tuple[bytes, ...], fps: int = VIDEO_FPS) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        if kind == "video":  # fewer fps: the same pictures replayed slower (lighter tests)
            self._step, self._clock, self._interval = VIDEO_CLOCK // fps, VIDEO_CLOCK, 1 / fps
        else:
            self._step, self._clock, self._interval = AUDIO_FRAME, AUDIO_RATE, 0.02
        self._index = 0
        self._start: float | None = None

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            await asyncio.sleep(self._start + self._index * self._interval - time.time())
        packet = av.Packet(self._packets[self._index % len(self._packets)])
        packet.pts = self._index * self._step
        packet.time_base = fractions.Fraction(1, self._clock)
        self._index += 1
        return packet


class KeyframeOnRequestTrack(EncodedTrack):
    """Pre-encoded video that answers keyframe requests, as a browser's encoder does.

    It replays a stream with a keyframe only every VIDEO_LOOP frames; after
    :meth:`request_keyframe` the next frame is sent as the keyframe encoding of the same
    picture (a decoder's reference then differs slightly from the encoder's until the
    loop's own keyframe: fine for clients that count packets and never decode).
    :func:`answer_keyframe_requests` routes a sender's PLI/FIR here.
    """

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__("video", vp8_packets(width, height, seed, VIDEO_LOOP))
        self._keyframes = vp8_packets(width, height, seed, 1)
        self._wanted = False
        self.keyframes_sent = 0

    def request_keyframe(self) -> None:
        self._wanted = True

    async def recv(self) -> av.Packet:
        packet = await super().recv()
        if self._wanted:
            self._wanted = False
            self.keyframes_sent += 1
            index = (self._index - 1) % VIDEO_LOOP
            keyframe = av.Packet(self._keyframes[index])
            keyframe.pts, keyframe.time_base = packet.pts, packet.time_base
            return keyframe
        return packet


def answer_keyframe_requests(pc: RTCPeerConnection) -> None:
    """Make ``pc``'s senders of :class:`KeyframeOnRequestTrack` obey PLI and FIR (aiortc
    only forces its own encoder's keyframes, which a pre-encoded track skips)."""
    for sender in pc.getSenders():
        track = sender.track
        if isinstance(track, KeyframeOnRequestTrack):
            sender._send_keyframe = track.request_keyframe  # type: ignore[method-assign]


def encoded_tracks(width: int, height: int, seed: int, tone: float,
                   fps: int = VIDEO_FPS) -> list[EncodedTrack]:
    """A pre-encoded tone and moving video (each publisher distinguishable by size)."""
    return [
        EncodedTrack("audio", opus_packets(tone)),
        EncodedTrack("video", vp8_packets(width, height, seed), fps),
    ]
