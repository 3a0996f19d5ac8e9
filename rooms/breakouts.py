"""Pair breakout rooms: each pair (or trio) of a roundtable's breakout meets in a room of
its own, with its own id, roundtable state, people, media and speaker group.

A pair room is a roundtable room of the room store with ``parent`` set to the
roundtable: so any store (memory, Redis) keeps it, it survives a restart with the Redis
store, and a later node can be placed per room. Its roundtable state (see
:func:`rooms.roundtables.breakout.pair_state`) is locked to everyone but the pair and
the roundtable's hosts. Joining one is checked against the roundtable's live plan too
(:meth:`Breakouts.check_join`): only its pair and the hosts, never a banned identity,
only while that breakout runs. The signed token names the room; this check is what
keeps a validly signed token for another pair's room (or an old breakout's) out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import MAX_CAPACITY, MIN_CAPACITY, Role, Room, RoomKind
from rooms.roundtables.breakout import pair_state
from rooms.roundtables.model import BreakoutPlan, RoundtableState, pair_room_id
from rooms.roundtables.rules import require_hosting
from rooms.roundtables.service import RoundtableService
from rooms.store import RoomStore

MAX_MINUTES = 120.0
ROOM_MARGIN_S = 120  # a pair room stays open this long past the breakout's end
MAX_ROOM_ID_CHARS = 64


@dataclass(frozen=True)
class Started:
    """A breakout that started: the roundtable's state (with the plan) and its rooms."""

    state: RoundtableState
    plan: BreakoutPlan
    rooms: list[Room]


class Breakouts:
    """Starts, visits and ends the breakouts of roundtables (and checks pair-room joins)."""

    def __init__(self, store: RoomStore, signer: TokenSigner, roundtables: RoundtableService,
                 clock: Clock) -> None:
        self._store = store
        self._signer = signer
        self._tables = roundtables
        self._clock = clock

    async def _roundtable(self, room_id: str) -> Room:
        room = await self._store.get_room(room_id)
        if room is None:
            raise RoomError("room_not_found")
        if room.kind is not RoomKind.ROUNDTABLE:
            raise RoomError("not_roundtable")
        return room

    async def start(self, actor: JoinGrant, minutes: float,
                    groups: Sequence[Sequence[str]] | None = None) -> Started:
        """The actor (a host) starts a breakout of ``minutes`` (cut at the room's end):
        ``groups`` as given or the participants present paired (see
        :mod:`rooms.roundtables.breakout`). The plan is stored first (one atomic step:
        of two concurrent starts one gets ``breakout_running``), then the rooms."""
        room = await self._roundtable(actor.room_id)
        require_hosting(await self._tables.state(room.room_id), actor.identity)
        if room.parent is not None:
            raise RoomError("invalid_breakout", "A pair room cannot break out again.")
        if not 0 < minutes <= MAX_MINUTES:
            raise RoomError("invalid_breakout", "A breakout lasts up to two hours.")
        now = self._clock.now()
        ends_at = min(now + minutes * 60, room.expires_at)
        state = await self._tables.start_breakout(actor, groups, ends_at)
        plan = state.breakout
        assert plan is not None
        rooms: list[Room] = []
        try:
            if len(plan.room_ids(room.room_id)[-1]) > MAX_ROOM_ID_CHARS:
                raise RoomError("invalid_breakout", "This room's id is too long for pairs.")
            hosts = len(state.co_hosts) + 1
            for room_id, group in zip(plan.room_ids(room.room_id), plan.pairs, strict=True):
                pair = Room.roundtable(
                    room_id, min(MAX_CAPACITY, max(MIN_CAPACITY, len(group) + hosts)),
                    math.ceil(ends_at - now) + ROOM_MARGIN_S, now,
                    title=room.title, parent=room.room_id)
                await self._store.create_room(pair)
                rooms.append(pair)
                await self._tables.put(pair, pair_state(state, group))
        except BaseException:
            await self._tables.end_breakout(room.room_id, None, plan.number)
            await self.close_rooms(room.room_id, plan)
            raise
        return Started(state, plan, rooms)

    async def end(self, room_id: str, actor: JoinGrant | None,
                  number: int | None = None) -> BreakoutPlan | None:
        """End the running breakout (a host's ``actor``, or None: its time is over; with
        ``number`` only that one). The plan this call ended, or None. The pair rooms
        stay until :meth:`close_rooms` (their people are moved out first)."""
        who = None if actor is None else actor.identity
        _, plan = await self._tables.end_breakout(room_id, who, number)
        return plan

    async def close_rooms(self, parent: str, plan: BreakoutPlan) -> None:
        """The pair rooms of ``plan`` and their states are gone."""
        for room_id in plan.room_ids(parent):
            await self._store.delete_room(room_id)
            await self._tables.forget(room_id)

    def pair_token(self, grant: JoinGrant, room_id: str, role: Role,
                   until: float) -> str:
        """A personal join token of ``grant``'s holder for ``room_id`` (a pair room or, on
        the way back, the roundtable), as ``role``, valid until ``until``."""
        ticket = JoinGrant(room_id=room_id, identity=grant.identity,
                           display_name=grant.display_name, role=role,
                           publish=role is not Role.OBSERVER, subscribe=True,
                           guest=grant.guest)
        return self._signer.issue(ticket, max(1, math.ceil(until - self._clock.now())))

    async def visit(self, actor: JoinGrant, room_id: str) -> str:
        """A host's token for one pair room of the running breakout: ``not_host`` for
        anyone else, ``invalid_breakout`` for a room that is not one of its pairs."""
        state = await self._tables.state(actor.room_id)
        role = state.role_of(actor.identity)
        if not state.is_hosting(actor.identity) or role is None:
            raise RoomError("not_host")
        plan = state.breakout
        if plan is None or plan.group_of_room(actor.room_id, room_id) is None:
            raise RoomError("invalid_breakout", "No such pair in the running breakout.")
        pair = await self._store.get_room(room_id)
        if pair is None:
            raise RoomError("room_not_found")
        return self.pair_token(actor, room_id, role, pair.expires_at)

    async def check_join(self, room: Room, grant: JoinGrant) -> None:
        """A join of a pair room: ``banned`` in the roundtable, ``forbidden`` unless the
        holder is in this pair of the running breakout or hosts the roundtable."""
        if room.parent is None:
            return
        parent = await self._tables.state(room.parent)
        if parent.is_banned(grant.identity):
            raise RoomError("banned")
        plan = parent.breakout
        group = None if plan is None else plan.group_of_room(room.parent, room.room_id)
        if group is None:
            raise RoomError("forbidden", "This breakout is over.")
        if grant.identity not in group and not parent.is_hosting(grant.identity):
            raise RoomError("forbidden", "This is not your pair's room.")


__all__ = ["Breakouts", "Started", "pair_room_id"]
