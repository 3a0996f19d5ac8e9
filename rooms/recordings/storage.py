"""Where recording files live: one interface, a local folder and an S3-compatible store.

A file is named by its recording id and its name inside the recording
(``rec_x/mentor-1.video.webm``). Both parts are checked before any storage sees them:
anything path-like (a ``/``, ``..``, a leading dot, characters outside ``[A-Za-z0-9_.-]``)
is ``invalid_recording_id`` and nothing is read, written or deleted. Missing files are
``recording_file_not_found``; a storage that fails (disk, network, S3 errors) is
``storage_unavailable``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from rooms.errors import RoomError
from rooms.recordings.model import FileName, RecordingId

CHUNK_BYTES = 256 * 1024

_RECORDING_ID: TypeAdapter[str] = TypeAdapter(RecordingId)
_FILE_NAME: TypeAdapter[str] = TypeAdapter(FileName)


def check_recording_id(recording_id: str) -> str:
    """``recording_id`` if it is a plain recording id, else ``invalid_recording_id``."""
    try:
        return _RECORDING_ID.validate_python(recording_id, strict=True)
    except ValidationError:
        raise RoomError("invalid_recording_id") from None


def check_file_name(name: str) -> str:
    """``name`` if it is a plain file name, else ``invalid_recording_id``."""
    try:
        return _FILE_NAME.validate_python(name, strict=True)
    except ValidationError:
        raise RoomError("invalid_recording_id") from None


@dataclass(frozen=True)
class StoredFile:
    """A file as the storage sees it."""

    name: str
    size: int


class RecordingStorage(ABC):
    """The files of every recording.

    ``put`` is complete or absent: a reader never sees half a file under its name, and a
    failed put leaves any earlier file of that name as it was.
    """

    @abstractmethod
    async def put(self, recording_id: str, name: str, source: Path) -> int:
        """Store the finished local file ``source`` as ``recording_id/name``; its size."""

    @abstractmethod
    async def put_bytes(self, recording_id: str, name: str, data: bytes) -> int:
        """Store a small file given in memory (the consent log); its size."""

    @abstractmethod
    async def size(self, recording_id: str, name: str) -> int:
        """The file's size in bytes (``recording_file_not_found`` if absent)."""

    @abstractmethod
    def read_range(self, recording_id: str, name: str, start: int,
                   length: int) -> AsyncIterator[bytes]:
        """``length`` bytes from offset ``start`` in chunks; the caller checked the range
        against :meth:`size` (``recording_file_not_found`` if the file is absent)."""

    @abstractmethod
    async def files(self, recording_id: str) -> list[StoredFile]:
        """The recording's files, by name (empty if it has none)."""

    @abstractmethod
    async def delete(self, recording_id: str, name: str) -> bool:
        """Delete one file; False if it was not there."""

    @abstractmethod
    async def delete_recording(self, recording_id: str) -> int:
        """Delete every file of the recording; how many there were."""

    async def close(self) -> None:
        """Release connections (nothing by default)."""
        return None


async def read_all(storage: RecordingStorage, recording_id: str, name: str) -> bytes:
    """A whole (small) file, for tests and the consent log."""
    size = await storage.size(recording_id, name)
    return b"".join([chunk async for chunk in storage.read_range(recording_id, name, 0, size)])
