"""This process as a node: its heartbeat in the registry, its load, and draining.

Every ``heartbeat_s`` the keeper renews the node's lease (``lease_s``) with its load:
rooms and connections held here, streams published to and forwarded by the SFU, and
the CPU share the process used since the previous beat. It also reads the live nodes,
whose origins may open Socket.IO connections here (a page served by one node follows
`moved` to another).

After each renewal the keeper also reads the placement of every room it holds
connections of. A room placed on another live node meanwhile (this node stalled past its
lease, e.g. a long pause or an overloaded machine, and a join elsewhere placed the room
again) has its connections here told `moved` (reason ``placed_elsewhere``) with that
node's URL, again every beat to those still here: a call is never left split across
two nodes. A room whose placement is gone or on a lapsed node stays (the next join
places it again, maybe here).

Draining (SIGTERM): the node is marked draining (no new rooms), each of its rooms is
placed again on another node, and the connections here are told `moved` with that
node's URL (again every ``heartbeat_s`` to those still here), until none is left or
the deadline passes. Before a room's first `moved`, ``before_move`` ends what the node
holds of it and cannot carry over: its live recording (stopped and filed here, the room
told ``recording_node_drained``, signaling/recording_events.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from media.sfu import Sfu
from rooms.errors import StoreUnavailable
from rooms.nodes.model import Node, NodeLoad

from .handlers import Connections
from .participants import Participants
from .placement import RoomPlacement
from .session import CallSession

logger = logging.getLogger(__name__)

DRAIN_MESSAGE = "This server is shutting down: reconnecting you to another one."
ELSEWHERE_MESSAGE = ("This call moved to another server while this one was not "
                     "responding: reconnecting you there.")


def url_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a node URL (as browsers write ``Origin``)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class NodeKeeper:
    """Keeps this node registered with its load; drains it on request."""

    def __init__(self, node: Node, placement: RoomPlacement, sfu: Sfu,
                 participants: Participants, connections: Connections,
                 heartbeat_s: float = 1.0, lease_s: float = 3.0,
                 cpu_time: Callable[[], float] = time.process_time) -> None:
        if heartbeat_s <= 0 or lease_s <= heartbeat_s:
            raise ValueError("heartbeat_s > 0 and lease_s > heartbeat_s")
        self.node = node
        self._placement = placement
        self._registry = placement.registry
        self._sfu = sfu
        self._participants = participants
        self._connections = connections
        self._heartbeat_s = heartbeat_s
        self._lease_s = lease_s
        self._cpu_time = cpu_time
        self._cpu_mark = (time.monotonic(), cpu_time())
        self.origins: frozenset[str] = frozenset()  # of the live nodes' URLs
        self.draining = False
        # called for each room before its connections are told to move (draining): what
        # this node holds of the room and cannot carry over (its live recording) ends
        self.before_move: Callable[[str], Awaitable[None]] | None = None
        self._hosted: set[str] = set()  # rooms with connections here at the last beat
        placement.reregister = self._reregister

    def load(self) -> NodeLoad:
        """What this node carries now."""
        sessions = list(self._participants.sessions.values())
        by_room: dict[str, list[CallSession]] = {}
        for session in sessions:
            by_room.setdefault(session.room_id, []).append(session)
        published = forwarded = 0
        for room_sessions in by_room.values():
            streams = sum(len(self._sfu.published_tracks(s.peer_id)) for s in room_sessions)
            published += streams
            # each stream goes to every other subscriber of the room
            forwarded += streams * max(0, sum(s.grant.subscribe for s in room_sessions) - 1)
        mark, cpu = time.monotonic(), self._cpu_time()
        elapsed = mark - self._cpu_mark[0]
        share = (cpu - self._cpu_mark[1]) / elapsed if elapsed > 0 else 0.0
        self._cpu_mark = (mark, cpu)
        return NodeLoad(rooms=len(by_room), participants=len(sessions), published=published,
                        forwarded=forwarded, cpu=max(0.0, share))

    async def beat(self) -> None:
        """Renew the lease with the load now; refresh the live nodes' origins; give up
        the placements of rooms that emptied here because they ended."""
        node = dataclasses.replace(self.node, load=self.load(), draining=self.draining)
        await self._registry.heartbeat(node, self._lease_s)
        live = await self._registry.nodes()
        self.origins = frozenset(o for o in (url_origin(n.url) for n in live) if o)
        hosted = {s.room_id for s in self._participants.sessions.values()}
        for room_id in sorted(self._hosted - hosted):
            await self._placement.release_if_ended(room_id)
        self._hosted = hosted
        if not self.draining:  # (draining moves every room itself)
            await self._move_misplaced(hosted, {n.node_id: n.url for n in live})

    async def _move_misplaced(self, hosted: set[str], live: dict[str, str]) -> None:
        """Tell the connections of rooms now placed on another live node to go there."""
        for room_id in sorted(hosted):
            owner = await self._registry.placement(room_id)
            if owner is None or owner == self.node.node_id or owner not in live:
                continue
            sids = ([s.sid for s in self._participants.sessions_in(room_id)]
                    + self._participants.waiting_sids(room_id))
            logger.warning("room %s is placed on node %s (this node was not live for a "
                           "while): moving its %d connection(s) there", room_id,
                           owner, len(sids))
            for sid in sids:
                await self._connections.emit(
                    "moved", {"room_id": room_id, "url": live[owner],
                              "reason": "placed_elsewhere", "message": ELSEWHERE_MESSAGE},
                    to=sid)

    async def _reregister(self) -> None:
        """No node is live, this one included (Redis lost its keys): register now."""
        if not self.draining:
            node = dataclasses.replace(self.node, load=self.load())
            await self._registry.heartbeat(node, self._lease_s)

    async def run(self) -> None:
        """Heartbeats until cancelled; a failed one is logged, the next tries again."""
        while True:
            try:
                await self.beat()
            except StoreUnavailable:
                logger.warning("node %s: the registry is unavailable; lease not renewed",
                               self.node.node_id)
            except Exception:
                logger.exception("node %s: heartbeat failed", self.node.node_id)
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError()
            await asyncio.sleep(self._heartbeat_s)

    async def drain(self, deadline_s: float) -> bool:
        """Stop taking rooms and move this node's connections elsewhere; True when none
        is left before ``deadline_s`` passes."""
        self.draining = True
        logger.info("node %s draining (deadline %.0f s)", self.node.node_id, deadline_s)
        ends = time.monotonic() + deadline_s
        try:
            await self._registry.set_draining(self.node.node_id)
            await self.beat()
        except StoreUnavailable:
            logger.warning("node %s: could not mark itself draining", self.node.node_id)
        while time.monotonic() < ends:
            if not self._participants.sessions:
                logger.info("node %s drained", self.node.node_id)
                return True
            await self._move_rooms()
            await asyncio.sleep(min(self._heartbeat_s, max(0.0, ends - time.monotonic())))
        logger.warning("node %s: drain deadline passed with %d connections",
                       self.node.node_id, len(self._participants.sessions))
        return not self._participants.sessions

    async def _move_rooms(self) -> None:
        calls = self._participants
        for room_id in sorted({s.room_id for s in calls.sessions.values()}):
            try:
                url = await self._placement.place_elsewhere(room_id)
            except StoreUnavailable:
                logger.warning("draining: room %s not placed again (store unavailable)",
                               room_id)
                continue
            if url is None:
                continue
            if self.before_move is not None:
                try:
                    await self.before_move(room_id)
                except Exception:
                    logger.exception("draining: ending what room %s holds here failed",
                                     room_id)
            sids = [s.sid for s in calls.sessions_in(room_id)] + calls.waiting_sids(room_id)
            for sid in sids:
                await self._connections.emit(
                    "moved", {"room_id": room_id, "url": url, "reason": "draining",
                              "message": DRAIN_MESSAGE}, to=sid)

    async def leave(self) -> None:
        """The node stops: it is no longer live for placements (best effort)."""
        try:
            await self._registry.leave(self.node.node_id)
        except StoreUnavailable:
            logger.warning("node %s: could not leave the registry", self.node.node_id)
