"""Wiring of the scheduling feature: stores, services, routes, webhooks and reminders.

``create_app`` calls :func:`build_scheduling` with the settings, the clock, the room store
and the token signer it already has, then :meth:`Scheduling.attach` to add the routes
(``GET /api/openapi.json`` among them) and run the reminder task with the app. Redis is
used when configured (the process's one client, shared with the room store), else the
in-memory stores.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import redis.asyncio as aioredis
from aiohttp import web

from rooms.clock import Clock
from rooms.grants import TokenSigner
from rooms.person_tokens import FeedTokens, PersonTokens
from rooms.scheduling import tzdb
from rooms.scheduling.booking_service import Offload, SchedulingService
from rooms.scheduling.booking_store import BookingStore
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.memory_bookings import MemoryBookingStore
from rooms.scheduling.outbox import MemoryWebhookOutbox, RedisWebhookOutbox, WebhookOutbox
from rooms.scheduling.people import MemoryPeopleStore, PeopleStore
from rooms.scheduling.redis_bookings import RedisBookingStore
from rooms.scheduling.redis_people import RedisPeopleStore
from rooms.scheduling.reminders import MemoryReminderLedger, RedisReminderLedger, ReminderLedger
from rooms.scheduling.rule_changes import follow_rule_changes
from rooms.scheduling.session_rooms import SessionRooms, SessionTiming
from rooms.store import RoomStore

from ..openapi import openapi_route
from ..settings import Settings
from .limits import RequestLimits, SchedulingLimits
from .routes import SchedulingApi
from .webhooks import ReminderTask, WebhookSender

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Scheduling:
    """The scheduling services of one app; tests reach it through ``Services``."""

    service: SchedulingService
    tokens: PersonTokens
    api: SchedulingApi
    webhooks: WebhookSender | None
    reminders: ReminderTask | None
    cpu: Executor | None = None
    rules_check: asyncio.Task[None] | None = field(default=None, init=False)

    def attach(self, app: web.Application) -> None:
        """Add the routes (and the OpenAPI document's); start the reminders with the app
        and close everything after."""
        app.add_routes([*self.api.routes(), openapi_route()])
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)

    async def _start(self, app: web.Application) -> None:
        logger.info("time-zone rules: IANA %s (the tzdata package)", tzdb.version())
        self.rules_check = asyncio.get_running_loop().create_task(self._follow_rules())
        if self.webhooks is not None:
            self.webhooks.start()
        if self.reminders is not None:
            self.reminders.start()

    async def _follow_rules(self) -> None:
        """Move the bookings the rules in use put elsewhere (see rule_changes)."""
        try:
            await follow_rule_changes(self.service)
        except Exception:
            logger.exception("checking bookings against the time-zone rules failed")

    async def _stop(self, app: web.Application) -> None:
        if self.rules_check is not None:
            self.rules_check.cancel()
            await asyncio.gather(self.rules_check, return_exceptions=True)
        if self.reminders is not None:
            await self.reminders.stop()
        if self.webhooks is not None:
            await self.webhooks.close()
        await self.service.directory.close()
        await self.service.bookings.close()
        await self.service.ledger.close()
        if self.cpu is not None:
            self.cpu.shutdown(wait=False, cancel_futures=True)


def build_scheduling(settings: Settings, clock: Clock, rooms: RoomStore,
                     signer: TokenSigner, client: aioredis.Redis | None = None) -> Scheduling:
    """Everything scheduling needs, from the settings; on the process's Redis ``client``
    (the app closes it) when given, else in memory."""
    people: PeopleStore
    bookings: BookingStore
    ledger: ReminderLedger
    outbox: WebhookOutbox
    if client is not None:
        people = RedisPeopleStore(client)
        bookings = RedisBookingStore(client, clock)
        ledger = RedisReminderLedger(client, clock)
        outbox = RedisWebhookOutbox(client)
    else:
        people, bookings = MemoryPeopleStore(), MemoryBookingStore(clock)
        ledger = MemoryReminderLedger(clock)
        outbox = MemoryWebhookOutbox()
    secret = settings.resolved_secret()
    directory = PeopleDirectory(people, FeedTokens(secret), clock)
    session_rooms = SessionRooms(rooms, signer, clock,
                                 SessionTiming(join_early_s=settings.join_early_s))
    # Slot searches (and their JSON) run on one worker thread, not on the event loop that
    # carries the calls' signaling: pure Python still takes the GIL, but the loop gets it
    # back every switch interval instead of waiting for a whole search (docs/benchmarks.md).
    cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slot-search")
    offload = offload_to(cpu)
    service = SchedulingService(directory, bookings, session_rooms, ledger, clock,
                                offload=offload)
    tokens = PersonTokens(secret, clock)
    limits = RequestLimits(clock, SchedulingLimits(
        settings.slot_search_burst, settings.slot_search_per_min, settings.booking_burst,
        settings.booking_per_hour, settings.pair_booking_burst, settings.pair_booking_per_hour))
    api = SchedulingApi(service, tokens, settings.resolved_admin_key(), settings.base_url,
                        limits, offload)
    webhooks = reminders = None
    if settings.webhook_url:
        webhooks = WebhookSender(settings.webhook_url, settings.webhook_secret, ledger,
                                 session_rooms, clock, outbox=outbox,
                                 backoff_s=settings.webhook_backoff_s)
        service.add_listener(webhooks)
        reminders = ReminderTask(service, webhooks, settings.reminder_minutes * 60, clock)
    return Scheduling(service, tokens, api, webhooks, reminders, cpu)


def offload_to(executor: Executor) -> Offload:
    """An :class:`Offload` that runs the work on ``executor`` (from the running loop)."""

    async def run(work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, work)

    return run
