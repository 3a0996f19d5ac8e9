"""Wiring of the recordings feature: metadata store, file storage, upload queue,
retention and the admin API, from the settings.

Files are written to ``MENTORCALL_RECORDINGS_DIR``. With ``MENTORCALL_RECORDINGS_S3_BUCKET``
set, finished files are uploaded to that bucket by the upload queue (which resumes with
whatever is left in the folder at start-up) and read from wherever they are. Retention
runs hourly while the app runs. The composition runner (web/recordings/composer.py) makes
each finished recording's composed file in a child process; signaling calls
``Recordings.composer.enqueue(recording_id)`` when a recording stops or is recovered.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from aiohttp import web

from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.grants import TokenSigner
from rooms.recordings.layered_storage import LayeredStorage
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.memory_store import MemoryRecordingStore
from rooms.recordings.redis_store import RedisRecordingStore
from rooms.recordings.retention import Retention
from rooms.recordings.s3_storage import S3Options, S3Storage
from rooms.recordings.service import RecordingService
from rooms.recordings.storage import RecordingStorage
from rooms.recordings.store import RecordingStore
from rooms.recordings.uploads import UploadQueue
from rooms.recordings.whereabouts import FileWhereabouts
from signaling.recording_files import RecordingFiler

from ..client_address import ClientAddress
from ..settings import Settings
from .access import Access, HostingCheck
from .composer import Composer, ComposerOptions
from .links import LinkSigner
from .routes import RecordingsApi
from .session import SessionCodec
from .signin import SignIn

RETENTION_EVERY_S = 3600.0


@dataclass
class Recordings:
    """The recording services of one app; tests reach it through ``app[RECORDINGS]``."""

    store: RecordingStore
    service: RecordingService
    storage: RecordingStorage
    local: LocalFolderStorage
    uploads: UploadQueue | None
    retention: Retention
    api: RecordingsApi
    links: LinkSigner
    signin: SignIn
    filer: RecordingFiler
    composer: Composer | None = None
    access: Access | None = None  # who asks (the notes API reads the page's session)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    recheck_after_s: float = 0.0  # start-up recovery's second look (a node lease)

    def attach(self, app: web.Application) -> None:
        app.add_routes(self.api.routes())
        app.add_routes(self.signin.routes())
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._stop_tasks)  # before the shared Redis client closes
        app.on_cleanup.append(self._close)

    async def _start(self, app: web.Application) -> None:
        await self.filer.recover_all()  # before uploads resume: they take its files too
        if self.filer.deferred:  # maybe this machine's dead node, its lease not lapsed yet
            await self.filer.recover_deferred(self.recheck_after_s)
        self.tasks.append(asyncio.create_task(self.retention.run_forever(RETENTION_EVERY_S)))
        if self.uploads is not None:
            await self.uploads.resume()
            self.tasks.append(asyncio.create_task(self.uploads.run()))
        if self.composer is not None:
            self.tasks.append(asyncio.create_task(self.composer.run()))

    async def _stop_tasks(self, app: web.Application) -> None:
        pending = {task for task in self.tasks if not task.done()}
        while pending:  # again if a cancellation was dropped on the way (see Composer.run)
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _close(self, app: web.Application) -> None:
        await self._stop_tasks(app)
        await self.storage.close()
        await self.store.close()


RECORDINGS = web.AppKey("recordings", Recordings)


def s3_options(settings: Settings) -> S3Options | None:
    if not settings.recordings_s3_bucket:
        return None
    return S3Options(bucket=settings.recordings_s3_bucket,
                     endpoint_url=settings.recordings_s3_endpoint or None,
                     region=settings.recordings_s3_region,
                     access_key=settings.recordings_s3_access_key or None,
                     secret_key=settings.recordings_s3_secret_key or None,
                     prefix=settings.recordings_s3_prefix)


def build_recordings(settings: Settings, clock: Clock, signer: TokenSigner,
                     client: aioredis.Redis | None = None, *,
                     hosting: HostingCheck) -> Recordings:
    """Everything recordings need; on the process's Redis ``client`` when given;
    ``hosting`` tells whether a token's holder still hosts its room (see :class:`Access`)."""
    store: RecordingStore = (RedisRecordingStore(client, clock) if client is not None
                             else MemoryRecordingStore(clock))
    service = RecordingService(store, clock)
    local = LocalFolderStorage(settings.recordings_dir)
    storage: RecordingStorage = local
    uploads = None
    options = s3_options(settings)
    if options is not None:
        remote = S3Storage(options)
        storage = LayeredStorage(local, remote)

        async def uploaded(recording_id: str, name: str, size: int) -> None:
            try:
                await service.mark_uploaded(recording_id, name)
            except RoomError as exc:
                if exc.code == "recording_not_found":
                    # Deleted (by an admin or retention) while this file was on its way:
                    # its metadata is created before any file, so the object is an orphan.
                    await remote.delete(recording_id, name)
                elif exc.code != "recording_file_not_found":  # not listed (yet): fine
                    raise  # the store away: the queue tries again

        uploads = UploadQueue(local, remote, uploaded)
    links = LinkSigner(settings.resolved_secret(), clock, settings.recording_link_ttl_s)
    sessions = SessionCodec(settings.resolved_secret(), clock, settings.admin_session_ttl_s,
                            settings.resolved_admin_key(), store)
    access = Access(settings.resolved_admin_key(), signer, store, clock, sessions,
                    ClientAddress(settings.trusted_proxies), hosting=hosting)
    whereabouts = FileWhereabouts(local)  # node_id set by the app with several nodes
    api = RecordingsApi(store, storage, access, links, settings.base_url, whereabouts)
    retention = Retention(store, storage, settings.recording_retention_days, clock,
                          whereabouts)
    signin = SignIn(access, clock, secure=settings.admin_cookie_secure,
                    base_url=settings.base_url, attempts_burst=settings.admin_signin_burst,
                    attempts_per_min=settings.admin_signin_per_min,
                    retention_days=settings.recording_retention_days,
                    link_ttl_s=settings.recording_link_ttl_s)
    composer = None
    if settings.composition_enabled:
        composer = Composer(service, local, ComposerOptions(
            width=settings.composition_width, height=settings.composition_height,
            fps=settings.composition_fps, nice=settings.composition_nice,
            max_attempts=settings.composition_attempts),
            on_composed=uploads.submit if uploads is not None else None, storage=storage,
            hold=uploads.holding if uploads is not None else None)
    # a stopped (or recovered) recording is composed at once; the composer's own scan
    # catches any it missed
    filer = RecordingFiler(service, local, None if uploads is None else uploads.submit,
                           on_stopped=None if composer is None else composer.enqueue)
    return Recordings(store, service, storage, local, uploads, retention, api, links, signin,
                      filer, composer, access)
