"""Pair breakout of roundtables (docs/protocol.md, Breakout): `start_breakout`,
`end_breakout`, `visit_breakout`, the breakout's timer, and moving people between the
roundtable and its pair rooms.

The server moves people: at the start it takes each paired person out of the
roundtable and sends them `breakout_started` with a personal token for their pair
room; at the end it takes everyone out of the pair rooms and sends `breakout_ended`
with a token for the roundtable. Clients only join with the token they are given (on
the same connection). The end comes from a host or from the breakout's timer, which
runs from the stored plan: a process that (re)starts arms it when someone joins the
roundtable or a pair room, and a plan already past its end ends at once.

People may be held by any server process of the deployment: the process that starts or
ends a breakout sends a ``breakout_move`` process notice (:mod:`signaling.process_notices`)
and every process moves the connections it holds, each making their personal tokens
from the stored plan (the one truth; nothing personal crosses the notice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from rooms.breakouts import Breakouts
from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.grants import JoinGrant
from rooms.models import Role, Room
from rooms.roundtables.model import BreakoutPlan, RoundtableState, pair_room_prefix
from rooms.service import RoomService

from .dispatch import Ack
from .errors import ok_ack
from .handlers import Connections, EventSpec, EventTable
from .limits import ROUNDTABLE_RATE
from .participants import Participants
from .room_timers import RoomEndTimers
from .roundtable_payloads import NoFieldsPayload, StartBreakoutPayload, VisitBreakoutPayload
from .roundtable_views import breakout_view
from .session import CallSession

logger = logging.getLogger(__name__)

MOVE_NOTICE = "breakout_move"  # {"room_id", "number", "to": "pairs" | "roundtable"}
NoticeHandlers = dict[str, Callable[[dict[str, Any]], Awaitable[None]]]
Tell = Callable[[str, RoundtableState], Awaitable[None]]


async def _tell_nobody(room_id: str, state: RoundtableState) -> None:
    return None


class BreakoutEvents:
    """Starts, visits and ends breakouts; ``tell`` publishes a roundtable's new state
    (:meth:`signaling.roundtable_events.RoundtableEvents.tell`)."""

    def __init__(self, service: RoomService, participants: Participants,
                 connections: Connections, clock: Clock) -> None:
        self._service = service
        self._breakouts: Breakouts = service.breakouts
        self._tables = service.roundtables
        self._participants = participants
        self._connections = connections
        self._clock = clock
        self._timers = RoomEndTimers(clock, self._time_over, max_sleep_s=1.0)
        self._tasks: set[asyncio.Task[None]] = set()
        self.tell: Tell = _tell_nobody  # RoundtableEvents sets it
        self.forget_room: Callable[[str], None] = lambda _room_id: None  # and this

    def events(self) -> EventTable:
        rate = ROUNDTABLE_RATE
        return {
            "start_breakout": EventSpec(StartBreakoutPayload, self.start_breakout, rate),
            "end_breakout": EventSpec(NoFieldsPayload, self.end_breakout, rate),
            "visit_breakout": EventSpec(VisitBreakoutPayload, self.visit_breakout, rate),
        }

    # -- events -------------------------------------------------------------------

    async def start_breakout(self, sid: str, payload: StartBreakoutPayload) -> Ack:
        session = self._participants.session(sid)
        room_id = session.room_id
        started = await self._breakouts.start(session.grant, payload.minutes, payload.pairs)
        await self.tell(room_id, started.state)
        self._watch(room_id, started.plan)
        await self._connections.notify_processes(MOVE_NOTICE, {
            "room_id": room_id, "number": started.plan.number, "to": "pairs"})
        return ok_ack(breakout=breakout_view(room_id, started.plan))

    async def end_breakout(self, sid: str, payload: NoFieldsPayload) -> Ack:
        grant = await self.in_roundtable(sid)
        await self._finish(grant.room_id, grant, None)
        return ok_ack()

    async def visit_breakout(self, sid: str, payload: VisitBreakoutPayload) -> Ack:
        grant = await self.in_roundtable(sid)
        token = await self._breakouts.visit(grant, payload.room_id)
        return ok_ack(room_id=payload.room_id, token=token)

    async def in_roundtable(self, sid: str) -> JoinGrant:
        """The actor's grant as in the roundtable: a host visiting a pair room acts on
        the roundtable it belongs to (its hosting is checked there)."""
        grant = self._participants.session(sid).grant
        parent = (await self._service.snapshot(grant.room_id)).room.parent
        return grant if parent is None else grant.model_copy(update={"room_id": parent})

    # -- moving people, on every process --------------------------------------------

    def notices(self) -> NoticeHandlers:
        """The process notices this module handles (see :mod:`signaling.process_notices`)."""
        return {MOVE_NOTICE: self._on_move}

    async def _on_move(self, notice: dict[str, Any]) -> None:
        room_id, number = str(notice["room_id"]), int(notice["number"])
        try:
            if notice.get("to") == "pairs":
                await self._move_to_pairs(room_id, number)
            else:
                await self._move_back(room_id, number)
        except RoomError as exc:
            if exc.code != "room_not_found":  # the room (or breakout) is gone meanwhile
                raise

    async def _move_to_pairs(self, room_id: str, number: int) -> None:
        """Breakout ``number`` started: everyone paired whose connection this process
        holds in the roundtable goes to their pair room (tokens made here, from the plan)."""
        plan = (await self._tables.state(room_id)).breakout
        if plan is None or plan.number != number:
            return  # ended meanwhile (its end moves nobody here then: nobody moved)
        self._watch(room_id, plan)
        until: dict[str, float] = {}
        for person in self._participants.sessions_in(room_id):
            pair = plan.room_of(room_id, person.identity)
            if pair is None:
                continue
            if pair not in until:
                until[pair] = (await self._service.snapshot(pair)).room.expires_at
            await self._send_to_pair(person, plan, pair, until[pair])

    async def _move_back(self, room_id: str, number: int) -> None:
        """Breakout ``number`` ended: everyone in its pair rooms here goes back to the
        roundtable with a fresh token (the pair rooms' ids follow from the number)."""
        room = (await self._service.snapshot(room_id)).room
        state = await self._tables.state(room_id)
        prefix = pair_room_prefix(room_id, number)
        pairs = {s.room_id for s in self._participants.sessions.values()
                 if s.room_id.startswith(prefix)}
        for pair in sorted(pairs):
            for person in self._participants.sessions_in(pair):
                await self._send_back(person, room, state)
            self.forget_room(pair)

    def _partners(self, plan: BreakoutPlan, parent: str, identity: str,
                  pair: str) -> list[dict[str, str]]:
        group = plan.group_of_room(parent, pair) or ()
        return [{"identity": i, "display_name": plan.names.get(i, "")}
                for i in group if i != identity]

    def _pair_payload(self, plan: BreakoutPlan, parent: str, identity: str,
                      pair: str) -> dict[str, Any]:
        return {"room_id": pair, "parent": parent, "ends_at": plan.ends_at,
                "server_time": self._clock.now(),
                "partners": self._partners(plan, parent, identity, pair)}

    async def _send_to_pair(self, person: CallSession, plan: BreakoutPlan, pair: str,
                            until: float) -> None:
        """Take ``person`` out of the roundtable and give them their pair room's token."""
        token = self._breakouts.pair_token(person.grant, pair, Role.PARTICIPANT, until)
        sid = await self._participants.evict(person.room_id, person.identity, "breakout")
        if sid is None:
            return  # gone meanwhile: their join of the roundtable sends them on
        await self._connections.emit("breakout_started", self._pair_payload(
            plan, person.room_id, person.identity, pair) | {"token": token}, to=sid)

    async def _finish(self, room_id: str, actor: JoinGrant | None,
                      number: int | None) -> None:
        """End the breakout (a host's, or its timer's): everyone in its pair rooms, on
        every process, goes back to the roundtable with a fresh token, and the pair
        rooms close.

        Of several processes whose timers fire, one ends the plan, sends the move notice
        and closes the rooms; the others move the people they hold at once too."""
        plan = await self._breakouts.end(room_id, actor, number)
        if plan is None:
            if number is not None:  # a timer: the process that ended it tells everyone
                await self._move_back(room_id, number)
            return
        await self.tell(room_id, await self._tables.state(room_id))
        await self._connections.notify_processes(MOVE_NOTICE, {
            "room_id": room_id, "number": plan.number, "to": "roundtable"})
        for pair in plan.room_ids(room_id):
            self.forget_room(pair)
        await self._breakouts.close_rooms(room_id, plan)
        logger.info("breakout %d of %s ended", plan.number, room_id)

    async def _send_back(self, person: CallSession, room: Room,
                         state: RoundtableState) -> None:
        role = state.role_of(person.identity) or Role.PARTICIPANT
        token = self._breakouts.pair_token(person.grant, room.room_id, role, room.expires_at)
        sid = await self._participants.evict(person.room_id, person.identity,
                                             "breakout_ended")
        if sid is not None:
            await self._connections.emit("breakout_ended", {
                "room_id": room.room_id, "token": token,
                "message": "The breakout is over: back to the roundtable."}, to=sid)

    async def pair_room_of(self, room_id: str, identity: str) -> str | None:
        """The pair room ``identity`` is in during the running breakout, if any (a host
        who removes them from the roundtable removes them from it too: the roundtable's
        bans hold there)."""
        plan = (await self._tables.state(room_id)).breakout
        return None if plan is None else plan.room_of(room_id, identity)

    # -- the timer ------------------------------------------------------------------

    def _watch(self, room_id: str, plan: BreakoutPlan) -> None:
        self._timers.watch(f"{room_id} {plan.number}", plan.ends_at)

    async def _time_over(self, key: str) -> None:
        room_id, number = key.rsplit(" ", 1)
        try:
            await self._finish(room_id, None, int(number))
        except RoomError as exc:
            if exc.code != "room_not_found":
                raise

    # -- joins ----------------------------------------------------------------------

    async def joined(self, session: CallSession, room: Room,
                     state: RoundtableState) -> dict[str, Any]:
        """Someone joined a roundtable or a pair room: arm the timer of the running
        breakout (a restarted process learns it here), end it if its time is over, and
        tell the joiner their pair (``pair`` in the join ack; in the roundtable with a
        token: a paired person who comes back there goes on to their pair room)."""
        parent = room.parent or room.room_id
        plan = state.breakout if room.parent is None else (
            await self._tables.state(parent)).breakout
        if plan is None:
            return {}
        if plan.ends_at <= self._clock.now():
            self._soon(self._finish(parent, None, plan.number))
            return {}
        self._watch(parent, plan)
        pair = plan.room_of(parent, session.identity)
        if pair is None and room.parent is not None:  # a host visiting this pair
            return {"pair": self._pair_payload(plan, parent, session.identity, room.room_id)
                    | {"visiting": True}}
        if pair is None:
            return {}
        extra = self._pair_payload(plan, parent, session.identity, pair)
        if room.parent is None:
            pair_room = await self._service.snapshot(pair)
            extra["token"] = self._breakouts.pair_token(
                session.grant, pair, Role.PARTICIPANT, pair_room.room.expires_at)
        return {"pair": extra}

    def _soon(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        await self._timers.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

