"""Creating roundtable rooms and redeeming shareable links (RoomService), over both stores."""

from __future__ import annotations

import pytest

from rooms.models import Role, RoomKind
from tests.rooms.builders import DURATION_S, expect_error
from tests.rooms.roundtables.builders import Deployment


async def test_a_roundtable_room_with_one_link_per_person(deployment: Deployment) -> None:
    made = await deployment.create(("Ana", Role.CO_HOST), ("Oli", Role.OBSERVER),
                                   capacity=20, lobby=True)
    assert (made.room.kind, made.room.capacity, made.shareable_token) == (
        RoomKind.ROUNDTABLE, 20, None)
    host = deployment.grant(made.host_token)
    ana, oli = (deployment.grant(i.token) for i in made.invites)
    assert [(i.name, i.role) for i in made.invites] == [("Ana", Role.CO_HOST),
                                                        ("Oli", Role.OBSERVER)]
    assert (host.role, host.admin, host.record, ana.admin) == (Role.HOST, True, True, False)
    assert (oli.publish, oli.subscribe) == (False, True)
    state = await deployment.tables.state(made.room.room_id)
    assert (state.host, state.co_hosts, state.lobby) == (host.identity, [ana.identity], True)
    assert len({host.identity, ana.identity, oli.identity}) == 3


async def test_named_people_must_fit_and_be_invitable(deployment: Deployment) -> None:
    with pytest.raises(ValueError, match="fit"):
        await deployment.create(*((f"P{i}", Role.PARTICIPANT) for i in range(3)), capacity=3)
    with pytest.raises(ValueError, match="co-hosts"):
        await deployment.create(("Second host", Role.HOST))
    with pytest.raises(ValueError):
        await deployment.create(capacity=51)
    assert await deployment.rooms.lapsed_seats(deployment.clock.now() + 1e6) == []


async def test_a_shareable_link_gives_each_joiner_an_identity(deployment: Deployment) -> None:
    made = await deployment.create(shareable=True)
    assert made.shareable_token is not None
    shared = deployment.grant(made.shareable_token)
    assert (shared.shareable, shared.role) == (True, Role.PARTICIPANT)
    await expect_error("forbidden", deployment.service.join(shared))
    first, first_token = await deployment.service.redeem(made.shareable_token, None, "Zoe")
    second, _ = await deployment.service.redeem(made.shareable_token, made.room.room_id)
    assert first.identity != second.identity and shared.identity not in {
        first.identity, second.identity}
    assert (first.display_name, second.display_name, first.shareable) == ("Zoe", "Guest",
                                                                          False)
    assert first_token is not None
    again, none = await deployment.service.redeem(first_token)  # the personal token
    assert (again.identity, none) == (first.identity, None)
    await deployment.service.join(first)
    await deployment.service.join(again)  # a reconnect keeps the seat
    snapshot = await deployment.service.snapshot(made.room.room_id)
    assert [p.display_name for p in snapshot.participants] == ["Zoe"]
    await deployment.rooms.delete_room(made.room.room_id)
    await expect_error("room_not_found", deployment.service.redeem(made.shareable_token))


async def test_a_shareable_link_seats_at_most_capacity_times_guests_per_seat(
        deployment: Deployment) -> None:
    """Review 2, finding 1: each redemption minted an identity, without bound. Review 3,
    finding 1: a guest counts when they take a seat, not when the link is redeemed."""
    made = await deployment.create(shareable=True, capacity=2)
    assert made.shareable_token is not None
    room_id = made.room.room_id
    limit = 2 * deployment.tables.guests_per_seat
    seated = []
    for _ in range(limit):  # each comes in and goes: a seat each
        grant, token = await deployment.service.redeem(made.shareable_token)
        await deployment.service.join(grant)
        await deployment.service.leave(room_id, grant.identity)
        seated.append((grant, token))
    await expect_error("link_used_up", deployment.service.redeem(made.shareable_token))
    assert all(grant.guest for grant, _ in seated)
    first_token = seated[0][1]
    assert first_token is not None
    again, _ = await deployment.service.redeem(first_token)  # a guest's own link still works
    assert again.identity == seated[0][0].identity
    await deployment.service.join(again)  # and they come back in: counted once
    with pytest.raises(ValueError):  # a name that is not one spends nothing
        await deployment.service.redeem(made.shareable_token, None, "\u200f")
    state = await deployment.tables.state(room_id)
    assert sorted(state.guests) == sorted(grant.identity for grant, _ in seated)


async def test_a_guest_minted_before_the_link_was_used_up_cannot_take_a_seat(
        deployment: Deployment) -> None:
    made = await deployment.create(shareable=True, capacity=2)
    assert made.shareable_token is not None
    room_id = made.room.room_id
    late, _ = await deployment.service.redeem(made.shareable_token)  # minted, not seated
    for _ in range(2 * deployment.tables.guests_per_seat):
        grant, _ = await deployment.service.redeem(made.shareable_token)
        await deployment.service.join(grant)
        await deployment.service.leave(room_id, grant.identity)
    await expect_error("link_used_up", deployment.service.join(late))
    snapshot = await deployment.service.snapshot(room_id)
    state = await deployment.tables.state(room_id)
    assert snapshot.participant(late.identity) is None  # the seat was taken back
    assert late.identity not in state.members and late.identity not in state.guests


async def test_a_locked_room_refuses_a_shareable_link_without_spending_it(
        deployment: Deployment) -> None:
    made = await deployment.create(shareable=True, capacity=2)
    assert made.shareable_token is not None
    host = deployment.grant(made.host_token)
    await deployment.tables.set_locked(host, True)
    for _ in range(3):
        await expect_error("room_locked", deployment.service.redeem(made.shareable_token))
    assert (await deployment.tables.state(made.room.room_id)).guests == []


async def test_a_personal_token_redeems_to_itself(deployment: Deployment) -> None:
    made = await deployment.create(("Ben", Role.PARTICIPANT))
    grant, token = await deployment.service.redeem(made.invites[0].token)
    assert (grant, token) == (deployment.grant(made.invites[0].token), None)


async def test_coffee_rooms_are_untouched_by_roundtable_rules(deployment: Deployment) -> None:
    room, mentor_token, _ = await deployment.service.create_coffee_room(
        DURATION_S, "", "Ada", "Bea", DURATION_S)
    mentor = await deployment.join(mentor_token)
    assert mentor.role is Role.MENTOR
    await expect_error("not_roundtable", deployment.tables.state(room.room_id))
    await expect_error("not_roundtable", deployment.tables.raise_hand(mentor))
    await deployment.service.leave(room.room_id, mentor.identity)
    assert await deployment.store.get(room.room_id) is None
