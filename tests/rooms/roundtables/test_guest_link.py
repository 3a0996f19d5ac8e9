"""Review 3, finding 1: a shareable link's guest counts against the link only once they
take a seat. Joins refused for a full room, lobby knocks never admitted and guests
refused the link leave nothing behind (no count, no member), over both stores and from
two processes at once."""

from __future__ import annotations

import asyncio

from rooms.errors import RoomError
from tests.rooms.builders import expect_error
from tests.rooms.roundtables.builders import Deployment


async def test_joins_refused_for_a_full_room_spend_nothing(deployment: Deployment) -> None:
    made = await deployment.create(shareable=True, capacity=2)
    assert made.shareable_token is not None
    room_id = made.room.room_id
    host = await deployment.join(made.host_token)
    first, _ = await deployment.service.redeem(made.shareable_token)
    await deployment.service.join(first)  # the room is full now
    for _ in range(3 * 2 * deployment.tables.guests_per_seat):
        grant, _ = await deployment.service.redeem(made.shareable_token)
        await expect_error("room_full", deployment.service.join(grant))
    state = await deployment.tables.state(room_id)
    assert state.guests == [first.identity]
    assert set(state.members) == {host.identity, first.identity}  # the refused: nothing
    await deployment.service.leave(room_id, first.identity)  # a seat frees
    grant, _ = await deployment.service.redeem(made.shareable_token)
    await deployment.service.join(grant)  # and the next invitee comes in
    assert (await deployment.tables.state(room_id)).guests == [first.identity,
                                                                grant.identity]


async def test_lobby_knocks_that_are_never_admitted_spend_nothing(
        deployment: Deployment) -> None:
    made = await deployment.create(shareable=True, capacity=2, lobby=True)
    assert made.shareable_token is not None
    room_id = made.room.room_id
    host = await deployment.join(made.host_token)
    for n in range(3 * 2 * deployment.tables.guests_per_seat):
        grant, _ = await deployment.service.redeem(made.shareable_token)
        await expect_error("lobby_waiting", deployment.service.join(grant))
        if n % 2:  # turned away, or gone while waiting
            await deployment.tables.deny(host, grant.identity)
        else:
            await deployment.tables.left(room_id, grant.identity)
    grant, _ = await deployment.service.redeem(made.shareable_token)
    await expect_error("lobby_waiting", deployment.service.join(grant))
    await deployment.tables.admit(host, grant.identity)
    await deployment.service.join(grant)
    state = await deployment.tables.state(room_id)
    assert (state.guests, state.knocking) == ([grant.identity], [])
    assert set(state.members) == {host.identity, grant.identity}


async def test_two_processes_never_seat_more_guests_than_the_link_allows(
        deployment: Deployment) -> None:
    made = await deployment.create(shareable=True, capacity=2)
    shared = made.shareable_token
    assert shared is not None
    room_id = made.room.room_id
    limit = 2 * deployment.tables.guests_per_seat
    other = deployment.peer()
    seated: list[str] = []

    async def come_and_go(where: Deployment) -> None:
        for _ in range(100):
            try:
                grant, _ = await where.service.redeem(shared)
                await where.service.join(grant)
            except RoomError as exc:
                if exc.code == "link_used_up":
                    return
                assert exc.code == "room_full", exc.code
                continue
            seated.append(grant.identity)
            await where.service.leave(room_id, grant.identity)

    try:
        await asyncio.gather(*(come_and_go(deployment if n % 2 else other)
                               for n in range(12)))
        state = await deployment.tables.state(room_id)
        assert len(seated) == limit and sorted(state.guests) == sorted(seated)
        assert len({g for g in state.members if g in seated}) == limit
        await expect_error("link_used_up", deployment.service.redeem(shared))
    finally:
        if other.redis_url is not None:  # in memory: the same stores
            await other.close()


async def test_a_guest_the_host_admits_comes_in_even_once_the_link_is_used_up(
        deployment: Deployment) -> None:
    """Admitting a knocking guest counts them there and then, past the limit if need be
    (the host chose them); their join after it is not refused ``link_used_up``."""
    made = await deployment.create(shareable=True, capacity=2, lobby=True)
    assert made.shareable_token is not None
    room_id = made.room.room_id
    host = await deployment.join(made.host_token)
    waiting, _ = await deployment.service.redeem(made.shareable_token)
    await expect_error("lobby_waiting", deployment.service.join(waiting))
    knock = (await deployment.tables.state(room_id)).knock_of(waiting.identity)
    assert knock is not None and knock.guest
    limit = 2 * deployment.tables.guests_per_seat
    for _ in range(limit):  # meanwhile the link's other guests use it up
        grant, _ = await deployment.service.redeem(made.shareable_token)
        await expect_error("lobby_waiting", deployment.service.join(grant))
        await deployment.tables.admit(host, grant.identity)
        await deployment.service.join(grant)
        await deployment.service.leave(room_id, grant.identity)
    await expect_error("link_used_up", deployment.service.redeem(made.shareable_token))
    await deployment.tables.admit(host, waiting.identity)
    await deployment.service.join(waiting)
    state = await deployment.tables.state(room_id)
    assert len(state.guests) == limit + 1 and state.guests[-1] == waiting.identity
    assert waiting.identity in state.members
