"""WebM track files from depacketised frames: what ffprobe sees, disk full, finalising."""

from __future__ import annotations

import errno
import io
from pathlib import Path

from media.recording.depacketizer import Depacketizer, Frame
from media.recording.finalize import finalize, recover
from media.recording.sidecar import DISK_FULL, RECOVERED, TrackInfo, read_info, write_info
from media.recording.writer import WebmTrackWriter, opus_duration
from tests.media.recording.probe import decode_errors, decoded_frames, duration, probe
from tests.media.recording.rtp_streams import opus_rtp, vp8_frames, vp8_rtp


def frames_of(kind: str, count: int) -> list[Frame]:
    packets = vp8_rtp(vp8_frames(count)) if kind == "video" else opus_rtp(count)
    out = Depacketizer(kind)
    frames = []
    for i, packet in enumerate(packets):
        frames += out.push(packet, i * 0.001)
    return frames + out.flush()


def write_all(path: Path, kind: str, frames: list[Frame]) -> WebmTrackWriter:
    writer = WebmTrackWriter(path, kind)
    for frame in frames:
        assert writer.write(frame)
    writer.close()
    return writer


def test_vp8_frames_are_muxed_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "v.webm"
    write_all(path, "video", frames_of("video", 90))  # 3 s at 30 fps
    finalize(path)
    info = probe(path)
    (stream,) = info["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("vp8", 320, 180)
    assert int(stream["nb_read_packets"]) == 90
    assert abs(float(info["format"]["duration"]) - 3.0) < 0.1
    assert decode_errors(path) == ""
    assert decoded_frames(path) == 90


def test_opus_frames_carry_an_opus_head(tmp_path: Path) -> None:
    path = tmp_path / "a.webm"
    write_all(path, "audio", frames_of("audio", 150))  # 3 s
    finalize(path)
    info = probe(path)
    (stream,) = info["streams"]
    assert (stream["codec_name"], stream["channels"], stream["sample_rate"]) == ("opus", 2, "48000")
    assert int(stream["extradata_size"]) == 19
    assert abs(float(info["format"]["duration"]) - 3.0) < 0.1
    assert decode_errors(path) == ""


def test_opus_duration_from_the_toc() -> None:
    assert opus_duration(bytes([0xF8, 0xFF, 0xFE])) == 960  # CELT FB 20 ms, one frame
    assert opus_duration(bytes([0x18])) == 2880  # SILK NB 60 ms (config 3), one frame
    assert opus_duration(bytes([0xFB, 0x03])) == 2880  # three 20 ms frames (code 3)
    assert opus_duration(b"") is None


class FillingDisk(io.RawIOBase):
    """A file that fails with ENOSPC once ``room`` bytes are written."""

    def __init__(self, path: Path, room: int) -> None:
        self._file = path.open("wb")
        self._room = room

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._file.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()


def test_a_full_disk_stops_the_writer_and_keeps_the_file_playable(tmp_path: Path) -> None:
    path = tmp_path / "v.webm"
    write_info(path, TrackInfo("p", "video", "VP8", path.name, 1, 1, 90000))
    writer = WebmTrackWriter(path, "video", opener=lambda p: FillingDisk(p, 60_000))  # type: ignore[arg-type,return-value]
    results = [writer.write(frame) for frame in frames_of("video", 150)]
    writer.close()
    assert False in results, "the disk never filled"
    assert writer.error is not None and writer.error.errno == errno.ENOSPC
    stopped_at = results.index(False)
    assert not any(results[stopped_at:])  # stopped for good
    info = read_info(path)
    assert info is not None
    info.state = DISK_FULL
    write_info(path, info)
    # what reached the disk plays as it is, and is finalised by recovery
    assert decoded_frames(path) > 0
    assert recover(tmp_path) == [path]
    kept = decoded_frames(path)
    assert 0 < kept <= stopped_at
    assert decode_errors(path) == ""
    info = read_info(path)
    assert info is not None and info.state == DISK_FULL and info.duration
    assert abs(duration(path) - kept / 30) < 0.2
    assert RECOVERED != info.state
