"""Video tiles: each participant's decoded frames, picked for each output instant and
painted into a YUV 4:2:0 canvas.

For output time ``t`` a participant shows the latest frame at or before ``t`` plus half
an output frame (the nearest frame, not a late one), if that frame is recent: a frame
older than HOLD_S, or a time outside every segment, is a pause or an absence and the
tile stays black.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import av
import numpy as np
import numpy.typing as npt

from media.composition.layout import Box, fit
from media.composition.tracks import Segment

logger = logging.getLogger(__name__)

HOLD_S = 0.5  # a gap between frames longer than this shows black (camera off, muted)
BLACK_Y, BLACK_C = 16, 128

Plane = npt.NDArray[np.uint8]
Timed = tuple[float, av.VideoFrame, float]  # common-clock time, frame, segment end


def decoded_frames(segment: Segment) -> Iterator[Timed]:
    """The segment's frames with their time on the common clock; a packet that does not
    decode is skipped (logged), so a damaged file still composes."""
    with av.open(str(segment.path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                logger.warning("%s: a frame did not decode: %s", segment.path.name, exc)
                continue
            for frame in frames:
                if frame.time is not None:
                    yield segment.start + float(frame.time), frame, segment.end


class VideoSource:
    """One participant's video segments, read forward as output time advances."""

    def __init__(self, segments: list[Segment]) -> None:
        self._frames = self._all(sorted(segments, key=lambda s: s.start))
        self._current: Timed | None = None
        self._next: Timed | None = next(self._frames, None)
        self._scaled: tuple[av.VideoFrame, Box, Plane, Plane, Plane] | None = None

    @staticmethod
    def _all(segments: list[Segment]) -> Iterator[Timed]:
        for segment in segments:
            yield from decoded_frames(segment)

    def frame_at(self, t: float, half_frame: float) -> av.VideoFrame | None:
        while self._next is not None and self._next[0] <= t + half_frame:
            self._current = self._next
            self._next = next(self._frames, None)
        if self._current is None:
            return None
        time, frame, end = self._current
        if t - time > HOLD_S or t > end + half_frame:
            return None
        return frame

    def paint(self, canvas: Canvas, tile: Box, t: float, half_frame: float) -> bool:
        """Paint the picture for ``t`` into ``tile``; False (left black) if none."""
        frame = self.frame_at(t, half_frame)
        if frame is None:
            return False
        scaled = self._scaled
        if scaled is None or scaled[0] is not frame or scaled[1] != tile:
            place = fit(tile, frame.width, frame.height)
            picture: Plane = np.asarray(frame.reformat(
                width=place.width, height=place.height, format="yuv420p").to_ndarray(),
                dtype=np.uint8).reshape(-1)  # the three planes one after the other
            h, w = place.height, place.width
            luma, chroma = h * w, (h // 2) * (w // 2)  # (not whole rows when h % 4)
            y = picture[:luma].reshape(h, w)
            u = picture[luma : luma + chroma].reshape(h // 2, w // 2)
            v = picture[luma + chroma :].reshape(h // 2, w // 2)
            scaled = self._scaled = (frame, tile, y, u, v)
        canvas.put(fit(tile, frame.width, frame.height), scaled[2], scaled[3], scaled[4])
        return True


class Canvas:
    """The output picture, YUV 4:2:0, black where nothing is painted."""

    def __init__(self, width: int, height: int) -> None:
        if width % 4 or height % 4:
            raise ValueError("the canvas width and height must be multiples of 4")
        self.width, self.height = width, height
        self.y: Plane = np.full((height, width), BLACK_Y, np.uint8)
        self.u: Plane = np.full((height // 2, width // 2), BLACK_C, np.uint8)
        self.v: Plane = np.full((height // 2, width // 2), BLACK_C, np.uint8)

    def clear(self) -> None:
        self.y.fill(BLACK_Y)
        self.u.fill(BLACK_C)
        self.v.fill(BLACK_C)

    def put(self, box: Box, y: Plane, u: Plane, v: Plane) -> None:
        self.y[box.y : box.y + box.height, box.x : box.x + box.width] = y
        cx, cy, cw, ch = box.x // 2, box.y // 2, box.width // 2, box.height // 2
        self.u[cy : cy + ch, cx : cx + cw] = u
        self.v[cy : cy + ch, cx : cx + cw] = v

    def frame(self) -> av.VideoFrame:
        packed = np.concatenate([
            self.y, self.u.reshape(-1, self.width), self.v.reshape(-1, self.width)])
        return av.VideoFrame.from_ndarray(packed, format="yuv420p")
