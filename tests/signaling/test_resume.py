"""Resume over Socket.IO: a dropped client comes back as the same participant with its
resume token, within the grace period only, and only as the identity of its join token."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.live_server import LiveServer, free_port, live_server, token_of

from .client import SignalClient
from .resuming import ResumingClient

GRACE_S = 3.0


async def join(server: LiveServer, token: str, **extra: Any) -> tuple[SignalClient, Any]:
    client = await SignalClient().connect(server.base_url)
    return client, await client.call("join", {"token": token, **extra})


async def roster(server: LiveServer, room_id: str) -> list[str]:
    snapshot = await server.services.service.snapshot(room_id)
    return [p.identity for p in snapshot.participants]


async def test_a_dropped_client_resumes_its_seat_and_the_other_sees_no_leave_or_join(
        ) -> None:
    async with live_server(disconnect_grace_s=GRACE_S) as server:
        room = await server.create_room("Ada", "Grace")
        mentor_token = token_of(room["links"]["mentor"])
        mentor, first = await join(server, mentor_token)
        mentee, _ = await join(server, token_of(room["links"]["mentee"]))
        try:
            assert first["ok"] and first["resumed"] is False
            token = first["resume_token"]
            assert isinstance(token, str) and len(token) >= 32
            mentee.drain()
            await mentor.sio.eio.disconnect(abort=True)  # the network path is gone
            await asyncio.sleep(0.5)
            again, ack = await join(server, mentor_token, resume_token=token)
            assert ack["ok"], ack
            assert ack["resumed"] is True
            assert ack["you"]["identity"] == first["you"]["identity"]
            assert ack["you"]["joined_at"] == first["you"]["joined_at"]  # its place kept
            assert ack["resume_token"] not in (token, None)
            assert "replaced" not in [name for name, _ in again.drain()]
            await asyncio.sleep(GRACE_S + 1.5)  # past the old connection's grace period
            names = [name for name, _ in mentee.drain()]
            assert "participant_left" not in names and "participant_joined" not in names
            identities = await roster(server, room["room_id"])
            assert sorted(identities) == sorted({*identities})  # no duplicate
            assert len(identities) == 2
            # the token was single-use: the old one no longer resumes
            third, reused = await join(server, mentor_token, resume_token=token)
            assert reused["ok"] is False and reused["error"]["code"] == "resume_invalid"
            await third.close()
            await again.close()
        finally:
            await mentor.close()
            await mentee.close()


async def test_a_resume_token_does_not_work_with_another_identitys_join_token() -> None:
    async with live_server(disconnect_grace_s=GRACE_S) as server:
        room = await server.create_room("Ada", "Grace")
        mentor, mentor_ack = await join(server, token_of(room["links"]["mentor"]))
        mentee, mentee_ack = await join(server, token_of(room["links"]["mentee"]))
        try:
            thief, ack = await join(server, token_of(room["links"]["mentee"]),
                                    resume_token=mentor_ack["resume_token"])
            assert ack["ok"] is False and ack["error"]["code"] == "resume_invalid"
            assert ack["error"]["message"]
            await thief.close()
            # nobody was displaced: both connections still speak for their participants
            assert await mentor.call("mute", {"kind": "audio", "muted": True}) == {"ok": True}
            assert await mentee.call("mute", {"kind": "audio", "muted": True}) == {"ok": True}
            assert sorted(await roster(server, room["room_id"])) == sorted(
                [mentor_ack["you"]["identity"], mentee_ack["you"]["identity"]])
        finally:
            await mentor.close()
            await mentee.close()


async def test_after_the_grace_period_the_token_is_refused_and_a_fresh_join_works() -> None:
    async with live_server(disconnect_grace_s=0.5, presence_interval_s=0.5) as server:
        room = await server.create_room("Ada", "Grace")
        mentor_token = token_of(room["links"]["mentor"])
        mentor, first = await join(server, mentor_token)
        mentee, _ = await join(server, token_of(room["links"]["mentee"]))
        try:
            await mentor.sio.eio.disconnect(abort=True)
            left = await mentee.next_event("participant_left")
            assert left == {"identity": first["you"]["identity"], "reason": "disconnected"}
            late, ack = await join(server, mentor_token, resume_token=first["resume_token"])
            assert ack["ok"] is False and ack["error"]["code"] == "resume_expired"
            fresh = await late.call("join", {"token": mentor_token})
            assert fresh["ok"] and fresh["resumed"] is False
            joined = await mentee.next_event("participant_joined")
            assert joined["participant"]["identity"] == first["you"]["identity"]
            await late.close()
        finally:
            await mentor.close()
            await mentee.close()


async def test_a_resume_while_the_old_connection_still_looks_alive_closes_it_quietly(
        ) -> None:
    # A network cut the server has not noticed yet: the resumed connection takes over,
    # the old one is closed without `replaced` (the same client, not another tab).
    async with live_server(disconnect_grace_s=GRACE_S) as server:
        room = await server.create_room("Ada", "Grace")
        mentor_token = token_of(room["links"]["mentor"])
        old, first = await join(server, mentor_token)
        mentee, _ = await join(server, token_of(room["links"]["mentee"]))
        try:
            mentee.drain()
            new, ack = await join(server, mentor_token, resume_token=first["resume_token"])
            assert ack["ok"] and ack["resumed"] is True
            for _ in range(50):
                if not old.sio.connected:
                    break
                await asyncio.sleep(0.1)
            assert not old.sio.connected
            assert "replaced" not in [name for name, _ in old.drain()]
            names = [name for name, _ in mentee.drain()]
            assert "participant_left" not in names and "participant_joined" not in names
            assert len(await roster(server, room["room_id"])) == 2
            await new.close()
        finally:
            await old.close()
            await mentee.close()


async def test_the_test_client_joins_afresh_when_it_comes_back_after_the_grace() -> None:
    # tests/signaling/resuming.py, as the browser client: `resume_expired`, then a plain
    # join (the other sees the seat go and come back).
    async with live_server(disconnect_grace_s=0.5, presence_interval_s=0.5) as server:
        room = await server.create_room("Ada", "Grace")
        mentor, _ = await join(server, token_of(room["links"]["mentor"]))
        reports: list[dict[str, Any]] = []
        mentee = ResumingClient(server.base_url, token_of(room["links"]["mentee"]),
                                report=reports.append)
        try:
            await mentee.start()
            entry = mentee.entry_url
            mentee.entry_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
            assert mentee.current is not None
            await mentee.current.signal.sio.eio.disconnect(abort=True)
            left = await mentor.next_event("participant_left")
            assert left["identity"] == mentee.identity
            mentee.entry_url = entry  # reachable again, past the grace period
            joined = await mentor.next_event("participant_joined", timeout=15)
            assert joined["participant"]["identity"] == mentee.identity
            assert {"event": "resume_refused", "code": "resume_expired"} in reports
            assert mentee.joins[-1]["resumed"] is False
        finally:
            await mentee.close()
            await mentor.close()


async def test_a_resumed_participant_keeps_its_recording_consent() -> None:
    async with live_server(disconnect_grace_s=GRACE_S) as server:
        room = await server.create_room("Ada", "Grace")
        mentee_token = token_of(room["links"]["mentee"])
        mentor, _ = await join(server, token_of(room["links"]["mentor"]))
        mentee, first = await join(server, mentee_token)
        again = None
        try:
            assert (await mentor.call("start_recording", {}))["ok"]
            consent = await mentee.call("recording_consent", {"accepted": True})
            identity = first["you"]["identity"]
            assert consent["recording"]["consent"][identity] == "accepted"
            await mentee.sio.eio.disconnect(abort=True)
            again, ack = await join(server, mentee_token, resume_token=first["resume_token"])
            assert ack["resumed"] is True
            assert ack["recording"]["recording"] is True
            assert ack["recording"]["consent"][identity] == "accepted"  # not asked again
        finally:
            if again is not None:
                await again.close()
            await mentor.close()
            await mentee.close()
