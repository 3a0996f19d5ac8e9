"""Roundtable operations for the layers above: every host control, checked by the server.

Every action takes the actor's verified :class:`~rooms.grants.JoinGrant` (never an
identity from a payload): the room and the actor come from it. The checks and the change
run inside the store's atomic step, so concurrent actions end in one consistent state and
a refused action changes nothing. Each action returns the state it left, for the caller
to tell the room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.grants import JoinGrant
from rooms.models import Role, Room, RoomKind, RoomSnapshot, TrackKind
from rooms.roundtables import breakout, floor, rules
from rooms.roundtables.model import BreakoutPlan, RoundtableState
from rooms.roundtables.store import RoundtableStore
from rooms.store import DEFAULT_GRACE_S, RoomStore

DEFAULT_HOST_GRACE_S = 60.0  # how long a dropped host's seat is held with no co-host
# Guests the shareable link lets take a seat, per seat of the room (people who reload or
# come back on another device redeem it again); each keeps roundtable state and notes.
DEFAULT_GUESTS_PER_SEAT = 4


@dataclass(frozen=True)
class Entry:
    """The outcome of coming in: ``role`` if ``admitted``, else waiting in the lobby;
    ``fresh``: this entry let them in (they were no member before)."""

    admitted: bool
    role: Role | None
    state: RoundtableState
    fresh: bool = False


class RoundtableService:
    """The roundtable state of rooms in ``rooms``, kept in ``store``.

    ``grace_s`` must be the room store's grace period (the state lives as long as its
    room); ``host_grace_s`` is how long a dropped host's seat is held for them;
    the shareable link seats at most capacity x ``guests_per_seat`` identities.
    """

    def __init__(self, store: RoundtableStore, rooms: RoomStore, clock: Clock | None = None,
                 grace_s: float = DEFAULT_GRACE_S,
                 host_grace_s: float = DEFAULT_HOST_GRACE_S,
                 guests_per_seat: int = DEFAULT_GUESTS_PER_SEAT) -> None:
        self._store = store
        self._rooms = rooms
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._grace_s = grace_s
        self.host_grace_s = host_grace_s
        self.guests_per_seat = guests_per_seat

    async def _room(self, room_id: str) -> Room:
        room = await self._rooms.get_room(room_id)
        if room is None:
            raise RoomError("room_not_found")
        if room.kind is not RoomKind.ROUNDTABLE:
            raise RoomError("not_roundtable")
        return room

    async def _apply(self, room_id: str,
                     change: Callable[[RoundtableState], RoundtableState]) -> RoundtableState:
        """Run ``change`` on the room's state (a fresh one if none was stored) atomically."""
        room = await self._room(room_id)

        def on_current(current: RoundtableState | None) -> RoundtableState:
            # A missing state starts as the initial one (written even if unchanged).
            return change(current if current is not None else rules.initial(None))

        return await self._store.update(room_id, room.expires_at + self._grace_s, on_current)

    async def _presence(self, room_id: str) -> list[tuple[str, float]]:
        snapshot = await self._rooms.snapshot(room_id)
        return [(p.identity, p.joined_at) for p in snapshot.participants]

    # --- lifecycle -------------------------------------------------------------------

    async def create(self, room: Room, host: str | None, co_hosts: Sequence[str] = (),
                     lobby: bool = False, locked: bool = False) -> RoundtableState:
        """The state of a new roundtable room (already in the room store)."""
        if room.kind is not RoomKind.ROUNDTABLE:
            raise RoomError("not_roundtable")
        fresh = rules.initial(host, co_hosts, lobby, locked)
        return await self._store.update(room.room_id, room.expires_at + self._grace_s,
                                        lambda _current: fresh)

    async def reassert(self, room_id: str) -> bool:
        """After a Redis restart: write back the room's state as this process last saw
        it, if it is missing (see RoundtableStore.reassert)."""
        return await self._store.reassert(room_id)

    async def state(self, room_id: str) -> RoundtableState:
        """The room's roundtable state (the initial one if nothing happened yet)."""
        await self._room(room_id)
        return await self._store.get(room_id) or rules.initial(None)

    async def enter(self, grant: JoinGrant) -> Entry:
        """The grant's holder comes in (see :func:`rules.enter`): admitted with their
        role, or knocking in the lobby. ``banned``, ``room_locked``, ``lobby_full``."""
        now = self._clock.now()
        let_in = False

        def change(state: RoundtableState) -> RoundtableState:
            nonlocal let_in  # set again by each compare-and-set retry
            new = rules.enter(state, grant.identity, grant.display_name, grant.role, now,
                              guest=grant.guest)
            let_in = (state.role_of(grant.identity) is None
                      and new.role_of(grant.identity) is not None)
            return new

        state = await self._apply(grant.room_id, change)
        role = state.role_of(grant.identity)
        return Entry(admitted=role is not None, role=role, state=state, fresh=let_in)

    async def _guest_limit(self, room_id: str) -> int:
        room = await self._room(room_id)
        return room.capacity * self.guests_per_seat

    async def check_guest_link(self, room_id: str) -> None:
        """Whether the room's shareable link may mint one more guest (read only; see
        :func:`rules.check_guest_link`): ``room_locked``, ``link_used_up``."""
        limit = await self._guest_limit(room_id)
        rules.check_guest_link(await self.state(room_id), limit)

    async def seat_guest(self, grant: JoinGrant) -> RoundtableState:
        """A shareable link's guest took a seat: counted the first time, at most the
        room's capacity times ``guests_per_seat`` (``link_used_up`` after that; see
        :func:`rules.seat_guest`)."""
        limit = await self._guest_limit(grant.room_id)
        return await self._apply(grant.room_id, lambda s: rules.seat_guest(
            s, grant.identity, grant.role, limit))

    async def drop_unseated_guest(self, room_id: str, identity: str) -> RoundtableState:
        """A guest's join was refused after they were let in (see
        :func:`rules.drop_unseated_guest`)."""
        return await self._apply(room_id, lambda s: rules.drop_unseated_guest(s, identity))

    async def forget_guest(self, room_id: str, identity: str) -> RoundtableState:
        """A guest's first join was undone before they learnt their identity (see
        :func:`rules.forget_guest`)."""
        return await self._apply(room_id, lambda s: rules.forget_guest(s, identity))

    async def left(self, room_id: str, identity: str) -> RoundtableState:
        """Call when ``identity`` has left the room: drops their hand and knock, and hands
        hosting to the longest-present co-host if they were the host (else holds the seat
        for ``host_grace_s``; see :meth:`settle_host`)."""
        present = await self._presence(room_id)
        now = self._clock.now()
        return await self._apply(room_id, lambda s: rules.left(s, identity, present, now))

    async def settle_host(self, room_id: str) -> RoundtableState:
        """Call now and then (and when a co-host joins): once a dropped host's seat has
        been held ``host_grace_s``, the longest-present co-host takes it."""
        present = await self._presence(room_id)
        now = self._clock.now()
        return await self._apply(room_id, lambda s: rules.settle_host(
            s, present, now, self.host_grace_s))

    async def present(self, room_id: str) -> set[str]:
        """The identities in the room now (none if the room is gone)."""
        try:
            return {identity for identity, _ in await self._presence(room_id)}
        except RoomError as exc:
            if exc.code != "room_not_found":
                raise
            return set()

    async def roster(self, room_id: str) -> tuple[RoomSnapshot, RoundtableState]:
        """Who is in the room with their roles as they are now (promotions and hand-overs
        included: the room store keeps the role each joined with), and the state."""
        snapshot = await self._rooms.snapshot(room_id)
        state = await self.state(room_id)
        people = [p.model_copy(update={"role": state.role_of(p.identity) or p.role})
                  for p in snapshot.participants]
        return RoomSnapshot(room=snapshot.room, participants=people), state

    async def is_banned(self, room_id: str, identity: str) -> bool:
        state = await self._store.get(room_id)
        return state is not None and state.is_banned(identity)

    # --- hosting ---------------------------------------------------------------------

    async def promote(self, actor: JoinGrant, target: str) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: rules.promote(
            s, actor.identity, target))

    async def demote(self, actor: JoinGrant, target: str) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: rules.demote(
            s, actor.identity, target))

    async def hand_over(self, actor: JoinGrant, target: str) -> RoundtableState:
        present = await self._presence(actor.room_id)
        return await self._apply(actor.room_id, lambda s: rules.hand_over(
            s, actor.identity, target, present))

    async def set_lobby(self, actor: JoinGrant, on: bool) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: rules.set_lobby(
            s, actor.identity, on))

    async def admit(self, actor: JoinGrant, target: str) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: rules.admit(
            s, actor.identity, target))

    async def deny(self, actor: JoinGrant, target: str) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: rules.deny(
            s, actor.identity, target))

    async def set_locked(self, actor: JoinGrant, locked: bool) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: rules.set_locked(
            s, actor.identity, locked))

    async def ban(self, actor: JoinGrant, target: str) -> RoundtableState:
        """Ban ``target``; the caller then takes their seat (``RoomService.leave``)."""
        return await self._apply(actor.room_id, lambda s: rules.ban(
            s, actor.identity, target))

    # --- the floor -------------------------------------------------------------------

    async def mute(self, actor: JoinGrant, target: str, kind: TrackKind) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: floor.mute(
            s, actor.identity, target, kind))

    async def unmute(self, actor: JoinGrant, target: str, kind: TrackKind) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: floor.unmute(
            s, actor.identity, target, kind))

    async def mute_all(self, actor: JoinGrant, kind: TrackKind,
                       also: Sequence[str] = ()) -> RoundtableState:
        """Hard-mute ``kind`` of every participant present, and of ``also`` (people of
        the roundtable in its pair rooms, or only those: see ``present``)."""
        present = [identity for identity, _ in await self._presence(actor.room_id)]
        return await self._apply(actor.room_id, lambda s: floor.mute_all(
            s, actor.identity, kind, [*present, *also]))

    async def mute_only(self, actor: JoinGrant, kind: TrackKind,
                        people: Sequence[str]) -> RoundtableState:
        """Hard-mute ``kind`` of the participants among ``people`` (a host's mute-all in
        a pair room, kept in the roundtable's state)."""
        return await self._apply(actor.room_id, lambda s: floor.mute_all(
            s, actor.identity, kind, people))

    async def copy_mutes(self, room_id: str, source: RoundtableState) -> RoundtableState:
        """A pair room follows its roundtable's hard mutes (``source``: the roundtable's
        state; only those of the pair room's members). The same state if they match."""
        def change(state: RoundtableState) -> RoundtableState:
            mutes = [m for m in source.mutes if m.identity in state.members]
            return state if mutes == state.mutes else state.model_copy(
                update={"mutes": mutes})
        return await self._apply(room_id, change)

    async def raise_hand(self, actor: JoinGrant) -> RoundtableState:
        now = self._clock.now()
        return await self._apply(actor.room_id, lambda s: floor.raise_hand(
            s, actor.identity, now))

    async def lower_hand(self, actor: JoinGrant, target: str | None = None) -> RoundtableState:
        """Lower the actor's own hand, or (hosts) ``target``'s."""
        whose = actor.identity if target is None else target
        return await self._apply(actor.room_id, lambda s: floor.lower_hand(
            s, actor.identity, whose))

    async def call_on(self, actor: JoinGrant, target: str,
                      seconds: int | None = None) -> RoundtableState:
        now = self._clock.now()
        return await self._apply(actor.room_id, lambda s: floor.call_on(
            s, actor.identity, target, now, seconds))

    async def start_timer(self, actor: JoinGrant, target: str,
                          seconds: int) -> RoundtableState:
        now = self._clock.now()
        return await self._apply(actor.room_id, lambda s: floor.start_timer(
            s, actor.identity, target, now, seconds))

    async def stop_timer(self, actor: JoinGrant) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: floor.stop_timer(s, actor.identity))

    async def set_breakout(self, actor: JoinGrant, pairs: Sequence[tuple[str, str]],
                           ends_at: float) -> RoundtableState:
        now = self._clock.now()
        return await self._apply(actor.room_id, lambda s: floor.set_breakout(
            s, actor.identity, pairs, ends_at, now))

    async def clear_breakout(self, actor: JoinGrant) -> RoundtableState:
        return await self._apply(actor.room_id, lambda s: floor.clear_breakout(
            s, actor.identity))

    # --- breakout --------------------------------------------------------------------

    async def start_breakout(self, actor: JoinGrant, groups: Sequence[Sequence[str]] | None,
                             ends_at: float) -> RoundtableState:
        """Store a new breakout plan (see :func:`breakout.start`); the rooms are
        :class:`rooms.breakouts.Breakouts`' work."""
        snapshot = await self._rooms.snapshot(actor.room_id)
        present = {p.identity: p.display_name for p in snapshot.participants}
        now = self._clock.now()
        return await self._apply(actor.room_id, lambda s: breakout.start(
            s, actor.identity, groups, present, ends_at, now))

    async def end_breakout(self, room_id: str, actor: str | None, number: int | None = None
                           ) -> tuple[RoundtableState, BreakoutPlan | None]:
        """End the breakout (see :func:`breakout.end`): the state and the plan this call
        ended (None: none ran, or another call ended it first)."""
        ended: list[BreakoutPlan] = []
        now = self._clock.now()

        def change(state: RoundtableState) -> RoundtableState:
            ended.clear()  # a compare-and-set retry runs it again
            new = breakout.end(state, actor, now, number)
            if new is not state and state.breakout is not None:
                ended.append(state.breakout)
            return new

        state = await self._apply(room_id, change)
        return state, ended[0] if ended else None

    async def put(self, room: Room, state: RoundtableState) -> RoundtableState:
        """Store ``state`` as the new room's (a pair room's) roundtable state."""
        return await self._store.update(room.room_id, room.expires_at + self._grace_s,
                                        lambda _current: state)

    async def forget(self, room_id: str) -> None:
        """Drop the room's state (its room is gone)."""
        await self._store.delete(room_id)
