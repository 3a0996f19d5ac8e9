"""Contract of the roundtable service over both stores: mutes, hands, timer, breakout, and
concurrent changes ending in one consistent state."""

from __future__ import annotations

import asyncio

from rooms.errors import RoomError
from rooms.grants import JoinGrant
from rooms.models import Role, TrackKind
from rooms.roundtables.model import HardMute, RoundtableState
from tests.rooms.builders import expect_error
from tests.rooms.roundtables.builders import Deployment

PART, CO = Role.PARTICIPANT, Role.CO_HOST
AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO


async def seated(deployment: Deployment, *roles: Role,
                 capacity: int = 12) -> tuple[JoinGrant, list[JoinGrant]]:
    """A roundtable with its host and one person per role, all in; (host, others)."""
    made = await deployment.create(*((f"P{i}", r) for i, r in enumerate(roles)),
                                   capacity=capacity)
    host = await deployment.join(made.host_token)
    return host, [await deployment.join(i.token) for i in made.invites]


async def test_only_a_host_lifts_a_hard_mute(deployment: Deployment) -> None:
    host, (co, ben) = await seated(deployment, CO, PART)
    tables = deployment.tables
    state = await tables.mute(co, ben.identity, AUDIO)
    assert state.is_muted(ben.identity, AUDIO) and not state.is_muted(ben.identity, VIDEO)
    assert (await tables.mute(host, ben.identity, AUDIO)).revision == state.revision
    await expect_error("not_host", tables.unmute(ben, ben.identity, AUDIO))
    await expect_error("target_is_host", tables.mute(co, host.identity, VIDEO))
    await expect_error("unknown_participant", tables.mute(co, "nobody", VIDEO))
    state = await tables.unmute(host, ben.identity, AUDIO)
    assert state.mutes == []


async def test_mute_all_mutes_the_participants_present(deployment: Deployment) -> None:
    host, (co, ben, cy, _oli) = await seated(deployment, CO, PART, PART, Role.OBSERVER)
    await deployment.service.leave(host.room_id, cy.identity)
    state = await deployment.tables.mute_all(co, VIDEO)
    assert state.mutes == [HardMute(identity=ben.identity, kind=VIDEO)]


async def test_hands_queue_in_order_and_go_down(deployment: Deployment) -> None:
    host, (co, ben, cy, di) = await seated(deployment, CO, PART, PART, PART)
    tables = deployment.tables
    for grant in (cy, ben, di, cy):  # raising again keeps the first place
        deployment.clock.advance(1)
        state = await tables.raise_hand(grant)
    assert state.hand_queue() == [cy.identity, ben.identity, di.identity]
    await expect_error("not_host", tables.lower_hand(ben, cy.identity))
    state = await tables.lower_hand(ben)
    assert state.hand_queue() == [cy.identity, di.identity]
    await expect_error("hand_not_raised", tables.call_on(co, ben.identity))
    state = await tables.call_on(co, cy.identity, seconds=90)
    assert state.hand_queue() == [di.identity] and state.called_on == cy.identity
    assert state.timer is not None and (state.timer.identity, state.timer.seconds,
                                        state.timer.ends_at) == (
        cy.identity, 90, deployment.clock.now() + 90)
    state = await tables.lower_hand(host, di.identity)
    assert state.hands == []
    await deployment.service.leave(host.room_id, ben.identity)  # a leaver's hand goes too
    await tables.raise_hand(cy)
    await deployment.service.leave(host.room_id, cy.identity)
    assert (await tables.state(host.room_id)).hands == []


async def test_speaking_timer_and_breakout_plan(deployment: Deployment) -> None:
    host, (ben, cy) = await seated(deployment, PART, PART)
    tables = deployment.tables
    for seconds in (0, 3601):
        await expect_error("invalid_timer", tables.start_timer(host, ben.identity, seconds))
    state = await tables.start_timer(host, ben.identity, 120)
    assert state.timer is not None and state.timer.started_at == deployment.clock.now()
    assert (await tables.stop_timer(host)).timer is None
    later = deployment.clock.now() + 600
    for pairs, ends_at in (([], later), ([(ben.identity, ben.identity)], later),
                           ([(ben.identity, "nobody")], later),
                           ([(ben.identity, cy.identity)], deployment.clock.now() - 1),
                           ([(ben.identity, cy.identity), (cy.identity, host.identity)],
                            later)):
        await expect_error("invalid_breakout", tables.set_breakout(host, pairs, ends_at))
    state = await tables.set_breakout(host, [(ben.identity, cy.identity)], later)
    assert state.breakout is not None and state.breakout.pairs == [(ben.identity, cy.identity)]
    assert (await tables.clear_breakout(host)).breakout is None


async def test_fifty_concurrent_raises_queue_each_hand_once(deployment: Deployment) -> None:
    host, people = await seated(deployment, *([PART] * 49), capacity=50)
    everyone = [host, *people]
    other = deployment.peer()
    before = (await deployment.tables.state(host.room_id)).revision
    # Every hand raised twice at once, through two "processes".
    await asyncio.gather(*(d.tables.raise_hand(g) for g in everyone
                           for d in (deployment, other)))
    state = await deployment.tables.state(host.room_id)
    queue = state.hand_queue()
    assert sorted(queue) == sorted(g.identity for g in everyone)
    assert len(queue) == len(set(queue)) == 50
    assert state.revision == before + 50  # one write per hand: the second raise is a no-op


async def test_two_hosts_muting_and_unmuting_end_consistent(deployment: Deployment) -> None:
    host, (co, ben) = await seated(deployment, CO, PART)
    other = deployment.peer()
    calls = []
    for i in range(20):
        calls.append(deployment.tables.mute(host, ben.identity, AUDIO) if i % 2 else
                     deployment.tables.unmute(host, ben.identity, AUDIO))
        calls.append(other.tables.unmute(co, ben.identity, AUDIO) if i % 2 else
                     other.tables.mute(co, ben.identity, AUDIO))
    results: list[RoundtableState] = list(await asyncio.gather(*calls))
    final = await deployment.tables.state(host.room_id)
    # Each write got its own revision (none lost), and the last one is what is stored.
    latest = max(results, key=lambda s: s.revision)
    assert final == latest
    assert final.mutes in ([], [HardMute(identity=ben.identity, kind=AUDIO)])
    writes = {s.revision for s in results}
    assert final.revision - min(writes) + 1 == len(writes)


async def test_bans_racing_a_rejoin_never_leave_the_banned_seated(
        deployment: Deployment) -> None:
    made = await deployment.create(("Ben", PART))
    host = await deployment.join(made.host_token)
    ben = await deployment.join(made.invites[0].token)
    await deployment.service.leave(host.room_id, ben.identity)
    results = await asyncio.gather(deployment.peer().join(made.invites[0].token),
                                   deployment.tables.ban(host, ben.identity),
                                   return_exceptions=True)
    assert not isinstance(results[1], BaseException)
    if not isinstance(results[0], RoomError):  # joined before the ban: the kick follows
        await deployment.service.leave(host.room_id, ben.identity)
    else:
        assert results[0].code == "banned"
    snapshot = await deployment.service.snapshot(host.room_id)
    assert [p.identity for p in snapshot.participants] == [host.identity]
    await expect_error("banned", deployment.join(made.invites[0].token))
