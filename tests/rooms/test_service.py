"""RoomService over both stores: coffee-room creation, grant-checked joins and tracks."""

from __future__ import annotations

import re

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Participant, Role, Room, RoomKind, Track, TrackKind
from rooms.service import RoomService
from rooms.store import RoomStore
from tests.rooms.builders import START, expect_error

SECRET = "service-test-secret-0123456789abcdef"
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
AUDIO = Track(kind=TrackKind.AUDIO, track_id="mic")


@pytest.fixture
def signer(clock: ManualClock) -> TokenSigner:
    return TokenSigner(SECRET, clock)


@pytest.fixture
def service(store: RoomStore, signer: TokenSigner, clock: ManualClock) -> RoomService:
    return RoomService(store, signer, clock)


async def new_call(service: RoomService) -> tuple[Room, JoinGrant, JoinGrant]:
    room, mentor_token, mentee_token = await service.create_coffee_room(
        duration_s=1800,
        title="Career chat",
        mentor_name="Grace",
        mentee_name="Ada",
        token_ttl_s=900,
    )
    return room, service.verify(mentor_token, room.room_id), service.verify(mentee_token)


async def test_create_coffee_room(service: RoomService, store: RoomStore) -> None:
    room, mentor, mentee = await new_call(service)
    assert room.kind is RoomKind.COFFEE and room.capacity == 2
    assert (room.created_at, room.expires_at, room.title) == (START, START + 1800, "Career chat")
    assert len(room.room_id) >= 16 and URL_SAFE.match(room.room_id)
    assert await store.get_room(room.room_id) == room
    assert (mentor.role, mentor.display_name, mentee.role, mentee.display_name) == (
        Role.MENTOR,
        "Grace",
        Role.MENTEE,
        "Ada",
    )
    assert mentor.identity != mentee.identity
    assert all(len(g.identity) >= 16 for g in (mentor, mentee))
    assert mentor.publish and mentor.subscribe and mentor.record and not mentor.admin
    assert mentee.publish and mentee.subscribe and mentee.record and not mentee.admin


async def test_room_ids_and_identities_are_fresh(service: RoomService) -> None:
    calls = [await new_call(service) for _ in range(5)]
    assert len({room.room_id for room, _, _ in calls}) == 5
    assert len({g.identity for _, a, b in calls for g in (a, b)}) == 10


async def test_bad_names_are_refused(service: RoomService) -> None:
    with pytest.raises(ValueError):
        await service.create_coffee_room(1800, "", "", "Ada", 900)


async def test_join_and_leave(service: RoomService, clock: ManualClock) -> None:
    room, mentor, mentee = await new_call(service)
    clock.advance(3)
    snap = await service.join(mentor)
    assert snap.participants == [
        Participant(identity=mentor.identity, display_name="Grace", role=Role.MENTOR,
                    joined_at=START + 3)
    ]  # fmt: skip
    clock.advance(1)  # same instant would order by (random) identity
    snap = await service.join(mentee)
    assert [p.role for p in snap.participants] == [Role.MENTOR, Role.MENTEE]
    assert await service.leave(room.room_id, mentor.identity) is True
    assert [p.identity for p in (await service.snapshot(room.room_id)).participants] == [
        mentee.identity
    ]


async def test_reconnect_with_the_same_grant(service: RoomService) -> None:
    _room, mentor, mentee = await new_call(service)
    await service.join(mentor)
    await service.join(mentee)
    snap = await service.join(mentor)
    assert len(snap.participants) == 2


async def test_a_third_person_is_turned_away(service: RoomService) -> None:
    _room, mentor, mentee = await new_call(service)
    await service.join(mentor)
    await service.join(mentee)
    stranger = mentee.model_copy(update={"identity": "someone-else"})
    await expect_error("room_full", service.join(stranger))


async def test_join_with_token(service: RoomService, signer: TokenSigner) -> None:
    room, mentor, _ = await new_call(service)
    token = signer.issue(mentor, 60)
    grant, snap = await service.join_with_token(token, room.room_id)
    assert grant.identity == mentor.identity
    assert snap.participant(mentor.identity) is not None
    with pytest.raises(RoomError) as info:
        await service.join_with_token(token, "another-room")
    assert info.value.code == "token_wrong_room"
    with pytest.raises(RoomError) as info:
        await service.join_with_token(None)
    assert info.value.code == "token_missing"


async def test_tokens_expire(service: RoomService, clock: ManualClock) -> None:
    _, mentor_token, _ = await service.create_coffee_room(1800, "", "Grace", "Ada", 900)
    clock.advance(900)
    with pytest.raises(RoomError) as info:
        service.verify(mentor_token)
    assert info.value.code == "token_expired"


async def test_join_unknown_room(service: RoomService) -> None:
    _, mentor, _ = await new_call(service)
    await expect_error("room_not_found", service.join(mentor.model_copy(update={"room_id": "x"})))


async def test_join_after_the_call_ended(service: RoomService, clock: ManualClock) -> None:
    _, mentor, _ = await new_call(service)
    clock.advance(1801)
    await expect_error("room_closed", service.join(mentor))


async def test_roundtable_roles_do_not_fit_a_coffee_room(service: RoomService) -> None:
    _, mentor, _ = await new_call(service)
    host = mentor.model_copy(update={"role": Role.HOST})
    err = await expect_error("forbidden", service.join(host))
    assert "host" in err.message


async def test_set_tracks(service: RoomService) -> None:
    room, mentor, _ = await new_call(service)
    await service.join(mentor)
    await service.set_tracks(mentor, [AUDIO])
    snap = await service.snapshot(room.room_id)
    me = snap.participant(mentor.identity)
    assert me is not None and me.tracks == [AUDIO]


async def test_set_tracks_needs_publish_right(service: RoomService) -> None:
    _room, mentor, _ = await new_call(service)
    listener = mentor.model_copy(update={"publish": False})
    await service.join(listener)
    await expect_error("forbidden", service.set_tracks(listener, [AUDIO]))
    await service.set_tracks(listener, [])  # withdrawing is always allowed


async def test_set_tracks_when_not_joined(service: RoomService) -> None:
    _, mentor, _ = await new_call(service)
    await expect_error("not_in_room", service.set_tracks(mentor, [AUDIO]))
