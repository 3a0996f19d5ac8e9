"""A room service over one pair of stores, and builders for roundtable tests."""

from __future__ import annotations

from rooms.clock import ManualClock
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role
from rooms.redis_store import RedisRoomStore
from rooms.roundtables.redis_store import RedisRoundtableStore
from rooms.roundtables.service import RoundtableService
from rooms.roundtables.store import RoundtableStore
from rooms.service import CreatedRoundtable, RoomService
from rooms.store import RoomStore
from tests.rooms.builders import DURATION_S, GRACE_S

SECRET = "s" * 32
HOST_GRACE_S = 30.0


class Deployment:
    """One process's view: a RoomService whose roundtables live in ``roundtables``."""

    def __init__(self, rooms: RoomStore, roundtables: RoundtableStore,
                 clock: ManualClock, redis_url: str | None = None) -> None:
        self.redis_url = redis_url
        self.rooms = rooms
        self.store = roundtables
        self.clock = clock
        self.signer = TokenSigner(SECRET, clock)
        self.tables = RoundtableService(roundtables, rooms, clock, grace_s=GRACE_S,
                                        host_grace_s=HOST_GRACE_S)
        self.service = RoomService(rooms, self.signer, clock, roundtables=self.tables)

    async def create(self, *invitees: tuple[str, Role], lobby: bool = False,
                     shareable: bool = False, capacity: int = 12) -> CreatedRoundtable:
        return await self.service.create_roundtable_room(
            DURATION_S, "Circle", "Hana", list(invitees), DURATION_S, capacity=capacity,
            shareable=shareable, lobby=lobby)

    async def join(self, token: str) -> JoinGrant:
        """Verify ``token`` and take a seat with it (a millisecond after the previous
        join, so that join order is seat order); the grant."""
        self.clock.advance(0.001)
        grant, _ = await self.service.join_with_token(token)
        return grant

    def grant(self, token: str) -> JoinGrant:
        return self.signer.verify(token)

    def peer(self) -> Deployment:
        """Another process on the same state: new Redis stores on the same server, or
        (in memory) the same stores."""
        if self.redis_url is None:
            return Deployment(self.rooms, self.store, self.clock)
        return Deployment(RedisRoomStore(self.redis_url, self.clock, grace_s=GRACE_S),
                          RedisRoundtableStore(self.redis_url, self.clock), self.clock,
                          self.redis_url)

    async def close(self) -> None:
        await self.rooms.close()
        await self.store.close()


def guest(room_id: str, identity: str, role: Role = Role.PARTICIPANT) -> JoinGrant:
    """A grant as signaling would hold it after verifying a token."""
    return JoinGrant(room_id=room_id, identity=identity, display_name=identity.title(),
                     role=role, publish=role is not Role.OBSERVER, subscribe=True)
