"""The files of a deployment with a remote store: new files are written to the local
folder, the upload queue moves finished ones to the remote store, and readers find each
file wherever it is now (local first: a file not uploaded yet is only there)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from rooms.errors import RoomError
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.storage import RecordingStorage, StoredFile


class LayeredStorage(RecordingStorage):
    """A local folder in front of a remote storage."""

    def __init__(self, local: LocalFolderStorage, remote: RecordingStorage) -> None:
        self.local = local
        self.remote = remote

    async def put(self, recording_id: str, name: str, source: Path) -> int:
        return await self.local.put(recording_id, name, source)

    async def put_bytes(self, recording_id: str, name: str, data: bytes) -> int:
        return await self.local.put_bytes(recording_id, name, data)

    async def _where(self, recording_id: str, name: str) -> tuple[RecordingStorage, int]:
        try:
            return self.local, await self.local.size(recording_id, name)
        except RoomError as exc:
            if exc.code != "recording_file_not_found":
                raise
        return self.remote, await self.remote.size(recording_id, name)

    async def size(self, recording_id: str, name: str) -> int:
        return (await self._where(recording_id, name))[1]

    async def read_range(self, recording_id: str, name: str, start: int,
                         length: int) -> AsyncIterator[bytes]:
        storage, _ = await self._where(recording_id, name)
        started = False
        try:
            async for chunk in storage.read_range(recording_id, name, start, length):
                started = True
                yield chunk
        except RoomError as exc:
            # Uploaded and deleted locally between the look-up and the open: read remotely.
            if started or storage is self.remote or exc.code != "recording_file_not_found":
                raise
            async for chunk in self.remote.read_range(recording_id, name, start, length):
                yield chunk

    async def files(self, recording_id: str) -> list[StoredFile]:
        found = {f.name: f for f in await self.remote.files(recording_id)}
        found.update({f.name: f for f in await self.local.files(recording_id)})
        return [found[name] for name in sorted(found)]

    async def delete(self, recording_id: str, name: str) -> bool:
        local = await self.local.delete(recording_id, name)
        remote = await self.remote.delete(recording_id, name)
        return local or remote

    async def delete_recording(self, recording_id: str) -> int:
        names = {f.name for f in await self.files(recording_id)}
        await self.local.delete_recording(recording_id)
        await self.remote.delete_recording(recording_id)
        return len(names)

    async def close(self) -> None:
        await self.remote.close()
