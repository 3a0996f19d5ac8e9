"""A roundtable member who resumes keeps what the room gave them: the lobby does not
take them back, their role (a promotion), raised hand and a host's hard mute stay, and
the others see no one leave or arrive."""

from __future__ import annotations

from tests.live_server import live_server

from .roundtable import Member, create_roundtable

PEOPLE = [("Pat", "participant")]


async def test_a_resumed_member_keeps_role_hand_and_hard_mute_without_the_lobby() -> None:
    async with live_server(disconnect_grace_s=5.0) as server:
        room = await create_roundtable(server.base_url, PEOPLE, lobby=True)
        room_id = room["room_id"]
        tables = server.services.service.roundtables
        host, pat = await Member.connect(server.base_url), await Member.connect(server.base_url)
        again = await Member.connect(server.base_url)
        try:
            await host.join(room["tokens"]["host"])
            assert (await pat.join(room["tokens"]["Pat"]))["waiting"]
            await host.ok("admit", {"identity": pat.identity})
            await pat.signal.next_event("admitted")
            first = await pat.join(room["tokens"]["Pat"])
            await pat.ok("raise_hand")
            await host.ok("promote", {"identity": pat.identity})
            await host.ok("hard_mute", {"identity": pat.identity, "kind": "video",
                                        "muted": True})
            before = await tables.state(room_id)
            assert before.role_of(pat.identity) is not None
            host.signal.drain()

            await pat.signal.sio.eio.disconnect(abort=True)
            ack = await again.join(room["tokens"]["Pat"], resume_token=first["resume_token"])
            assert ack["resumed"] is True and "waiting" not in ack  # not back in the lobby
            assert ack["you"]["role"] == before.role_of(pat.identity).value  # type: ignore[union-attr]
            after = await tables.state(room_id)
            assert after.role_of(pat.identity) == before.role_of(pat.identity)
            assert [h.identity for h in after.hands] == [pat.identity]
            assert after.is_muted(pat.identity, "video")  # type: ignore[arg-type]
            refused = await again.call("mute", {"kind": "video", "muted": False})
            assert refused["error"]["code"] == "hard_muted"
            names = [name for name, _ in host.signal.drain()]
            assert "participant_left" not in names and "participant_joined" not in names
            snapshot = await server.services.service.snapshot(room_id)
            assert sorted(p.identity for p in snapshot.participants) == sorted(
                [host.identity, pat.identity])
        finally:
            for member in (host, pat, again):
                await member.close()


async def test_someone_removed_while_away_is_told_banned_on_resuming() -> None:
    """Review 3, finding 6: they were told `resume_expired` ("away too long"), then
    `banned` on the fresh join the client makes after it."""
    async with live_server(disconnect_grace_s=30.0) as server:
        room = await create_roundtable(server.base_url, PEOPLE)
        host, pat = await Member.connect(server.base_url), await Member.connect(server.base_url)
        again = await Member.connect(server.base_url)
        try:
            await host.join(room["tokens"]["host"])
            first = await pat.join(room["tokens"]["Pat"])
            await pat.signal.sio.eio.disconnect(abort=True)
            await host.ok("remove", {"identity": pat.identity})
            refused = await again.call("join", {"token": room["tokens"]["Pat"],
                                                "resume_token": first["resume_token"]})
            assert refused["ok"] is False and refused["error"]["code"] == "banned", refused
        finally:
            for member in (host, pat, again):
                await member.close()


async def test_a_member_back_after_the_grace_period_in_a_locked_room_may_come_in() -> None:
    """The ban check before the resume leaves a locked room alone: a member whose seat
    lapsed is told `resume_expired` and comes back in with a fresh join."""
    async with live_server(disconnect_grace_s=0.5) as server:
        room = await create_roundtable(server.base_url, PEOPLE)
        tables = server.services.service.roundtables
        host, pat = await Member.connect(server.base_url), await Member.connect(server.base_url)
        again = await Member.connect(server.base_url)
        try:
            await host.join(room["tokens"]["host"])
            first = await pat.join(room["tokens"]["Pat"])
            await pat.signal.sio.eio.disconnect(abort=True)
            await host.event_where("participant_left", lambda d: d["identity"] == pat.identity)
            await host.ok("set_locked", {"locked": True})
            state = await tables.state(room["room_id"])
            assert state.role_of(pat.identity) is not None  # a member may come back in
            refused = await again.call("join", {"token": room["tokens"]["Pat"],
                                                "resume_token": first["resume_token"]})
            assert refused["error"]["code"] == "resume_expired", refused
            back = await again.join(room["tokens"]["Pat"])
            assert back["you"]["identity"] == pat.identity
        finally:
            for member in (host, pat, again):
                await member.close()
