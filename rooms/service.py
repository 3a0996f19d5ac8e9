"""Room operations for the layers above (signaling, REST): thin, authorised, clocked."""

from __future__ import annotations

import secrets

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import ROLES_BY_KIND, Participant, Role, Room, RoomSnapshot, Track
from rooms.store import RoomStore

ROOM_ID_BYTES = 16  # token_urlsafe(16) gives 22 url-safe characters
IDENTITY_BYTES = 12  # 16 characters


def new_room_id() -> str:
    """A fresh, unguessable, url-safe room id."""
    return secrets.token_urlsafe(ROOM_ID_BYTES)


def new_identity() -> str:
    """A fresh, unguessable participant identity."""
    return secrets.token_urlsafe(IDENTITY_BYTES)


class RoomService:
    """Creates rooms with their join tokens and applies grant-checked changes to a store."""

    def __init__(self, store: RoomStore, signer: TokenSigner, clock: Clock | None = None) -> None:
        self._store = store
        self._signer = signer
        self._clock: Clock = clock if clock is not None else SystemClock()

    async def create_coffee_room(
        self,
        duration_s: int,
        title: str,
        mentor_name: str,
        mentee_name: str,
        token_ttl_s: int,
    ) -> tuple[Room, str, str]:
        """A new 1:1 room opening now, with a token each for the mentor and the mentee.

        Both may publish and subscribe; neither may record or administer (a coffee call
        has no host controls).
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
            )
            for name, role in ((mentor_name, Role.MENTOR), (mentee_name, Role.MENTEE))
        ]
        # Issue before storing so that bad names or a bad ttl leave no room behind.
        mentor_token, mentee_token = (self._signer.issue(g, token_ttl_s) for g in grants)
        await self._store.create_room(room)
        return room, mentor_token, mentee_token

    def verify(self, token: str | None, room_id: str | None = None) -> JoinGrant:
        """The grant in ``token`` (see ``TokenSigner.verify``)."""
        return self._signer.verify(token, room_id)

    async def join(self, grant: JoinGrant, lease_s: float | None = None) -> RoomSnapshot:
        """Put the grant's holder in its room (replacing an earlier connection of theirs),
        with a seat lease of ``lease_s`` from now if given (see ``RoomStore``).

        ``forbidden`` if the grant's role does not belong in this kind of room.
        """
        room = await self._store.get_room(grant.room_id)
        if room is None:
            raise RoomError("room_not_found")
        if grant.role not in ROLES_BY_KIND[room.kind]:
            raise RoomError(
                "forbidden", f"The role {grant.role.value!r} cannot join a {room.kind.value} room."
            )
        participant = Participant(
            identity=grant.identity,
            display_name=grant.display_name,
            role=grant.role,
            joined_at=self._clock.now(),
        )
        until = None if lease_s is None else self._clock.now() + lease_s
        return await self._store.join(grant.room_id, participant, until)

    async def join_with_token(
        self, token: str | None, room_id: str | None = None
    ) -> tuple[JoinGrant, RoomSnapshot]:
        """Verify ``token`` (for ``room_id`` if given) and join with its grant."""
        grant = self.verify(token, room_id)
        return grant, await self.join(grant)

    async def leave(self, room_id: str, identity: str) -> bool:
        """Take ``identity`` out of the room; True if it was there."""
        return await self._store.leave(room_id, identity)

    async def set_tracks(self, grant: JoinGrant, tracks: list[Track]) -> None:
        """Replace the tracks the grant's holder publishes.

        ``forbidden`` if the grant does not allow publishing (an empty list is always
        allowed: it only withdraws tracks).
        """
        if tracks and not grant.publish:
            raise RoomError("forbidden", "Your join token does not allow publishing.")
        await self._store.set_tracks(grant.room_id, grant.identity, tracks)

    async def snapshot(self, room_id: str) -> RoomSnapshot:
        """The room and who is in it."""
        return await self._store.snapshot(room_id)

    async def renew_seats(self, room_id: str, identities: list[str], until: float) -> None:
        """Extend the leases of these seats (held by live connections) to ``until``."""
        await self._store.renew_leases(room_id, identities, until)

    async def lapsed_seats(self, now: float) -> list[tuple[str, str]]:
        """(room id, identity) of seats whose lease ran out by ``now``."""
        return await self._store.lapsed_seats(now)

    async def remove_lapsed(self, room_id: str, identity: str, now: float) -> bool:
        """Take the seat away if its lease ran out by ``now``; True if it was removed."""
        return await self._store.remove_lapsed(room_id, identity, now)
