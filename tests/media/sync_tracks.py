"""Test publishers for A/V sync: a white flash and a tone burst at the same wall instants.

Both tracks run on a shared ``epoch`` (Unix seconds): video frame ``n`` is captured at
``epoch + n / 30`` and audio frame ``m`` at ``epoch + m * 0.02``, so each second after
the epoch the video turns white for FLASH_S and the audio beeps (a sine of
``frequency``) for the same FLASH_S, starting at the same instant. Two publishers given
the same epoch flash and beep together. Frames are emitted when their instant comes,
so RTP timestamps, sender reports and wall time agree as they would with a camera.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

FPS = 30
VIDEO_RATE = 90000
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms
FLASH_S = 0.1  # flash and beep length
PERIOD_S = 1.0


async def sleep_until(instant: float) -> None:
    delay = instant - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


class FlashVideoTrack(MediaStreamTrack):
    """Black 320x180 frames at 30 fps, white for FLASH_S at each whole second after
    ``epoch``."""

    kind = "video"

    def __init__(self, epoch: float, width: int = 320, height: int = 180) -> None:
        super().__init__()
        self.epoch = epoch
        self.width, self.height = width, height
        self._index: int | None = None
        self._black = self._picture(16)
        self._white = self._picture(235)

    def _picture(self, luma: int) -> bytes:
        return bytes([luma]) * (self.width * self.height)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._index is None:  # the next frame instant from now on
            self._index = max(0, math.ceil((time.time() - self.epoch) * FPS))
        else:
            self._index += 1
        index = self._index
        await sleep_until(self.epoch + index / FPS)
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        flash = (index % (FPS * PERIOD_S)) < FLASH_S * FPS
        frame.planes[0].update(self._white if flash else self._black)
        chroma = bytes([128]) * ((self.width // 2) * (self.height // 2))
        frame.planes[1].update(chroma)
        frame.planes[2].update(chroma)
        frame.pts = index * (VIDEO_RATE // FPS)
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        return frame


class BeepAudioTrack(MediaStreamTrack):
    """48 kHz mono silence with a ``frequency`` tone for FLASH_S at each whole second
    after ``epoch``."""

    kind = "audio"

    def __init__(self, epoch: float, frequency: float = 1000.0, amplitude: int = 12000) -> None:
        super().__init__()
        self.epoch = epoch
        self.frequency = frequency
        self.amplitude = amplitude
        self._index: int | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._index is None:
            elapsed = time.time() - self.epoch
            self._index = max(0, math.ceil(elapsed * AUDIO_RATE / AUDIO_SAMPLES))
        else:
            self._index += 1
        first = self._index * AUDIO_SAMPLES
        await sleep_until(self.epoch + first / AUDIO_RATE)
        n = np.arange(first, first + AUDIO_SAMPLES)
        beeping = (n % int(AUDIO_RATE * PERIOD_S)) < int(FLASH_S * AUDIO_RATE)
        wave = self.amplitude * np.sin(2 * np.pi * self.frequency * n / AUDIO_RATE) * beeping
        frame = av.AudioFrame.from_ndarray(
            wave.astype(np.int16).reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = first
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame
