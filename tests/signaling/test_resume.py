"""Resume over Socket.IO: a dropped client comes back as the same participant with its
resume token, within the grace period only, and only as the identity of its join token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from tests.live_server import LiveServer, free_port, live_server, token_of

from .client import SignalClient
from .resuming import ResumingClient

GRACE_S = 3.0


async def join(server: LiveServer, token: str, **extra: Any) -> tuple[SignalClient, Any]:
    client = await SignalClient().connect(server.base_url)
    return client, await client.call("join", {"token": token, **extra})


@dataclass
class Pair:
    """A room whose mentor and mentee have joined, each on a connection of its own."""

    room: dict[str, Any]
    tokens: dict[str, str]  # the join token of "mentor" and "mentee"
    mentor: SignalClient
    mentor_ack: Any
    mentee: SignalClient
    mentee_ack: Any


@asynccontextmanager
async def joined_pair(server: LiveServer) -> AsyncIterator[Pair]:
    """Ada (mentor) and Grace (mentee) joined to a new room; both connections closed after."""
    room = await server.create_room("Ada", "Grace")
    tokens = {role: token_of(room["links"][role]) for role in ("mentor", "mentee")}
    mentor, mentor_ack = await join(server, tokens["mentor"])
    mentee, mentee_ack = await join(server, tokens["mentee"])
    try:
        yield Pair(room, tokens, mentor, mentor_ack, mentee, mentee_ack)
    finally:
        await mentor.close()
        await mentee.close()


async def roster(server: LiveServer, room_id: str) -> list[str]:
    snapshot = await server.services.service.snapshot(room_id)
    return [p.identity for p in snapshot.participants]


async def test_a_dropped_client_resumes_its_seat_and_the_other_sees_no_leave_or_join(
        ) -> None:
    async with live_server(disconnect_grace_s=GRACE_S) as server, \
            joined_pair(server) as pair:
        first = pair.mentor_ack
        assert first["ok"] and first["resumed"] is False
        token = first["resume_token"]
        assert isinstance(token, str) and len(token) >= 32
        pair.mentee.drain()
        await pair.mentor.sio.eio.disconnect(abort=True)  # the network path is gone
        await asyncio.sleep(0.5)
        again, ack = await join(server, pair.tokens["mentor"], resume_token=token)
        assert ack["ok"], ack
        assert ack["resumed"] is True
        assert ack["you"]["identity"] == first["you"]["identity"]
        assert ack["you"]["joined_at"] == first["you"]["joined_at"]  # its place kept
        assert ack["resume_token"] not in (token, None)
        assert "replaced" not in [name for name, _ in again.drain()]
        await asyncio.sleep(GRACE_S + 1.5)  # past the old connection's grace period
        names = [name for name, _ in pair.mentee.drain()]
        assert "participant_left" not in names and "participant_joined" not in names
        identities = await roster(server, pair.room["room_id"])
        assert sorted(identities) == sorted({*identities})  # no duplicate
        assert len(identities) == 2
        # the token was single-use: the old one no longer resumes
        third, reused = await join(server, pair.tokens["mentor"], resume_token=token)
        assert reused["ok"] is False and reused["error"]["code"] == "resume_invalid"
        await third.close()
        await again.close()


async def test_a_resume_token_does_not_work_with_another_identitys_join_token() -> None:
    async with live_server(disconnect_grace_s=GRACE_S) as server, \
            joined_pair(server) as pair:
        thief, ack = await join(server, pair.tokens["mentee"],
                                resume_token=pair.mentor_ack["resume_token"])
        assert ack["ok"] is False and ack["error"]["code"] == "resume_invalid"
        assert ack["error"]["message"]
        await thief.close()
        # nobody was displaced: both connections still speak for their participants
        muted = {"kind": "audio", "muted": True}
        assert await pair.mentor.call("mute", muted) == {"ok": True}
        assert await pair.mentee.call("mute", muted) == {"ok": True}
        assert sorted(await roster(server, pair.room["room_id"])) == sorted(
            [pair.mentor_ack["you"]["identity"], pair.mentee_ack["you"]["identity"]])


async def test_after_the_grace_period_the_token_is_refused_and_a_fresh_join_works() -> None:
    async with live_server(disconnect_grace_s=0.5, presence_interval_s=0.5) as server, \
            joined_pair(server) as pair:
        first, mentor_token = pair.mentor_ack, pair.tokens["mentor"]
        await pair.mentor.sio.eio.disconnect(abort=True)
        left = await pair.mentee.next_event("participant_left")
        assert left == {"identity": first["you"]["identity"], "reason": "disconnected"}
        late, ack = await join(server, mentor_token, resume_token=first["resume_token"])
        assert ack["ok"] is False and ack["error"]["code"] == "resume_expired"
        fresh = await late.call("join", {"token": mentor_token})
        assert fresh["ok"] and fresh["resumed"] is False
        joined = await pair.mentee.next_event("participant_joined")
        assert joined["participant"]["identity"] == first["you"]["identity"]
        await late.close()


async def test_a_resume_while_the_old_connection_still_looks_alive_closes_it_quietly(
        ) -> None:
    # A network cut the server has not noticed yet: the resumed connection takes over,
    # the old one is closed without `replaced` (the same client, not another tab).
    async with live_server(disconnect_grace_s=GRACE_S) as server, \
            joined_pair(server) as pair:
        old = pair.mentor
        pair.mentee.drain()
        new, ack = await join(server, pair.tokens["mentor"],
                              resume_token=pair.mentor_ack["resume_token"])
        assert ack["ok"] and ack["resumed"] is True
        for _ in range(50):
            if not old.sio.connected:
                break
            await asyncio.sleep(0.1)
        assert not old.sio.connected
        assert "replaced" not in [name for name, _ in old.drain()]
        names = [name for name, _ in pair.mentee.drain()]
        assert "participant_left" not in names and "participant_joined" not in names
        assert len(await roster(server, pair.room["room_id"])) == 2
        await new.close()


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
    async with live_server(disconnect_grace_s=GRACE_S) as server, \
            joined_pair(server) as pair:
        first = pair.mentee_ack
        assert (await pair.mentor.call("start_recording", {}))["ok"]
        consent = await pair.mentee.call("recording_consent", {"accepted": True})
        identity = first["you"]["identity"]
        assert consent["recording"]["consent"][identity] == "accepted"
        await pair.mentee.sio.eio.disconnect(abort=True)
        again, ack = await join(server, pair.tokens["mentee"],
                                resume_token=first["resume_token"])
        try:
            assert ack["resumed"] is True
            assert ack["recording"]["recording"] is True
            assert ack["recording"]["consent"][identity] == "accepted"  # not asked again
        finally:
            await again.close()
