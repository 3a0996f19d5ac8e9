"""Recording without transcoding: each published track into its own WebM file.

Public API: :class:`~media.recording.recorder.Recorder` (start/stop per peer and
kind, ``close``), :func:`~media.recording.finalize.recover` (finalise what a crash
left, at start-up), :class:`~media.recording.sidecar.TrackInfo` and
:func:`~media.recording.sidecar.read_info` (each file's JSON sidecar). The rules are in
media/recording/recorder.py; the parts are the depacketiser (depacketizer.py), the
clock (clock.py), the muxer (writer.py), the disk thread (disk.py), one track's
recording (track.py) and finalisation (finalize.py).
"""

from media.recording.finalize import recover
from media.recording.recorder import Recorder
from media.recording.sidecar import TrackInfo, read_info
from media.recording.track import WriteFailed

__all__ = ["Recorder", "TrackInfo", "WriteFailed", "read_info", "recover"]
