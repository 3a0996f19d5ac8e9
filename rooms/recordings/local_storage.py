"""Recording files in a local folder (``MENTORCALL_RECORDINGS_DIR``, default
``./recordings``): ``<root>/<recording id>/<name>``.

Every blocking file operation runs in a worker thread (``asyncio.to_thread``), never on
the event loop. A put writes a temporary file beside the target, fsyncs it and renames it
into place, so a crash leaves either the old file or the new one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from rooms.errors import RoomError
from rooms.recordings.storage import (
    CHUNK_BYTES,
    RecordingStorage,
    StoredFile,
    check_file_name,
    check_recording_id,
)

TEMP_SUFFIX = ".part"
P = ParamSpec("P")
T = TypeVar("T")


class LocalFolderStorage(RecordingStorage):
    """Recording files under ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()

    def folder(self, recording_id: str) -> Path:
        """The folder of one recording (checked: always directly under the root)."""
        folder = self.root / check_recording_id(recording_id)
        if folder.parent != self.root:  # defence in depth; the id check already refuses
            raise RoomError("invalid_recording_id")
        return folder

    def path(self, recording_id: str, name: str) -> Path:
        """Where ``recording_id/name`` is (or would be) on disk."""
        return self.folder(recording_id) / check_file_name(name)

    async def put(self, recording_id: str, name: str, source: Path) -> int:
        target = self.path(recording_id, name)
        return await _run(_copy_into_place, Path(source), target)

    async def put_bytes(self, recording_id: str, name: str, data: bytes) -> int:
        target = self.path(recording_id, name)
        return await _run(_write_into_place, data, target)

    async def size(self, recording_id: str, name: str) -> int:
        path = self.path(recording_id, name)
        try:
            return await _run(_file_size, path)
        except FileNotFoundError:
            raise RoomError("recording_file_not_found") from None

    async def read_range(self, recording_id: str, name: str, start: int,
                         length: int) -> AsyncIterator[bytes]:
        path = self.path(recording_id, name)
        try:
            handle = await _run(path.open, "rb")
        except FileNotFoundError:
            raise RoomError("recording_file_not_found") from None
        try:
            await _run(handle.seek, start)
            left = length
            while left > 0:
                chunk = await _run(handle.read, min(CHUNK_BYTES, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            await _run(handle.close)

    async def files(self, recording_id: str) -> list[StoredFile]:
        return await _run(_listing, self.folder(recording_id))

    async def delete(self, recording_id: str, name: str) -> bool:
        path = self.path(recording_id, name)
        try:
            await _run(path.unlink)
        except FileNotFoundError:
            return False
        return True

    async def remove_if_empty(self, recording_id: str) -> bool:
        """Remove the recording's folder if it holds nothing (every file uploaded)."""
        try:
            await asyncio.to_thread(self.folder(recording_id).rmdir)
        except OSError:  # not empty, or gone already
            return False
        return True

    async def delete_recording(self, recording_id: str) -> int:
        folder = self.folder(recording_id)
        count = len(await self.files(recording_id))
        await _run(shutil.rmtree, folder, True)
        return count


async def _run(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args)`` in a worker thread; OS errors other than a missing file become
    ``storage_unavailable`` (a full disk, a permission)."""
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise RoomError("storage_unavailable", f"The recordings folder failed: "
                        f"{exc.strerror or type(exc).__name__}.") from exc


def _file_size(path: Path) -> int:
    if not path.is_file():
        raise FileNotFoundError(path)
    return path.stat().st_size


def _listing(folder: Path) -> list[StoredFile]:
    if not folder.is_dir():
        return []
    return sorted((StoredFile(p.name, p.stat().st_size) for p in folder.iterdir()
                   if p.is_file() and not p.name.endswith(TEMP_SUFFIX)),
                  key=lambda f: f.name)


def _copy_into_place(source: Path, target: Path) -> int:
    if source.resolve() == target.resolve():
        return target.stat().st_size  # the recorder wrote it here already
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + TEMP_SUFFIX)
    with source.open("rb") as src, temp.open("wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK_BYTES)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(temp, target)
    return target.stat().st_size


def _write_into_place(data: bytes, target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + TEMP_SUFFIX)
    with temp.open("wb") as dst:
        dst.write(data)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(temp, target)
    return len(data)
