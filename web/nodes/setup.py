"""Wiring of the node: registry (Redis when configured, else this process alone),
placement (only with Redis: one process places every room on itself), the keeper's
heartbeat, and the admin route listing the nodes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from aiohttp import web

from media.sfu import Sfu
from rooms.clock import Clock, SystemClock
from rooms.errors import StoreUnavailable
from rooms.nodes.memory_registry import MemoryNodeRegistry
from rooms.nodes.model import Node
from rooms.nodes.redis_registry import RedisNodeRegistry
from rooms.nodes.registry import NodeRegistry
from rooms.service import RoomService
from signaling.namespace import CallNamespace
from signaling.node_keeper import NodeKeeper
from signaling.placement import RoomPlacement

from ..credentials import same_secret
from ..metrics.node import node_id_of
from ..rest import api_error
from ..settings import Settings
from .views import NodesView, node_view


@dataclass
class NodeSetup:
    """This node's parts; ``keeper`` is attached once the namespace exists."""

    node: Node
    registry: NodeRegistry
    placement: RoomPlacement
    shared: bool  # Redis and room placement on: rooms are placed, other nodes take them
    keeper: NodeKeeper | None = field(default=None)

    def attach(self, app: web.Application, namespace: CallNamespace, sfu: Sfu,
               settings: Settings) -> NodeKeeper:
        """Start the heartbeat with the app (first beat before serving) and add
        ``GET /api/nodes``."""
        self.keeper = keeper = NodeKeeper(
            self.node, self.placement, sfu, namespace.participants, namespace,
            heartbeat_s=settings.node_heartbeat_s, lease_s=settings.node_lease_s)
        if namespace.recordings is not None:  # a recording cannot move with its call
            keeper.before_move = namespace.recordings.node_drained
        app.cleanup_ctx.append(self._heartbeats)
        app.add_routes([web.get("/api/nodes", NodesApi(self.registry,
                                                       settings.resolved_admin_key()).list)])
        return keeper

    async def _heartbeats(self, app: web.Application) -> AsyncIterator[None]:
        assert self.keeper is not None
        try:
            await self.keeper.beat()  # registered before the first join arrives
        except StoreUnavailable:
            pass  # the loop keeps trying
        task = asyncio.create_task(self.keeper.run())
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await self.keeper.leave()
        await self.registry.close()


def build_node(settings: Settings, clock: Clock, redis: aioredis.Redis | None,
               service: RoomService) -> NodeSetup:
    """The node this process is, from ``MENTORCALL_NODE_*``."""
    # Leases run on real time (heartbeats sleep in real time), whatever ``clock`` the
    # rooms use (tests pin or advance it); placements take the rooms' remaining time.
    real = SystemClock()
    registry: NodeRegistry = (RedisNodeRegistry(redis, real) if redis is not None
                              else MemoryNodeRegistry(real))
    node = Node(node_id=node_id_of(settings), url=settings.node_base_url,
                max_rooms=settings.node_max_rooms, ice_hosts=settings.ice_hosts,
                started_at=real.now())
    return NodeSetup(node, registry, RoomPlacement(registry, node.node_id, service, clock),
                     shared=redis is not None and settings.room_placement)


class NodesApi:
    """``GET /api/nodes`` (admin): the live nodes with their capacity and load."""

    def __init__(self, registry: NodeRegistry, admin_key: str) -> None:
        self._registry = registry
        self._admin_key = admin_key.encode()

    async def list(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if not (scheme.lower() == "bearer"
                and same_secret(key, self._admin_key)):
            return api_error(401, "unauthorized", "Send the admin key as 'Authorization: Bearer'.")
        nodes = await self._registry.nodes()  # StoreUnavailable: a 503 (web.rest)
        return web.json_response(
            NodesView(nodes=[node_view(n) for n in nodes]).model_dump(mode="json"))
