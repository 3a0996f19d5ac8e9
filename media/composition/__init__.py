"""Composition: one playable file from a recording folder's per-track files.

A grid of every participant's video (a black tile while someone's video is paused or
absent) and the mix of everyone's audio, each segment placed on the common clock by its
sidecar's ``start_time`` (media/recording/sidecar.py), encoded VP8 + Opus into WebM.

It decodes and encodes, so it never runs in the process that forwards media: run it as
``python -m media.composition FOLDER OUTPUT`` (media/composition/__main__.py), which
lowers its own priority and reports progress on stdout. The parts: the folder's tracks
(tracks.py), the grid (layout.py), the video tiles (video.py), the audio mix (audio.py)
and the encoding loop (compose.py).
"""

from media.composition.compose import ComposeOptions, CompositionError, compose
from media.composition.tracks import Segment, find_segments

__all__ = ["ComposeOptions", "CompositionError", "Segment", "compose", "find_segments"]
