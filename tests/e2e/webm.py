"""A small real WebM file (VP8 + Opus), made with PyAV, for pages that play recordings."""

from __future__ import annotations

import io
import math
import struct

import av

SAMPLE_RATE = 48_000
AUDIO_FRAME = 960  # 20 ms of Opus


def _picture(index: int, width: int, height: int) -> av.VideoFrame:
    """A grey gradient with a white bar that moves: each frame differs from the last."""
    bar = (index * 8) % width
    rows = [bytes(235 if abs(x - bar) < 20 else 16 + (y * 200) // height
                  for x in range(width)) for y in range(height)]
    frame = av.VideoFrame(width, height, "yuv420p")
    chroma = width * height // 4
    for plane, data in zip(frame.planes, (b"".join(rows), bytes([90]) * chroma,
                                          bytes([200 - index % 100]) * chroma), strict=True):
        plane.update(data)
    frame.pts = index
    return frame


def _tone(index: int) -> av.AudioFrame:
    start = index * AUDIO_FRAME
    samples = b"".join(struct.pack("<h", int(8000 * math.sin(
        2 * math.pi * 440 * (start + k) / SAMPLE_RATE))) for k in range(AUDIO_FRAME))
    frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_FRAME)
    frame.planes[0].update(samples)
    frame.sample_rate = SAMPLE_RATE
    frame.pts = start
    return frame


def small_webm(seconds: float = 4.0, fps: int = 25, width: int = 320,
               height: int = 240) -> bytes:
    """``seconds`` of VP8 video and an Opus tone in one WebM."""
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        video = container.add_stream("libvpx", rate=fps)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        video.bit_rate = 300_000
        audio = container.add_stream("libopus", rate=SAMPLE_RATE)
        audio.layout = "mono"
        for i in range(int(seconds * fps)):
            container.mux(video.encode(_picture(i, width, height)))
        for n in range(int(seconds * SAMPLE_RATE / AUDIO_FRAME)):
            container.mux(audio.encode(_tone(n)))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return out.getvalue()
