"""WebM track files from depacketised frames: what ffprobe sees, disk full, finalising."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

from media.recording.depacketizer import Depacketizer, Frame
from media.recording.disk import RESERVE_BYTES, RESERVE_NAME, DiskFile, DiskThread
from media.recording.finalize import finalize, recover
from media.recording.sidecar import DISK_FULL, FINISHED, TrackInfo, read_info, write_info
from media.recording.writer import WebmTrackWriter, opus_duration
from rooms.recordings.local_storage import LocalFolderStorage
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
    """The writer's chunks written straight to ``path`` (no disk thread)."""
    file = DiskFile(path)
    writer = WebmTrackWriter(kind, file.write)
    for frame in frames:
        assert writer.write(frame)
    writer.close()
    file.close()
    return writer


def test_vp8_frames_are_muxed_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "v.webm"
    writer = write_all(path, "video", frames_of("video", 90))  # 3 s at 30 fps
    assert (writer.width, writer.height, writer.frames) == (320, 180, 90)
    assert decoded_frames(path) == 90  # playable before finalising
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


class FillingDisk(DiskFile):
    """A disk with ``room`` bytes free: a write beyond it is cut short, then ENOSPC."""

    def __init__(self, path: Path, room: int) -> None:
        self.errors: list[OSError] = []
        super().__init__(path, self.errors.append)
        self.room = room

    def _write_chunk(self, fd: int, data: memoryview) -> int:
        if not self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        done = super()._write_chunk(fd, data[: self.room])
        self.room -= done
        return done


def test_a_full_disk_stops_the_file_and_keeps_what_was_written_playable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.webm"
    write_info(path, TrackInfo("p", "video", "VP8", path.name, 1, 1, 90000, state=DISK_FULL))
    disk = FillingDisk(path, 150_000)
    writer = WebmTrackWriter("video", disk.write)
    for index, frame in enumerate(frames_of("video", 300)):
        if disk.errors and writer.error is None:
            writer.fail(disk.errors[0])
            stopped_at = index
        writer.write(frame)
    writer.close()
    disk.close()
    assert [e.errno for e in disk.errors] == [errno.ENOSPC]  # reported once
    # the cluster the disk could not take is cut back out: the file ends after a whole
    # one, and plays as it is (no "File ended prematurely"), then is finalised
    assert writer.error is not None and 100_000 < path.stat().st_size < 150_000
    assert path.stat().st_size == disk.written
    assert decode_errors(path) == ""
    assert decoded_frames(path) > 0
    assert recover(tmp_path) == [path]
    kept = decoded_frames(path)
    assert 0 < kept <= stopped_at
    assert decode_errors(path) == ""
    info = read_info(path)
    assert info is not None and info.state == DISK_FULL and info.duration
    assert abs(duration(path) - kept / 30) < 0.2


def test_recover_finalises_a_file_without_a_sidecar_and_skips_finished_ones(
    tmp_path: Path,
) -> None:
    orphan, done = tmp_path / "orphan.webm", tmp_path / "done.webm"
    write_all(orphan, "audio", frames_of("audio", 50))
    write_all(done, "audio", frames_of("audio", 50))
    write_info(done, TrackInfo("p", "audio", "opus", done.name, 1, 1, 48000, state=FINISHED))
    assert recover(tmp_path) == [orphan]
    assert abs(duration(orphan) - 1.0) < 0.05


async def test_the_disk_reserve_is_kept_until_stop_and_never_listed_as_a_file(
    tmp_path: Path,
) -> None:
    storage = LocalFolderStorage(tmp_path)
    folder = storage.folder("rec-1")
    folder.mkdir(parents=True)
    disk = DiskThread(reserve=folder / RESERVE_NAME)
    done = threading.Event()
    disk.submit(done.set)  # after the reserve was made
    assert done.wait(10)
    assert (folder / RESERVE_NAME).stat().st_size == RESERVE_BYTES
    assert await storage.files("rec-1") == []  # not uploaded, counted or offered
    disk.stop(10)
    assert not (folder / RESERVE_NAME).exists()
