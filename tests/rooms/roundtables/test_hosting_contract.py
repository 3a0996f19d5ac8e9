"""Contract of the roundtable service over both stores: roles, hosting, lobby, lock, bans."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from rooms.errors import RoomError
from rooms.grants import JoinGrant
from rooms.models import Role, TrackKind
from rooms.roundtables.service import RoundtableService
from tests.rooms.builders import AUDIO, expect_error
from tests.rooms.roundtables.builders import HOST_GRACE_S, Deployment

PART, OBS, CO = Role.PARTICIPANT, Role.OBSERVER, Role.CO_HOST

HostAction = Callable[[RoundtableService, JoinGrant, str], Awaitable[Any]]
HOST_ACTIONS: dict[str, HostAction] = {
    "set_lobby": lambda t, a, _x: t.set_lobby(a, True),
    "admit": lambda t, a, x: t.admit(a, x),
    "deny": lambda t, a, x: t.deny(a, x),
    "lock": lambda t, a, _x: t.set_locked(a, True),
    "ban": lambda t, a, x: t.ban(a, x),
    "mute": lambda t, a, x: t.mute(a, x, TrackKind.AUDIO),
    "unmute": lambda t, a, x: t.unmute(a, x, TrackKind.AUDIO),
    "mute_all": lambda t, a, _x: t.mute_all(a, TrackKind.VIDEO),
    "lower_other": lambda t, a, x: t.lower_hand(a, x),
    "call_on": lambda t, a, x: t.call_on(a, x, 60),
    "start_timer": lambda t, a, x: t.start_timer(a, x, 60),
    "stop_timer": lambda t, a, _x: t.stop_timer(a),
    "breakout": lambda t, a, x: t.set_breakout(a, [(a.identity, x)], 2e9),
    "clear_breakout": lambda t, a, _x: t.clear_breakout(a),
    "promote": lambda t, a, x: t.promote(a, x),
    "demote": lambda t, a, x: t.demote(a, x),
    "hand_over": lambda t, a, x: t.hand_over(a, x),
}


async def test_tokens_carry_roles_and_the_state_knows_them(deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Ben", PART), ("Oli", OBS))
    host = await deployment.join(made.host_token)
    co, ben, oli = [await deployment.join(i.token) for i in made.invites]
    state = await deployment.tables.state(made.room.room_id)
    assert state.host == host.identity and state.co_hosts == [co.identity]
    assert state.members[ben.identity] is PART and state.members[oli.identity] is OBS
    assert (oli.publish, ben.publish, host.admin) == (False, True, True)
    snapshot = await deployment.service.snapshot(made.room.room_id)
    assert [p.role for p in snapshot.participants] == [Role.HOST, CO, PART, OBS]
    await expect_error("forbidden", deployment.service.set_tracks(oli, [AUDIO]))


@pytest.mark.parametrize("action", sorted(HOST_ACTIONS))
async def test_participants_and_observers_get_not_host_and_change_nothing(
        deployment: Deployment, action: str) -> None:
    made = await deployment.create(("Ben", PART), ("Oli", OBS), ("Cy", PART))
    await deployment.join(made.host_token)
    ben, oli, cy = [await deployment.join(i.token) for i in made.invites]
    await deployment.tables.raise_hand(cy)
    before = await deployment.tables.state(made.room.room_id)
    for actor in (ben, oli):
        await expect_error("not_host", HOST_ACTIONS[action](deployment.tables, actor,
                                                            cy.identity))
    assert await deployment.tables.state(made.room.room_id) == before


async def test_only_the_host_promotes_demotes_and_hands_over(deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Ben", PART), ("Oli", OBS))
    host = await deployment.join(made.host_token)
    co, ben, oli = [await deployment.join(i.token) for i in made.invites]
    tables = deployment.tables
    for action in ("promote", "demote", "hand_over"):
        await expect_error("not_host", HOST_ACTIONS[action](tables, co, ben.identity))
    await expect_error("invalid_target", tables.promote(host, oli.identity))
    await expect_error("invalid_target", tables.hand_over(host, oli.identity))
    await expect_error("target_is_host", tables.demote(host, host.identity))
    await expect_error("unknown_participant", tables.promote(host, "nobody"))
    state = await tables.promote(host, ben.identity)
    assert state.co_hosts == [co.identity, ben.identity]
    state = await tables.hand_over(host, co.identity)
    assert (state.host, state.members[host.identity]) == (co.identity, CO)
    roster, _ = await tables.roster(host.room_id)  # seats show the roles as they are now
    assert [p.role for p in roster.participants] == [CO, Role.HOST, CO, OBS]
    await expect_error("not_host", tables.promote(host, oli.identity))  # no longer host
    state = await tables.demote(co, host.identity)
    assert state.members[host.identity] is PART


async def test_a_demoted_co_host_rejoining_with_the_old_token_stays_a_participant(
        deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO))
    host = await deployment.join(made.host_token)
    co = await deployment.join(made.invites[0].token)
    await deployment.tables.demote(host, co.identity)
    await deployment.service.leave(made.room.room_id, co.identity)
    await deployment.join(made.invites[0].token)
    snapshot = await deployment.service.snapshot(made.room.room_id)
    assert snapshot.participant(co.identity).role is PART  # type: ignore[union-attr]
    await expect_error("not_host", deployment.tables.set_locked(co, True))


async def test_the_longest_present_co_host_takes_over_from_a_host_who_drops(
        deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Bo", CO), ("Ben", PART))
    host = await deployment.join(made.host_token)
    deployment.clock.advance(1)
    bo = await deployment.join(made.invites[1].token)  # Bo before Ana
    deployment.clock.advance(1)
    ana = await deployment.join(made.invites[0].token)
    await deployment.service.leave(made.room.room_id, host.identity)
    state = await deployment.tables.state(made.room.room_id)
    assert (state.host, state.members[host.identity]) == (bo.identity, CO)
    await deployment.service.leave(made.room.room_id, bo.identity)
    assert (await deployment.tables.state(made.room.room_id)).host == ana.identity


async def test_without_a_co_host_the_seat_is_held_for_the_grace_period(
        deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Ben", PART))
    room_id = made.room.room_id
    host = await deployment.join(made.host_token)
    await deployment.join(made.invites[1].token)
    await deployment.service.leave(room_id, host.identity)
    state = await deployment.tables.state(room_id)
    assert (state.host, state.host_away_since) == (host.identity, deployment.clock.now())
    co = await deployment.join(made.invites[0].token)
    deployment.clock.advance(HOST_GRACE_S - 1)
    assert (await deployment.tables.settle_host(room_id)).host == host.identity
    deployment.clock.advance(1)
    state = await deployment.tables.settle_host(room_id)
    assert (state.host, state.host_away_since) == (co.identity, None)


async def test_a_host_back_within_the_grace_period_keeps_the_seat(
        deployment: Deployment) -> None:
    made = await deployment.create(("Ben", PART))
    host = await deployment.join(made.host_token)
    await deployment.service.leave(made.room.room_id, host.identity)
    deployment.clock.advance(HOST_GRACE_S / 2)
    await deployment.join(made.host_token)
    state = await deployment.tables.state(made.room.room_id)
    assert (state.host, state.host_away_since) == (host.identity, None)


async def test_the_lobby_holds_joiners_until_admitted_or_denied(
        deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Ben", PART), ("Cy", PART), lobby=True)
    room_id = made.room.room_id
    host = await deployment.join(made.host_token)
    await deployment.join(made.invites[0].token)  # co-hosts skip the lobby
    for invite in made.invites[1:]:
        await expect_error("lobby_waiting", deployment.join(invite.token))
    await expect_error("lobby_waiting", deployment.join(made.invites[1].token))  # knocks once
    ben, cy = (deployment.grant(i.token) for i in made.invites[1:])
    state = await deployment.tables.state(room_id)
    assert [k.identity for k in state.knocking] == [ben.identity, cy.identity]
    snapshot = await deployment.service.snapshot(room_id)
    assert len(snapshot.participants) == 2  # no seat while waiting
    await deployment.tables.admit(host, ben.identity)
    await deployment.tables.deny(host, cy.identity)
    await expect_error("not_knocking", deployment.tables.admit(host, cy.identity))
    await deployment.join(made.invites[1].token)
    await expect_error("lobby_waiting", deployment.join(made.invites[2].token))
    state = await deployment.tables.set_lobby(host, False)  # lets the waiting in
    assert (state.knocking, state.members[cy.identity]) == ([], PART)
    await deployment.join(made.invites[2].token)


async def test_admit_and_deny_of_one_knock_at_once_one_wins(deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Ben", PART), lobby=True)
    host = await deployment.join(made.host_token)
    co = await deployment.join(made.invites[0].token)
    other = deployment.peer()
    for _ in range(5):
        await expect_error("lobby_waiting", deployment.join(made.invites[1].token))
        ben = deployment.grant(made.invites[1].token).identity
        results = await asyncio.gather(deployment.tables.admit(host, ben),
                                       other.tables.deny(co, ben), return_exceptions=True)
        lost = [r for r in results if isinstance(r, RoomError)]
        assert [e.code for e in lost] == ["not_knocking"], results
        state = await deployment.tables.state(made.room.room_id)
        assert state.knocking == []
        if ben in state.members:  # admit won: the next join takes a seat
            assert isinstance(results[1], RoomError)
            await deployment.join(made.invites[1].token)
            return
        assert isinstance(results[0], RoomError)
    # deny won every time: legal, and the knock never stuck.


async def test_a_locked_room_lets_back_only_those_already_in(deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Ben", PART), ("Cy", PART))
    host = await deployment.join(made.host_token)
    ben = await deployment.join(made.invites[1].token)
    await deployment.service.leave(made.room.room_id, ben.identity)
    await deployment.tables.set_locked(host, True)
    await expect_error("room_locked", deployment.join(made.invites[2].token))
    await deployment.join(made.invites[1].token)
    await deployment.join(made.invites[0].token)  # a co-host always comes in
    await deployment.tables.set_locked(host, False)
    await deployment.join(made.invites[2].token)


async def test_a_banned_identity_cannot_rejoin_with_any_token(deployment: Deployment) -> None:
    made = await deployment.create(("Ana", CO), ("Ben", PART))
    room_id = made.room.room_id
    host = await deployment.join(made.host_token)
    co = await deployment.join(made.invites[0].token)
    ben = await deployment.join(made.invites[1].token)
    await deployment.tables.raise_hand(ben)
    await expect_error("target_is_host", deployment.tables.ban(co, host.identity))
    await expect_error("not_host", deployment.tables.ban(co, co.identity))  # host's alone
    state = await deployment.tables.ban(co, ben.identity)
    assert ben.identity in state.banned and state.hands == []
    await deployment.service.leave(room_id, ben.identity)
    await expect_error("banned", deployment.join(made.invites[1].token))
    fresh = deployment.signer.issue(ben, 600)  # a new token for the same identity
    await expect_error("banned", deployment.join(fresh))
    assert all(p.identity != ben.identity
               for p in (await deployment.service.snapshot(room_id)).participants)
    await expect_error("unknown_participant", deployment.tables.raise_hand(ben))
