"""The audio mix: every Opus track decoded to 48 kHz mono, placed by its start on the
common clock (frame by frame: a pause stays silent), summed, and kept within full scale
by a soft limiter instead of hard clipping."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import av
import numpy as np
import numpy.typing as npt

from media.composition.tracks import Segment

logger = logging.getLogger(__name__)

RATE = 48000
KNEE = 0.8  # below this the mix passes unchanged; above, it bends towards CEILING
CEILING = 0.98  # the loudest the mix gets (never full scale, whatever the sum)

Samples = npt.NDArray[np.float32]
Chunk = tuple[int, Samples]  # first sample's index on the output timeline, samples


def decoded_chunks(segment: Segment, origin: float) -> Iterator[Chunk]:
    """The segment's audio as 48 kHz mono float chunks at their output sample index."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    with av.open(str(segment.path)) as container:
        stream = container.streams.audio[0]
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                logger.warning("%s: a frame did not decode: %s", segment.path.name, exc)
                continue
            for frame in frames:
                if frame.time is None:
                    continue
                index = round((segment.start + float(frame.time) - origin) * RATE)
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32)
                    yield index, samples
                    index += len(samples)


class AudioSource:
    """Every audio segment of the recording, read forward window by window."""

    def __init__(self, segments: list[Segment], origin: float) -> None:
        self._chunks = [decoded_chunks(s, origin) for s in segments]
        self._pending: list[Chunk | None] = [None] * len(self._chunks)

    def mix(self, start: int, end: int) -> Samples:
        """The limited sum of every track over samples ``start`` to ``end``."""
        total = np.zeros(end - start, np.float32)
        for number in range(len(self._chunks)):
            self._add(number, total, start, end)
        return limit(total)

    def _add(self, number: int, total: Samples, start: int, end: int) -> None:
        while True:
            pending = self._pending[number]
            if pending is None:
                pending = next(self._chunks[number], None)
                if pending is None:
                    return
            index, samples = pending
            stop = index + len(samples)
            if index >= end:
                self._pending[number] = pending
                return
            low, high = max(index, start), min(stop, end)
            if low < high:
                total[low - start : high - start] += samples[low - index : high - index]
            if stop > end:
                self._pending[number] = pending
                return
            self._pending[number] = None


def limit(mix: Samples) -> Samples:
    """``mix`` unchanged below KNEE; above, compressed smoothly towards CEILING."""
    magnitude = np.abs(mix)
    loud = magnitude > KNEE
    if not loud.any():
        return mix
    room = CEILING - KNEE
    bent = KNEE + room * np.tanh((magnitude[loud] - KNEE) / room)
    out = mix.copy()
    out[loud] = np.sign(mix[loud]) * bent
    return out
