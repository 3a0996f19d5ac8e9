"""Room operations for the layers above (signaling, REST): thin, authorised, clocked."""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from rooms.breakouts import Breakouts
from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import (
    DEFAULT_ROUNDTABLE_CAPACITY,
    HOSTING_ROLES,
    ROLES_BY_KIND,
    Participant,
    Role,
    Room,
    RoomKind,
    RoomSnapshot,
    Track,
    check_display_name,
)
from rooms.resume import ResumeTokens, digest
from rooms.roundtables.memory_store import MemoryRoundtableStore
from rooms.roundtables.service import RoundtableService
from rooms.store import RoomStore

logger = logging.getLogger(__name__)
JoinListener = Callable[[str, str], Awaitable[None]]
"""Told ``(room_id, identity)`` after each join (attendance); must not hold up the join."""
RestartListener = Callable[[Sequence[str]], Awaitable[None]]
"""Told the room ids held here after a Redis restart, to write back what it keeps."""

ROOM_ID_BYTES = 16  # token_urlsafe(16) gives 22 url-safe characters
IDENTITY_BYTES = 12  # 16 characters
SHARED_LINK_NAME = "Guest"  # the name a shareable link's joiners start with
INVITED_ROLES = frozenset({Role.CO_HOST, Role.PARTICIPANT, Role.OBSERVER})


def new_room_id() -> str:
    """A fresh, unguessable, url-safe room id."""
    return secrets.token_urlsafe(ROOM_ID_BYTES)


def new_identity() -> str:
    """A fresh, unguessable participant identity."""
    return secrets.token_urlsafe(IDENTITY_BYTES)


@dataclass(frozen=True)
class Invite:
    """One named person's link to a roundtable: their name, role and join token."""

    name: str
    role: Role
    token: str


@dataclass(frozen=True)
class CreatedRoundtable:
    """A new roundtable room with its host's token, one invite per named person and, if
    asked for, one shareable participant token."""

    room: Room
    host_token: str
    invites: list[Invite]
    shareable_token: str | None


class RoomService:
    """Creates rooms with their join tokens and applies grant-checked changes to a store.

    ``roundtables`` keeps the roundtable rooms' state (an in-memory one over ``store`` if
    not given: pass the Redis one when the rooms are in Redis).
    """

    def __init__(self, store: RoomStore, signer: TokenSigner, clock: Clock | None = None,
                 roundtables: RoundtableService | None = None) -> None:
        self._store = store
        self._signer = signer
        self._clock: Clock = clock if clock is not None else SystemClock()
        self.roundtables = roundtables if roundtables is not None else RoundtableService(
            MemoryRoundtableStore(self._clock), store, self._clock)
        self.breakouts = Breakouts(store, signer, self.roundtables, self._clock)
        self._resume_tokens = ResumeTokens(store)
        self._join_listeners: list[JoinListener] = []
        self._restart_listeners: list[RestartListener] = []

    def add_restart_listener(self, listener: RestartListener) -> None:
        """After a store restart, also let ``listener`` write back what it keeps for the
        rooms held here (recordings; see :meth:`reassert_if_restarted`)."""
        self._restart_listeners.append(listener)

    def add_join_listener(self, listener: JoinListener) -> None:
        """Tell ``listener`` of every successful join from now on (errors are logged)."""
        self._join_listeners.append(listener)

    async def create_coffee_room(
        self,
        duration_s: int,
        title: str,
        mentor_name: str,
        mentee_name: str,
        token_ttl_s: int,
    ) -> tuple[Room, str, str]:
        """A new 1:1 room opening now, with a token each for the mentor and the mentee.

        Both may publish, subscribe and record (the ``record`` grant; whether a mentee
        may start a recording is the room's recording policy, default: mentor only);
        neither may administer (a coffee call has no host controls).
        """
        room = Room.coffee(new_room_id(), duration_s, self._clock.now(), title=title)
        grants = [
            JoinGrant(
                room_id=room.room_id,
                identity=new_identity(),
                display_name=name,
                role=role,
                publish=True,
                subscribe=True,
                record=True,
            )
            for name, role in ((mentor_name, Role.MENTOR), (mentee_name, Role.MENTEE))
        ]
        # Issue before storing so that bad names or a bad ttl leave no room behind.
        mentor_token, mentee_token = (self._signer.issue(g, token_ttl_s) for g in grants)
        await self._store.create_room(room)
        return room, mentor_token, mentee_token

    async def create_roundtable_room(
        self,
        duration_s: int,
        title: str,
        host_name: str,
        invitees: Sequence[tuple[str, Role]],
        token_ttl_s: int,
        capacity: int = DEFAULT_ROUNDTABLE_CAPACITY,
        shareable: bool = False,
        lobby: bool = False,
    ) -> CreatedRoundtable:
        """A new roundtable opening now: the host's token, one token per invitee (name,
        role: co-host, participant or observer) and, with ``shareable``, one participant
        link for anyone (each joiner gets an identity of their own, see :meth:`redeem`).

        ValueError if an invitee's role is not one of those or if the named people do not
        fit ``capacity``. The host and co-hosts start in the roundtable's state; the
        others come in on their first join (through the lobby when it is on).
        """
        if any(role not in INVITED_ROLES for _, role in invitees):
            raise ValueError("invitees are co-hosts, participants or observers")
        if 1 + len(invitees) > capacity:
            raise ValueError(f"{1 + len(invitees)} people do not fit a room for {capacity}")
        room = Room.roundtable(new_room_id(), capacity, duration_s, self._clock.now(),
                               title=title)

        def grant(name: str, role: Role, share: bool = False) -> JoinGrant:
            hosting = role is Role.HOST
            # co-hosts may record where the host may (rooms.recordings.policy)
            return JoinGrant(room_id=room.room_id, identity=new_identity(), display_name=name,
                             role=role, publish=role is not Role.OBSERVER, subscribe=True,
                             record=role in HOSTING_ROLES, admin=hosting, shareable=share)

        host = grant(host_name, Role.HOST)
        guests = [grant(name, role) for name, role in invitees]
        shared = grant(SHARED_LINK_NAME, Role.PARTICIPANT, share=True) if shareable else None
        # Issue before storing so that bad names or a bad ttl leave no room behind.
        host_token = self._signer.issue(host, token_ttl_s)
        invites = [Invite(g.display_name, g.role, self._signer.issue(g, token_ttl_s))
                   for g in guests]
        shared_token = None if shared is None else self._signer.issue(shared, token_ttl_s)
        await self._store.create_room(room)
        co_hosts = [g.identity for g in guests if g.role is Role.CO_HOST]
        await self.roundtables.create(room, host.identity, co_hosts, lobby=lobby)
        return CreatedRoundtable(room, host_token, invites, shared_token)

    def verify(self, token: str | None, room_id: str | None = None) -> JoinGrant:
        """The grant in ``token`` (see ``TokenSigner.verify``)."""
        return self._signer.verify(token, room_id)

    async def redeem(self, token: str | None, room_id: str | None = None,
                     display_name: str | None = None) -> tuple[JoinGrant, str | None]:
        """Verify ``token`` for joining: its grant, and None as the second item, for a
        personal token; for a shareable one a personal grant with a fresh identity (named
        ``display_name`` if given) and its token, valid until the room closes, for the
        joiner to reconnect with.

        ``room_not_found`` or ``room_closed`` for a shareable token whose room is gone,
        ``room_locked`` while it is locked, ``link_used_up`` once as many guests took a
        seat as the room allows (see ``RoundtableService.seat_guest``: a guest counts when
        they take a seat, not here), ValueError for a display name that is not one.
        """
        grant = self.verify(token, room_id)
        if not grant.shareable:
            return grant, None
        room = await self._store.get_room(grant.room_id)
        if room is None:
            raise RoomError("room_not_found")
        ttl_s = math.floor(room.expires_at - self._clock.now())
        if ttl_s <= 0:
            raise RoomError("room_closed")
        if display_name is not None:
            check_display_name(display_name)
        await self.roundtables.check_guest_link(room.room_id)
        personal = JoinGrant.model_validate(grant.model_dump() | {
            "identity": new_identity(),
            "display_name": display_name or grant.display_name,
            "shareable": False,
            "guest": True,
        })
        return personal, self._signer.issue(personal, ttl_s)

    async def join(self, grant: JoinGrant, lease_s: float | None = None,
                   resume_token: str | None = None, resumed: bool = False) -> RoomSnapshot:
        """Put the grant's holder in its room (replacing an earlier connection of theirs),
        with a seat lease of ``lease_s`` from now if given (see ``RoomStore``) and, if
        given, ``resume_token`` as the seat's resume token (see :mod:`rooms.resume`);
        ``resumed`` (the seat was just resumed): it keeps its join time, so its place.

        ``forbidden`` if the grant's role does not belong in this kind of room, or if it is
        a shareable grant (:meth:`redeem` it first). In a roundtable the roundtable's state
        decides the role and may refuse: ``banned``, ``room_locked``, ``lobby_full``, or
        ``lobby_waiting`` (no seat taken: the person knocks in the lobby).
        """
        room = await self._store.get_room(grant.room_id)
        if room is None:
            raise RoomError("room_not_found")
        if grant.role not in ROLES_BY_KIND[room.kind]:
            raise RoomError(
                "forbidden", f"The role {grant.role.value!r} cannot join a {room.kind.value} room."
            )
        if grant.shareable:
            raise RoomError("forbidden", "A shared link must be redeemed for a personal one.")
        role = grant.role
        entry = None
        if room.kind is RoomKind.ROUNDTABLE:
            if room.is_closed(self._clock.now()):
                raise RoomError("room_closed")
            await self.breakouts.check_join(room, grant)
            entry = await self.roundtables.enter(grant)
            if not entry.admitted or entry.role is None:
                raise RoomError("lobby_waiting")
            role = entry.role
        joined_at = self._clock.now()
        if resumed:
            earlier = (await self._store.snapshot(grant.room_id)).participant(grant.identity)
            joined_at = joined_at if earlier is None else earlier.joined_at
        participant = Participant(
            identity=grant.identity,
            display_name=grant.display_name,
            role=role,
            joined_at=joined_at,
        )
        until = None if lease_s is None else self._clock.now() + lease_s
        try:
            snapshot = await self._store.join(
                grant.room_id, participant, until,
                None if resume_token is None else digest(resume_token))
        except RoomError as exc:
            if grant.guest and entry is not None and entry.fresh and exc.code == "room_full":
                await self.roundtables.drop_unseated_guest(grant.room_id, grant.identity)
            raise
        if room.kind is RoomKind.ROUNDTABLE:
            await self._check_seat(grant)
        for listener in self._join_listeners:
            try:
                await listener(grant.room_id, grant.identity)
            except Exception:
                logger.exception("a join listener failed for room %s", grant.room_id)
        return snapshot

    async def _check_seat(self, grant: JoinGrant) -> None:
        """After a roundtable seat was taken: a ban that landed since the room's checks
        takes it back (``banned``); a shareable link's guest is counted (and refused
        ``link_used_up`` past the link's limit: the seat is taken back and they are
        no member)."""
        try:
            if grant.guest:
                await self.roundtables.seat_guest(grant)
            elif await self.roundtables.is_banned(grant.room_id, grant.identity):
                raise RoomError("banned")
        except RoomError as exc:
            if exc.code not in ("banned", "link_used_up"):
                raise
            await self._store.leave(grant.room_id, grant.identity)
            if exc.code == "link_used_up":
                await self.roundtables.drop_unseated_guest(grant.room_id, grant.identity)
            raise

    async def forget_guest(self, grant: JoinGrant) -> None:
        """Undo a shareable link's guest whose first join was rolled back before they
        learnt their identity (their connection closed, the media failed): they count
        no more against the link (:meth:`RoundtableService.forget_guest`)."""
        room = await self._store.get_room(grant.room_id)
        if grant.guest and room is not None and room.kind is RoomKind.ROUNDTABLE:
            await self.roundtables.forget_guest(grant.room_id, grant.identity)

    async def join_with_token(
        self, token: str | None, room_id: str | None = None
    ) -> tuple[JoinGrant, RoomSnapshot]:
        """Verify ``token`` (for ``room_id`` if given) and join with its grant."""
        grant = self.verify(token, room_id)
        return grant, await self.join(grant)

    async def leave(self, room_id: str, identity: str) -> bool:
        """Take ``identity`` out of the room; True if it was there. In a roundtable their
        hand goes down and, if they hosted, hosting passes on (``RoundtableService.left``)."""
        removed = await self._store.leave(room_id, identity)
        await self._after_leave(room_id, identity)
        return removed

    async def _after_leave(self, room_id: str, identity: str) -> None:
        room = await self._store.get_room(room_id)
        if room is None or room.kind is not RoomKind.ROUNDTABLE:
            return
        try:
            await self.roundtables.left(room_id, identity)
        except RoomError as exc:
            if exc.code != "room_not_found":  # gone meanwhile: nothing left to hand over
                raise

    async def end(self, room_id: str) -> None:
        """End the room now, for everyone (a roundtable's host ended it): the room is
        gone (``room_not_found`` afterwards); its roundtable state lapses with it."""
        await self._store.delete_room(room_id)

    async def set_tracks(self, grant: JoinGrant, tracks: list[Track]) -> None:
        """Replace the tracks the grant's holder publishes.

        ``forbidden`` if the grant does not allow publishing (an empty list is always
        allowed: it only withdraws tracks).
        """
        if tracks and not grant.publish:
            raise RoomError("forbidden", "Your join token does not allow publishing.")
        await self._store.set_tracks(grant.room_id, grant.identity, tracks)

    async def room(self, room_id: str) -> Room | None:
        """The room, or None if there is no such room (any more)."""
        return await self._store.get_room(room_id)

    async def resume(self, room_id: str, identity: str, token: str, lease_s: float) -> str:
        """Check ``token`` against the seat of ``identity`` and rotate it (see
        :mod:`rooms.resume`): the next token; the seat's lease now lasts ``lease_s``.
        ``resume_expired`` after the grace period, ``resume_invalid`` for another token.
        In a roundtable, first ``banned`` if a host removed them (while they were away:
        joining again would not help either). A lock needs no check: whoever held a seat
        is a member, and a locked room lets its members back in."""
        room = await self._store.get_room(room_id)
        if room is not None and room.kind is RoomKind.ROUNDTABLE:
            for one in (room_id, room.parent):  # a pair room inherits its roundtable's bans
                if one is not None and await self.roundtables.is_banned(one, identity):
                    raise RoomError("banned")
        now = self._clock.now()
        return await self._resume_tokens.redeem(room_id, identity, token, now, now + lease_s)

    async def take_join(self, grant: JoinGrant) -> float:
        """Spend one of the grant holder's joins of its room (see ``RoomStore.take_join``):
        0, or the seconds to wait for one."""
        return await self._store.take_join(grant.room_id, grant.identity, self._clock.now())

    async def snapshot(self, room_id: str) -> RoomSnapshot:
        """The room and who is in it."""
        return await self._store.snapshot(room_id)

    async def renew_seats(self, room_id: str, identities: list[str], until: float) -> None:
        """Extend the leases of these seats (held by live connections) to ``until``."""
        await self._store.renew_leases(room_id, identities, until)

    async def reassert_if_restarted(self, held: Mapping[str, Sequence[str]],
                                    until: float) -> int | None:
        """If the store lost its data (a Redis restart without persistence; see
        rooms/owned_seats.py): write back the rooms of ``held`` (the seats this process
        holds, by room), those seats with leases to ``until``, and the roundtables'
        state as last seen here. How many seats were written back; None if the store
        did not restart."""
        if not await self._store.restarted(held):
            return None
        seats = 0
        for room_id, identities in held.items():
            seats += await self._store.reassert_room(room_id, identities, until)
            await self.roundtables.reassert(room_id)
        for listener in self._restart_listeners:
            await listener(list(held))
        self._store.reasserted()
        return seats

    async def lapsed_seats(self, now: float) -> list[tuple[str, str]]:
        """(room id, identity) of seats whose lease ran out by ``now``."""
        return await self._store.lapsed_seats(now)

    async def remove_lapsed(self, room_id: str, identity: str, now: float) -> bool:
        """Take the seat away if its lease ran out by ``now``; True if it was removed."""
        removed = await self._store.remove_lapsed(room_id, identity, now)
        if removed:
            await self._after_leave(room_id, identity)
        return removed
