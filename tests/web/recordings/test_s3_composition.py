"""A real two-person call recorded on a server whose recordings go to an S3-compatible
store (moto, loopback): the tracks, their sidecars, the consent log and the composed
file all end up in the bucket, the composed file plays (video and audio for the call's
length), and the local folder is gone once everything is confirmed."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

from rooms.recordings.model import CompositionState, FileKind, Recording
from tests.media.recording.probe import decode_errors, probe
from tests.s3_server import CREDENTIALS, REGION, S3Server
from tests.signaling.test_recording_call import coffee_call
from web.recordings.composer import COMPOSED_NAME
from web.recordings.setup import RECORDINGS

RECORD_S = 5.0
WAIT_S = 180.0  # uploads and a 640x360 composition on a loaded machine


def finished(recording: Recording | None) -> bool:
    """Composed (or failed for good) and every listed file confirmed in the bucket."""
    assert recording is not None
    if recording.composition.state is CompositionState.FAILED:
        return True
    return (recording.composition.state is CompositionState.DONE
            and all(f.uploaded for f in recording.files))


async def test_a_call_recorded_to_s3_is_composed_into_the_bucket(
        s3_server: S3Server, tmp_path: Path) -> None:
    bucket = f"call-{uuid.uuid4().hex[:10]}"
    s3 = s3_server.client()
    await asyncio.to_thread(s3.create_bucket, Bucket=bucket)
    settings: dict[str, Any] = {"recordings_dir": tmp_path / "recs", "recordings_s3_bucket": bucket,
                "recordings_s3_endpoint": s3_server.url, "recordings_s3_region": REGION,
                "recordings_s3_access_key": CREDENTIALS["access_key"],
                "recordings_s3_secret_key": CREDENTIALS["secret_key"],
                "composition_width": 640, "composition_height": 360}
    async with coffee_call(**settings) as call:
        recordings = call.server.app[RECORDINGS]
        ack = await call.mentor.signal.call("start_recording", {})
        assert ack["ok"], ack
        started_at = time.monotonic()
        recording_id = ack["recording"]["recording_id"]
        ack = await call.mentee.signal.call("recording_consent", {"accepted": True})
        assert ack["ok"], ack
        await asyncio.sleep(RECORD_S)
        assert (await call.mentor.signal.call("stop_recording", {})) == {"ok": True}
        call_s = time.monotonic() - started_at
        folder = recordings.local.folder(recording_id)
        async with asyncio.timeout(WAIT_S):
            while True:
                recording = await recordings.store.get(recording_id)
                if finished(recording):
                    break
                await asyncio.sleep(0.1)
            assert recording is not None
            assert recording.composition.state is CompositionState.DONE, recording.composition
            assert recording.composition.attempts == 0
            assert recordings.uploads is not None
            await recordings.uploads.idle()
            while True:  # the last local copy goes after its confirmation
                if not folder.exists():
                    break
                await asyncio.sleep(0.1)

    listed = {f.name for f in recording.files}
    tracks = {f.name for f in recording.files if f.kind is FileKind.TRACK}
    assert len(tracks) == 4 and COMPOSED_NAME in listed and "consent.json" in listed
    prefix = f"recordings/{recording_id}/"
    listing = await asyncio.to_thread(s3.list_objects_v2, Bucket=bucket, Prefix=prefix)
    keys = {o["Key"][len(prefix):] for o in listing["Contents"]}
    sidecars = {name.removesuffix(".webm") + ".json" for name in tracks}
    assert keys == listed | sidecars  # the sidecars too (unlisted): composable from here

    composed = tmp_path / COMPOSED_NAME
    await asyncio.to_thread(s3.download_file, bucket, prefix + COMPOSED_NAME, str(composed))
    probed = await asyncio.to_thread(probe, composed)
    assert sorted(s["codec_type"] for s in probed["streams"]) == ["audio", "video"]
    duration = float(probed["format"]["duration"])
    assert abs(duration - call_s) <= max(1.0, 0.15 * call_s), (duration, call_s)
    assert await asyncio.to_thread(decode_errors, composed) == ""
