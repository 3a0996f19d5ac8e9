"""The composition root: builds stores, the SFU and signaling from settings."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass

import redis.asyncio as aioredis
import socketio
from aiohttp import web

from media.config import MediaConfig
from media.sfu import Sfu
from rooms.clock import Clock, SystemClock
from rooms.grants import TokenSigner
from rooms.memory_store import MemoryRoomStore
from rooms.notes.contexts import BookingContexts, booking_of_room
from rooms.notes.memory_store import MemoryNotesStore
from rooms.notes.model import NotesLimits
from rooms.notes.redis_store import RedisNotesStore
from rooms.notes.service import NotesService
from rooms.notes.store import NotesStore
from rooms.redis_client import connect, ping
from rooms.redis_store import RedisRoomStore
from rooms.roundtables.memory_store import MemoryRoundtableStore
from rooms.roundtables.redis_store import RedisRoundtableStore
from rooms.roundtables.service import RoundtableService
from rooms.roundtables.store import RoundtableStore
from rooms.service import RoomService
from rooms.store import RoomStore
from signaling.namespace import CallNamespace
from signaling.options import SignalingOptions
from signaling.server import create_sio, events_flowing

from .calls.routes import RoomsApi
from .local_addresses import with_own_addresses
from .metrics.collector import NodeCollector, node_registry
from .metrics.routes import attach_metrics
from .nodes.setup import NodeSetup, build_node
from .notes.readers import SessionNames
from .notes.routes import NotesApi
from .pages import NODE_ORIGINS, add_client_routes, security_headers
from .programmes.setup import PROGRAMMES, build_programmes
from .recordings.access import hosting_in
from .recordings.policy import RecordingPolicyApi
from .recordings.setup import RECORDINGS, build_recordings
from .rest import json_errors
from .scheduling.setup import Scheduling, build_scheduling
from .settings import Settings

logger = logging.getLogger(__name__)


HEALTH_PING_S = 1.0  # /api/health says Redis is down when a PING takes longer


@dataclass
class Services:
    """What one app instance runs; tests reach it through `app[SERVICES]`."""

    settings: Settings
    store: RoomStore
    service: RoomService
    signer: TokenSigner
    sfu: Sfu
    namespace: CallNamespace
    scheduling: Scheduling
    notes: NotesService
    redis: aioredis.Redis | None = None  # the process's one Redis client, if configured
    node: NodeSetup | None = None  # this process as a node (registry, placement, keeper)


SERVICES = web.AppKey("services", Services)


def build_store(clock: Clock, redis: aioredis.Redis | None) -> RoomStore:
    """Redis when configured, else the embedded in-memory store."""
    if redis is not None:
        return RedisRoomStore(redis, clock)
    return MemoryRoomStore(clock)


def build_notes_store(redis: aioredis.Redis | None) -> NotesStore:
    """Where notes live: beside the rooms (Redis when configured)."""
    return RedisNotesStore(redis) if redis is not None else MemoryNotesStore()


def build_roundtable_store(clock: Clock, redis: aioredis.Redis | None) -> RoundtableStore:
    """Where roundtable state lives: beside the rooms (Redis when configured)."""
    if redis is not None:
        return RedisRoundtableStore(redis, clock)
    return MemoryRoundtableStore(clock)


async def purge_expired_rooms(store: MemoryRoomStore | MemoryRoundtableStore,
                              every_s: float = 60.0) -> None:
    """The in-memory store forgets ended rooms nobody touches again (Redis has TTLs)."""
    while True:
        await asyncio.sleep(every_s)
        store.purge_expired()


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """The aiohttp application: REST API, Socket.IO signaling, SFU and web client."""
    clock = clock or SystemClock()
    # One client, one sized blocking pool, shared by every Redis store of the process.
    redis = connect(settings.redis_url, settings.redis_options()) if settings.redis_url else None
    store = build_store(clock, redis)
    signer = TokenSigner(settings.resolved_secret(), clock)
    roundtable_store = build_roundtable_store(clock, redis)
    service = RoomService(store, signer, clock,
                          roundtables=RoundtableService(
                              roundtable_store, store, clock,
                              guests_per_seat=settings.share_guests_per_seat))
    sfu = Sfu(
        MediaConfig(
            ice_host_addresses=settings.ice_hosts,
            ice_allowed_networks=with_own_addresses(settings.ice_allowed_networks),  # local
            ice_servers=settings.ice_servers,
            last_n=settings.last_n,
        )
    )
    notes_store = build_notes_store(redis)
    notes = NotesService(notes_store, NotesLimits(
        max_doc_bytes=settings.notes_max_bytes,
        compact_every_updates=settings.notes_compact_updates))
    recordings = build_recordings(settings, clock, signer, redis,
                                  hosting=hosting_in(service.roundtables))
    node = build_node(settings, clock, redis, service)
    recordings.service.node_id = node.node.node_id
    if node.shared:  # start-up recovery leaves the other nodes' recordings alone
        recordings.filer.live_nodes = node.placement.live_nodes
        recordings.service.live_nodes = node.placement.live_nodes
        # each node its own folder: a recording's files are acted on through its node
        recordings.api.whereabouts.node_id = node.node.node_id
        recordings.recheck_after_s = settings.node_lease_s + settings.node_heartbeat_s
    namespace = CallNamespace(
        service,
        sfu,
        SignalingOptions(
            disconnect_grace_s=settings.disconnect_grace_s,
            ice_servers=settings.ice_servers,
            turn=settings.turn_config(),
            presence_interval_s=settings.presence_interval_s,
            subscriber_answer_timeout_s=settings.subscriber_answer_timeout_s,
        ),
        clock,
        notes=notes,
        recordings=recordings.filer,
        placement=node.placement if node.shared else None,
    )
    app = web.Application(client_max_size=64 * 1024, middlewares=[security_headers, json_errors])
    scheduling = build_scheduling(settings, clock, store, signer, redis)
    scheduling.service.add_listener(BookingContexts(notes_store, scheduling.service.rooms))
    recordings.service.booking_of = functools.partial(booking_of_room, notes_store)
    service.add_restart_listener(recordings.service.reassert_rooms)
    app[SERVICES] = Services(settings, store, service, signer, sfu, namespace, scheduling,
                             notes, redis, node)
    keeper = node.attach(app, namespace, sfu, settings)
    app[NODE_ORIGINS] = lambda: keeper.origins
    sio = create_sio(namespace, settings.redis_url or None, settings.browser_origins,
                     publisher=redis, node_origins=lambda: keeper.origins,
                     ping=(settings.socket_ping_interval_s, settings.socket_ping_timeout_s))
    sio.attach(app)
    rooms_api = RoomsApi(
        service,
        settings.resolved_admin_key(),
        settings.base_url,
        settings.default_duration_min,
        redis_up=None if redis is None else functools.partial(redis_up, redis, sio),
    )
    app.add_routes(rooms_api.routes())
    scheduling.attach(app)
    app[RECORDINGS] = recordings
    recordings.attach(app)
    if recordings.access is not None:
        app.add_routes(RecordingPolicyApi(
            recordings.service, recordings.access, store.get_room,
            None if namespace.recordings is None else namespace.recordings.policy_changed,
        ).routes())
    app.add_routes(NotesApi(notes, scheduling.api.caller, settings.resolved_admin_key(),
                            recordings.store,
                            None if recordings.access is None
                            else recordings.access.page_admin,
                            join_verify=signer.verify,
                            names=SessionNames(scheduling.service.directory.person,
                                               service.snapshot)).routes())
    programmes = build_programmes(settings, clock, scheduling, redis, notes,
                                  recordings.signin.sessions)
    app[PROGRAMMES] = programmes
    programmes.attach(app)
    service.add_join_listener(programmes.service.tracker.joined)
    def node_id() -> str:  # the metrics' node label: the node registry's id
        return node.node.node_id

    attach_metrics(app, node_registry(NodeCollector(sfu, namespace, node_id)),
                   settings.resolved_admin_key(), settings.metrics_bind)
    add_client_routes(app)

    async def shutdown(app: web.Application) -> None:
        await namespace.close()
        await sfu.close()
        await store.close()
        await roundtable_store.close()
        await notes_store.close()
        if redis is not None:
            await redis.aclose()

    app.on_cleanup.append(shutdown)
    app.cleanup_ctx.append(background(namespace.keep_presence))
    if isinstance(store, MemoryRoomStore):
        app.cleanup_ctx.append(background(lambda: purge_expired_rooms(store)))
    if isinstance(roundtable_store, MemoryRoundtableStore):
        app.cleanup_ctx.append(background(lambda: purge_expired_rooms(roundtable_store)))
    return app


async def redis_up(redis: aioredis.Redis, sio: socketio.AsyncServer) -> bool:
    """Redis answers a PING within HEALTH_PING_S, and this process is subscribed to the
    other processes' events again (after an outage its listener subscribes anew)."""
    return await ping(redis, HEALTH_PING_S) and events_flowing(sio)


def background(
    work: Callable[[], Coroutine[None, None, None]],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs `work()` while the app runs and cancels it at shutdown."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(work())
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    return run
