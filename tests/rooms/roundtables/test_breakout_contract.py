"""Contract of pair breakouts over both stores: who is paired, pair rooms of their own
that only their pair and the hosts may join, and hosting held while hosts visit."""

from __future__ import annotations

from rooms.models import Role, TrackKind
from rooms.roundtables.breakout import make_pairs
from tests.rooms.builders import expect_error
from tests.rooms.roundtables.builders import HOST_GRACE_S, Deployment
from tests.rooms.roundtables.test_floor_contract import seated

PART, CO, OBS = Role.PARTICIPANT, Role.CO_HOST, Role.OBSERVER


def test_people_pair_in_order_and_an_odd_one_out_makes_a_trio() -> None:
    assert make_pairs(["a", "b", "c", "d"]) == [("a", "b"), ("c", "d")]
    assert make_pairs(["a", "b", "c"]) == [("a", "b", "c")]
    assert make_pairs(["a"]) == []


async def test_only_participants_present_are_paired_into_rooms_of_their_own(
        deployment: Deployment) -> None:
    host, (co, ann, obs, bob, cy) = await seated(deployment, CO, PART, OBS, PART, PART)
    breakouts = deployment.service.breakouts
    await expect_error("not_host", breakouts.start(ann, 5))
    await expect_error("invalid_breakout", breakouts.start(host, 0))
    await expect_error("invalid_breakout", breakouts.start(host, 5, [[ann.identity,
                                                                        obs.identity]]))
    started = await breakouts.start(co, 5)
    assert started.plan.pairs == [(ann.identity, bob.identity, cy.identity)]
    assert started.plan.names[ann.identity] == ann.display_name
    await expect_error("breakout_running", breakouts.start(host, 5))
    (pair,) = started.rooms
    assert pair.parent == host.room_id and pair.room_id != host.room_id
    assert (await deployment.rooms.get_room(pair.room_id)) == pair
    pair_state = await deployment.tables.state(pair.room_id)
    assert pair_state.locked and pair_state.host == host.identity

    mine = deployment.signer.verify(breakouts.pair_token(ann, pair.room_id, PART,
                                                         pair.expires_at))
    await deployment.service.join(mine)
    for outsider in (obs, co):  # a token naming the room is not enough: only the pair
        forged = deployment.signer.verify(breakouts.pair_token(outsider, pair.room_id, PART,
                                                               pair.expires_at))
        if outsider is co:  # ...and the roundtable's hosts, who visit
            await deployment.service.join(forged)
        else:
            await expect_error("forbidden", deployment.service.join(forged))
    await expect_error("not_host", breakouts.visit(ann, pair.room_id))
    await expect_error("invalid_breakout", breakouts.visit(host, "elsewhere"))
    visit = deployment.signer.verify(await breakouts.visit(host, pair.room_id))
    assert (visit.room_id, visit.role) == (pair.room_id, Role.HOST)

    assert await breakouts.end(host.room_id, None, number=started.plan.number + 1) is None
    await expect_error("not_host", breakouts.end(host.room_id, ann))
    assert await breakouts.end(host.room_id, co) == started.plan
    assert await breakouts.end(host.room_id, host) is None  # once
    await expect_error("forbidden", deployment.service.join(mine))  # the breakout is over
    await breakouts.close_rooms(host.room_id, started.plan)
    assert await deployment.rooms.get_room(pair.room_id) is None
    again = await breakouts.start(host, 5, [[bob.identity, ann.identity]])
    assert again.plan.number == 2 and again.rooms[0].room_id != pair.room_id


async def test_a_host_visiting_a_pair_keeps_hosting(deployment: Deployment) -> None:
    host, (co, *_pair) = await seated(deployment, CO, PART, PART)
    await deployment.service.breakouts.start(host, 5)
    await deployment.service.leave(host.room_id, host.identity)  # off to visit a pair
    state = await deployment.tables.settle_host(host.room_id)
    assert state.host == host.identity and state.host_away_since is not None
    deployment.clock.advance(HOST_GRACE_S * 3)  # however long the visit
    state = await deployment.tables.settle_host(host.room_id)
    assert state.host == host.identity and state.role_of(co.identity) is CO


async def test_a_pair_room_holds_the_roundtables_bans_and_hard_mutes(
        deployment: Deployment) -> None:
    host, (ann, bob) = await seated(deployment, PART, PART)
    await deployment.tables.mute(host, ann.identity, TrackKind.VIDEO)
    breakouts = deployment.service.breakouts
    started = await breakouts.start(host, 5)
    (pair,) = started.rooms
    assert (await deployment.tables.state(pair.room_id)).is_muted(ann.identity, TrackKind.VIDEO)
    await deployment.tables.ban(host, bob.identity)  # removed after the pairs began
    token = breakouts.pair_token(bob, pair.room_id, PART, pair.expires_at)
    await expect_error("banned", deployment.service.join(deployment.signer.verify(token)))
    await breakouts.end(host.room_id, host)
    await expect_error("invalid_breakout", breakouts.start(host, 5, [[ann.identity,
                                                                        bob.identity]]))
