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
