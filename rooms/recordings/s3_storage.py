"""Recording files in an S3-compatible object store: ``<prefix><recording id>/<name>``.

boto3 in worker threads (``asyncio.to_thread``), not aiobotocore: rooms/ may not import
aiohttp (which aiobotocore is built on), boto3's client is thread-safe and is the
reference implementation every S3-compatible server is tested with, and recording I/O is
a few large sequential transfers, where a thread per call costs nothing that matters.
``upload_file`` does multipart uploads of large files; each object is complete or absent.

Errors: a missing object is ``recording_file_not_found``; anything else from the store or
the network (refused connection, timeout, 5xx, a missing bucket) is
``storage_unavailable`` with the S3 error code in the sentence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from rooms.errors import RoomError
from rooms.recordings.storage import (
    CHUNK_BYTES,
    RecordingStorage,
    StoredFile,
    check_file_name,
    check_recording_id,
)

P = ParamSpec("P")
T = TypeVar("T")
MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Options:
    """Where and how to reach the bucket (``MENTORCALL_RECORDINGS_S3_*`` settings)."""

    bucket: str
    endpoint_url: str | None = None  # None: the provider's default endpoint
    region: str = "us-east-1"
    access_key: str | None = None  # None: boto3's usual credential chain
    secret_key: str | None = None
    prefix: str = "recordings/"
    timeout_s: float = 10.0
    attempts: int = 3  # boto3's own retries of one call (the upload queue retries more)


class S3Storage(RecordingStorage):
    """Recording files as objects of one bucket."""

    def __init__(self, options: S3Options, client: Any = None) -> None:
        self.options = options
        self._client = client if client is not None else boto3.client(
            "s3",
            endpoint_url=options.endpoint_url,
            region_name=options.region,
            aws_access_key_id=options.access_key,
            aws_secret_access_key=options.secret_key,
            config=Config(connect_timeout=options.timeout_s, read_timeout=options.timeout_s,
                          retries={"max_attempts": options.attempts, "mode": "standard"},
                          s3={"addressing_style": "path"}),
        )

    def key(self, recording_id: str, name: str) -> str:
        return f"{self._folder(recording_id)}{check_file_name(name)}"

    def _folder(self, recording_id: str) -> str:
        return f"{self.options.prefix}{check_recording_id(recording_id)}/"

    async def _call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in MISSING:
                raise RoomError("recording_file_not_found") from None
            raise RoomError("storage_unavailable",
                            f"The object store refused the request ({code}).") from exc
        except S3UploadFailedError as exc:  # upload_file wraps the ClientError in it
            raise RoomError("storage_unavailable",
                            "The object store refused the upload.") from exc
        except (BotoCoreError, OSError) as exc:
            raise RoomError("storage_unavailable", "The object store cannot be reached "
                            f"({type(exc).__name__}).") from exc

    async def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (for deployments that let us)."""
        try:
            await self._call(self._client.head_bucket, Bucket=self.options.bucket)
        except RoomError as exc:
            if exc.code != "recording_file_not_found":
                raise
            await self._call(self._client.create_bucket, Bucket=self.options.bucket)

    async def put(self, recording_id: str, name: str, source: Path) -> int:
        key = self.key(recording_id, name)
        await self._call(self._client.upload_file, str(source), self.options.bucket, key)
        return await self.size(recording_id, name)

    async def put_bytes(self, recording_id: str, name: str, data: bytes) -> int:
        await self._call(self._client.put_object, Bucket=self.options.bucket,
                         Key=self.key(recording_id, name), Body=data)
        return len(data)

    async def size(self, recording_id: str, name: str) -> int:
        head = await self._call(self._client.head_object, Bucket=self.options.bucket,
                                Key=self.key(recording_id, name))
        return int(head["ContentLength"])

    async def read_range(self, recording_id: str, name: str, start: int,
                         length: int) -> AsyncIterator[bytes]:
        key = self.key(recording_id, name)
        if length <= 0:
            await self.size(recording_id, name)  # still "not found" for a missing file
            return
        answer = await self._call(self._client.get_object, Bucket=self.options.bucket,
                                  Key=key, Range=f"bytes={start}-{start + length - 1}")
        body = answer["Body"]
        try:
            while True:
                chunk = await self._call(body.read, CHUNK_BYTES)
                if not chunk:
                    break
                yield chunk
        finally:
            await asyncio.to_thread(body.close)

    async def files(self, recording_id: str) -> list[StoredFile]:
        folder = self._folder(recording_id)
        found: list[StoredFile] = []
        token: str | None = None
        while True:
            page_args: dict[str, Any] = {"Bucket": self.options.bucket, "Prefix": folder}
            if token:
                page_args["ContinuationToken"] = token
            page = await self._call(self._client.list_objects_v2, **page_args)
            found += [StoredFile(item["Key"][len(folder):], int(item["Size"]))
                      for item in page.get("Contents", []) if "/" not in item["Key"][len(folder):]]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return sorted(found, key=lambda f: f.name)

    async def delete(self, recording_id: str, name: str) -> bool:
        try:
            await self.size(recording_id, name)
        except RoomError as exc:
            if exc.code == "recording_file_not_found":
                return False
            raise
        await self._call(self._client.delete_object, Bucket=self.options.bucket,
                         Key=self.key(recording_id, name))
        return True

    async def delete_recording(self, recording_id: str) -> int:
        names = [f.name for f in await self.files(recording_id)]
        for start in range(0, len(names), 1000):  # DeleteObjects takes 1000 keys a call
            batch = [{"Key": self.key(recording_id, n)} for n in names[start:start + 1000]]
            await self._call(self._client.delete_objects, Bucket=self.options.bucket,
                             Delete={"Objects": batch, "Quiet": True})
        return len(names)

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)
