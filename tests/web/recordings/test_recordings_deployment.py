"""A deployment with Redis and an S3-compatible store (both real, on loopback): the server
uploads finished files, serves them from the bucket with Range, and runs retention."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aiohttp

from rooms.clock import ManualClock
from rooms.grants import TokenSigner
from rooms.recordings.model import FileKind, RecordingFile
from rooms.recordings.redis_store import RedisRecordingStore
from rooms.recordings.retention import DAY_S
from tests.live_server import ADMIN_KEY, SECRET, live_server
from tests.rooms.recordings.builders import recording
from tests.s3_server import CREDENTIALS, REGION, S3Server
from web.recordings.setup import RECORDINGS, build_recordings
from web.settings import Settings

START = 1_800_000_000.0
WAIT_S = 60.0



async def nobody_hosts(room_id: str, identity: str) -> bool:
    return False  # no token reaches recordings here (none is used)

async def test_uploads_downloads_and_retention(redis_url: str, s3_server: S3Server,
                                               tmp_path: Path) -> None:
    clock = ManualClock(START)
    bucket = f"dep-{uuid.uuid4().hex[:10]}"
    s3 = s3_server.client()
    await asyncio.to_thread(s3.create_bucket, Bucket=bucket)
    await asyncio.to_thread(s3.put_object, Bucket=bucket, Key="recordings/rec-old/a.webm",
                            Body=b"old")
    data = bytes(range(256)) * 400
    folder = tmp_path / "recs"
    (folder / "rec-new").mkdir(parents=True)
    (folder / "rec-new" / "a.webm").write_bytes(data)
    seed = RedisRecordingStore(redis_url, clock)
    await seed.create(recording("rec-old", "room-1", START - 8 * DAY_S, active=False))
    made = recording("rec-new", "room-2", START - DAY_S, active=False)
    await seed.create(made.model_copy(update={"files": [
        RecordingFile(name="a.webm", kind=FileKind.TRACK, size=len(data), peer="p")]}))
    await seed.close()

    async with live_server(clock, redis_url=redis_url, recordings_dir=folder,
                           recording_retention_days=7, recordings_s3_bucket=bucket,
                           recordings_s3_endpoint=s3_server.url,
                           recordings_s3_region=REGION,
                           recordings_s3_access_key=CREDENTIALS["access_key"],
                           recordings_s3_secret_key=CREDENTIALS["secret_key"]) as server:
        recordings = server.app[RECORDINGS]
        assert recordings.uploads is not None
        async with asyncio.timeout(WAIT_S):
            await recordings.uploads.idle()
            while True:  # retention runs once at start-up
                if await recordings.store.get("rec-old") is None:
                    break
                await asyncio.sleep(0.05)
        assert not (folder / "rec-new" / "a.webm").exists()  # uploaded, confirmed, removed
        stored = await recordings.store.get("rec-new")
        assert stored is not None and stored.files[0].uploaded
        listing = await asyncio.to_thread(s3.list_objects_v2, Bucket=bucket)
        assert [o["Key"] for o in listing["Contents"]] == ["recordings/rec-new/a.webm"]
        audit = await recordings.store.audit_log()
        assert [(e.actor, e.recording_id) for e in audit] == [("retention", "rec-old")]

        admin = {"Authorization": f"Bearer {server.admin_key}"}
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"{server.base_url}/api/recordings/rec-new/files/a.webm/link", headers=admin)
            url = (await response.json())["url"]
            part = await http.get(url, headers={"Range": "bytes=1000-1999"})
            assert part.status == 206 and await part.read() == data[1000:2000]
            whole = await http.get(url)
            assert await whole.read() == data


async def test_a_file_of_a_deleted_recording_leaves_no_object(s3_server: S3Server,
                                                              tmp_path: Path) -> None:
    bucket = f"orph-{uuid.uuid4().hex[:10]}"
    s3 = s3_server.client()
    await asyncio.to_thread(s3.create_bucket, Bucket=bucket)
    settings = Settings(data_dir=tmp_path / "data", secret=SECRET, admin_key=ADMIN_KEY,
                        recordings_dir=tmp_path / "recs", recordings_s3_bucket=bucket,
                        recordings_s3_endpoint=s3_server.url, recordings_s3_region=REGION,
                        recordings_s3_access_key=CREDENTIALS["access_key"],
                        recordings_s3_secret_key=CREDENTIALS["secret_key"])
    clock = ManualClock(START)
    built = build_recordings(settings, clock, TokenSigner(SECRET, clock),
                             hosting=nobody_hosts)
    await built.store.create(recording("kept", active=False))
    await built.local.put_bytes("kept", "a.webm", b"kept")
    await built.local.put_bytes("gone", "a.webm", b"of a deleted recording")
    assert built.uploads is not None
    assert await built.uploads.resume() == 2
    task = asyncio.create_task(built.uploads.run())
    try:
        async with asyncio.timeout(WAIT_S):
            await built.uploads.idle()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await built.storage.close()
    listing = await asyncio.to_thread(s3.list_objects_v2, Bucket=bucket)
    assert [o["Key"] for o in listing["Contents"]] == ["recordings/kept/a.webm"]
    assert await built.local.files("gone") == []
