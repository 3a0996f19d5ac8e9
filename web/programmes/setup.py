"""Wiring of the programmes feature: the store (Redis when configured), the service over
the app's scheduling service, the routes and the intro webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
from aiohttp import web

from rooms.attendance import AttendanceLog, MemoryAttendanceLog, RedisAttendanceLog
from rooms.clock import Clock
from rooms.notes.model import pair_scope
from rooms.notes.service import NotesService
from rooms.programmes.progress import OpenItems
from rooms.programmes.redis_store import RedisProgrammeStore
from rooms.programmes.service import ProgrammeService
from rooms.programmes.store import MemoryProgrammeStore, ProgrammeStore

from ..recordings.session import SessionCodec
from ..scheduling.setup import Scheduling, offload_to
from ..settings import Settings
from .routes import IntroWebhooks, ProgrammesApi


@dataclass
class Programmes:
    """The programme services of one app; tests reach it through ``app[PROGRAMMES]``."""

    service: ProgrammeService
    api: ProgrammesApi

    def attach(self, app: web.Application) -> None:
        app.add_routes(self.api.routes())
        app.router.add_get("/programmes", admin_page)
        app.on_cleanup.append(self._close)

    async def _close(self, app: web.Application) -> None:
        await self.service.store.close()
        await self.service.attendance.close()


ADMIN_PAGE = Path(__file__).resolve().parents[1] / "static" / "programmes" / "index.html"


async def admin_page(request: web.Request) -> web.StreamResponse:
    """The programme admin pages (web/client/src/programmes/; the key stays in the tab)."""
    if not ADMIN_PAGE.exists():
        return web.Response(status=503, text="The web client is not built yet: run "
                                             "`make build` (or `make run`).")
    return web.FileResponse(ADMIN_PAGE, headers={"Cache-Control": "no-cache"})


PROGRAMMES = web.AppKey("programmes", Programmes)


def build_programmes(settings: Settings, clock: Clock, scheduling: Scheduling,
                     client: aioredis.Redis | None = None,
                     notes: NotesService | None = None,
                     sessions: SessionCodec | None = None) -> Programmes:
    """The programme store, service and API on the app's scheduling (the app adds
    ``service.tracker.joined`` to the room service's join listeners). ``sessions``: the
    recordings page's sign-in (web/recordings/session.py), so one sign-in, and one
    sign-out, serves both admin pages; without it only the admin key header admits."""
    store: ProgrammeStore = (RedisProgrammeStore(client) if client is not None
                             else MemoryProgrammeStore())
    attendance: AttendanceLog = (RedisAttendanceLog(client) if client is not None
                                 else MemoryAttendanceLog())
    offload = offload_to(scheduling.cpu) if scheduling.cpu is not None else None
    service = ProgrammeService(store, scheduling.service, clock, offload=offload,
                               attendance=attendance,
                               open_items=None if notes is None else open_items_of(notes))
    if scheduling.webhooks is not None:
        service.add_listener(IntroWebhooks(scheduling.webhooks.enqueue, clock))
    api = ProgrammesApi(service, scheduling.tokens, settings.resolved_admin_key(),
                        settings.base_url, sessions)
    return Programmes(service, api)


def open_items_of(notes: NotesService) -> OpenItems:
    """The open action items of a pair, from the 1:1 notes they share."""

    async def count(a: str, b: str) -> int:
        return sum(not item.done for item in await notes.items(pair_scope(a, b)))

    return count
