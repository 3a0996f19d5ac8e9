"""The composition job runner: a real recorded call composed by child processes, a
runner killed mid-job and another finishing it, progress, bounded retries."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from rooms.clock import SystemClock
from rooms.recordings.layered_storage import LayeredStorage
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.memory_store import MemoryRecordingStore
from rooms.recordings.model import CompositionState, FileKind, RecordingFile, RecordingState
from rooms.recordings.redis_store import RedisRecordingStore
from rooms.recordings.s3_storage import S3Storage
from rooms.recordings.service import RecordingService
from rooms.recordings.store import RecordingStore
from tests.media.composition.recorded import recorded_span
from tests.media.recording.probe import decode_errors, probe
from tests.rooms.recordings.builders import recording
from tests.s3_server import S3Server
from tests.s3_server import options as s3_options
from tests.web.recordings.composing import OPTIONS, place_tracks, track_names, watch
from web.recordings.composer import COMPOSED_NAME, Composer

ROOT = Path(__file__).resolve().parents[3]


def process_gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


async def run_until(composer: Composer, store: RecordingStore, recording_id: str,
                    until: set[str]) -> list[tuple[str, float]]:
    worker = asyncio.create_task(composer.run())
    try:
        return await watch(store, recording_id, until)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_a_runner_killed_mid_job_is_replaced_and_the_job_completes(
    call: Path, redis_url: str, tmp_path: Path
) -> None:
    store = RedisRecordingStore(redis_url, SystemClock())
    await store.create(recording("rec-a", active=False))
    folder = place_tracks(call, tmp_path, "rec-a")
    runner = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.web.recordings.composer_child", redis_url, str(tmp_path),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert runner.stdout is not None
        line = await asyncio.wait_for(runner.stdout.readline(), 60)
        child_pid = int(line.split()[1])
        async with asyncio.timeout(60):
            while True:  # well into the job
                current = await store.get("rec-a")
                assert current is not None
                if current.composition.percent >= 5.0:
                    break
                await asyncio.sleep(0.02)
    finally:
        runner.send_signal(signal.SIGKILL)
        await runner.wait()
    async with asyncio.timeout(10):  # the composition process dies with its runner
        while not process_gone(child_pid):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    left = await store.get("rec-a")
    assert left is not None and left.composition.state is CompositionState.RUNNING
    assert not (folder / COMPOSED_NAME).exists()

    composer = Composer(RecordingService(store), LocalFolderStorage(tmp_path), OPTIONS)
    seen = await run_until(composer, store, "rec-a", {"done", "failed"})
    percents = [percent for _, percent in seen]
    assert seen[-1] == ("done", 100.0)
    assert percents[1:] == sorted(percents[1:]) and len(set(percents)) > 3, seen
    done = await store.get("rec-a")
    assert done is not None and done.composition.attempts == 0
    composed = done.file(COMPOSED_NAME)
    assert composed is not None and composed.kind is FileKind.COMPOSED
    assert composed.size == (folder / COMPOSED_NAME).stat().st_size
    probed = probe(folder / COMPOSED_NAME)
    assert sorted(s["codec_type"] for s in probed["streams"]) == ["audio", "video"]
    span = recorded_span(folder)
    assert abs(float(probed["format"]["duration"]) - span) <= 0.05 * span
    assert decode_errors(folder / COMPOSED_NAME) == ""
    assert not list(folder.glob(".*.part"))
    await store.close()


async def test_a_failing_composition_is_retried_then_failed_with_its_reason(
    call: Path, tmp_path: Path
) -> None:
    store = MemoryRecordingStore(SystemClock())
    await store.create(recording("rec-b", active=False))
    folder = place_tracks(call, tmp_path, "rec-b")
    damaged = sorted(folder.glob("alice.video.*.webm"))[0]
    damaged.write_bytes(b"not a webm file" * 100)
    tracks = sorted(p.name for p in folder.iterdir())
    composer = Composer(RecordingService(store), LocalFolderStorage(tmp_path), OPTIONS)
    seen = await run_until(composer, store, "rec-b", {"done", "failed"})
    assert seen[-1][0] == "failed"
    failed = await store.get("rec-b")
    assert failed is not None
    assert failed.composition.attempts == OPTIONS.max_attempts
    assert failed.composition.error and "Invalid data" in failed.composition.error
    assert ("pending", 0.0) in seen[1:]  # retried in between
    assert sorted(p.name for p in folder.iterdir()) == tracks  # track files stay
    assert failed.file(COMPOSED_NAME) is None


async def test_a_recording_without_tracks_fails_at_once(tmp_path: Path) -> None:
    store = MemoryRecordingStore(SystemClock())
    await store.create(recording("rec-c", active=False))
    (tmp_path / "rec-c").mkdir()
    composer = Composer(RecordingService(store), LocalFolderStorage(tmp_path), OPTIONS)
    seen = await run_until(composer, store, "rec-c", {"done", "failed"})
    assert seen[-1][0] == "failed"
    failed = await store.get("rec-c")
    assert failed is not None and failed.composition.attempts == 1
    assert "no track file" in (failed.composition.error or "")


async def test_a_recording_that_lists_tracks_but_has_nothing_yet_is_tried_again(
    call: Path, tmp_path: Path
) -> None:
    """A try that finds no usable track (here every sidecar says no frame, as for files
    not complete or not reachable yet) of a recording that lists tracks is not the end."""
    store = MemoryRecordingStore(SystemClock())
    names = await asyncio.to_thread(track_names, call)
    made = recording("rec-g", active=False)
    await store.create(made.model_copy(update={"files": [
        RecordingFile(name=name, kind=FileKind.TRACK, size=1, peer="alice")
        for name in names if name.endswith(".webm")]}))
    folder = place_tracks(call, tmp_path, "rec-g")
    sidecars = [folder / name for name in names if name.endswith(".json")]
    for sidecar in sidecars:
        said = json.loads(await asyncio.to_thread(sidecar.read_text))
        await asyncio.to_thread(sidecar.write_text, json.dumps({**said, "frames": 0}))
    service = RecordingService(store)
    patient = replace(OPTIONS, retry_delay_s=600.0)  # the next try: the next runner's scan
    composer = Composer(service, LocalFolderStorage(tmp_path), patient)
    worker = asyncio.create_task(composer.run())
    try:
        async with asyncio.timeout(60):
            while True:
                waiting = await store.get("rec-g")
                assert waiting is not None
                assert waiting.composition.state is not CompositionState.FAILED, waiting
                if waiting.composition.attempts == 1:
                    break
                await asyncio.sleep(0.02)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert waiting.composition.state is CompositionState.PENDING
    assert "no track file" in (waiting.composition.error or "")
    for sidecar in sidecars:  # the complete files are there for the next try
        await asyncio.to_thread(shutil.copy, call / sidecar.name, sidecar)
    restarted = Composer(service, LocalFolderStorage(tmp_path), patient)
    seen = await run_until(restarted, store, "rec-g", {"done", "failed"})
    assert seen[-1] == ("done", 100.0), seen


async def test_an_active_recording_waits_and_enqueue_after_stop_composes_it(
    call: Path, tmp_path: Path
) -> None:
    store = MemoryRecordingStore(SystemClock())
    service = RecordingService(store)
    await store.create(recording("rec-d", active=True))
    place_tracks(call, tmp_path, "rec-d")
    composer = Composer(service, LocalFolderStorage(tmp_path), OPTIONS)
    assert await composer.scan() == 0  # still recording: not composed yet
    await service.finish("rec-d", RecordingState.STOPPED)
    await composer.enqueue("rec-d")
    seen = await run_until(composer, store, "rec-d", {"done", "failed"})
    assert seen[-1] == ("done", 100.0)


async def test_tracks_already_uploaded_to_the_object_store_are_composed(
    call: Path, s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = f"comp-{uuid.uuid4().hex[:10]}"
    await asyncio.to_thread(s3_server.client().create_bucket, Bucket=bucket)
    remote = S3Storage(s3_options(s3_server.url, bucket))
    local = LocalFolderStorage(tmp_path / "local")
    for name in await asyncio.to_thread(track_names, call):  # uploaded, none local
        await remote.put("rec-e", name, call / name)
    store = MemoryRecordingStore(SystemClock())
    await store.create(recording("rec-e", active=False))
    composer = Composer(RecordingService(store), local, OPTIONS,
                        storage=LayeredStorage(local, remote))
    seen = await run_until(composer, store, "rec-e", {"done", "failed"})
    assert seen[-1] == ("done", 100.0), seen
    folder = local.folder("rec-e")
    assert [p.name for p in folder.iterdir()] == [COMPOSED_NAME]  # the copies removed
    assert decode_errors(folder / COMPOSED_NAME) == ""
    await remote.close()


async def test_two_runners_on_one_store_compose_a_recording_once(
    call: Path, redis_url: str, tmp_path: Path
) -> None:
    store = RedisRecordingStore(redis_url, SystemClock())
    await store.create(recording("rec-f", active=False))
    place_tracks(call, tmp_path, "rec-f")
    runners = [Composer(RecordingService(store), LocalFolderStorage(tmp_path), OPTIONS)
               for _ in range(2)]
    workers = [asyncio.create_task(r.run()) for r in runners]
    try:
        seen = await watch(store, "rec-f", {"done", "failed"})
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    assert seen[-1] == ("done", 100.0)
    assert sorted(r.claimed for r in runners) == [0, 1]
    done = await store.get("rec-f")
    assert done is not None and done.composition.worker is None
    await store.close()


async def test_a_recording_whose_tracks_are_in_another_process_folder_is_left_to_it(
    tmp_path: Path
) -> None:
    store = MemoryRecordingStore(SystemClock())
    elsewhere = recording("rec-g", active=False).model_copy(update={"files": [
        RecordingFile(name="alice.video.001.webm", kind=FileKind.TRACK, size=10,
                      peer="alice")]})
    await store.create(elsewhere)
    composer = Composer(RecordingService(store), LocalFolderStorage(tmp_path), OPTIONS)
    worker = asyncio.create_task(composer.run())
    try:
        await asyncio.sleep(OPTIONS.poll_s * 3)  # a few scans
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    left = await store.get("rec-g")
    assert left is not None and left.composition.state is CompositionState.PENDING
    assert composer.claimed == 0


async def test_a_stop_that_meets_a_job_arriving_still_stops_the_runner(tmp_path: Path) -> None:
    """The server stops (the runner is cancelled) just as a stopped recording is queued,
    as at a shutdown while recording: the runner ends. (Python 3.11's wait_for returned
    the queued id and dropped the cancellation: the runner went on, and the shutdown
    waited for it forever.)"""
    composer = Composer(RecordingService(MemoryRecordingStore(SystemClock())),
                        LocalFolderStorage(tmp_path), OPTIONS)
    worker = asyncio.create_task(composer.run())
    await asyncio.sleep(0.2)  # scanned; waiting for a job
    composer._put("rec-arriving")
    await asyncio.sleep(0)  # the queue hands the id over...
    worker.cancel()  # ...and the stop comes before the runner resumes
    done, _ = await asyncio.wait({worker}, timeout=3)
    try:
        assert worker in done and worker.cancelled()
    finally:
        while not worker.done():  # (the old runner: make it end for the next tests)
            worker.cancel()
            await asyncio.wait({worker}, timeout=1)
