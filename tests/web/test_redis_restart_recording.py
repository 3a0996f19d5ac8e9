"""A recording in progress through a Redis restart without persistence: the process
recording it writes its record back (with the consent given so far and the room's
policy), so it can still be stopped and ends filed with its track files."""

from __future__ import annotations

import asyncio
import logging

import pytest

from rooms.recordings.model import ConsentDecision, FileKind, RecordingState
from tests.redis_server import RedisServer
from tests.web.test_redis_faults import no_bug_logged
from tests.web.test_redis_restart import coffee_call, flowing, restartable
from web.recordings.setup import RECORDINGS


async def test_a_recording_in_progress_survives_the_restart_and_stops_filed(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with restartable(own_redis) as (server, stack, raw):
        store = server.app[RECORDINGS].store
        room, mentor, mentee = await coffee_call(server, stack)
        ack = await mentor.signal.call("start_recording", {})
        assert ack["ok"], ack
        recording_id = ack["recording"]["recording_id"]
        assert (await mentee.signal.call("recording_consent", {"accepted": True}))["ok"]
        before = await store.get(recording_id)
        assert before is not None and before.is_active

        own_redis.restart()  # empty
        participants_key = server.services.store.room_keys(  # type: ignore[attr-defined]
            room["room_id"])[1]

        async def rebuilt() -> bool:
            return len(await raw.hgetall(participants_key)) == 2 and \
                await store.get(recording_id) is not None

        async with asyncio.timeout(10):
            while not await rebuilt():  # noqa: ASYNC110 (Redis sets no event)
                await asyncio.sleep(0.05)
        again = await store.get(recording_id)
        assert again is not None and again.is_active
        assert again.consent == before.consent
        assert (await store.active(room["room_id"])) == again
        await flowing(mentor, mentee)

        assert await mentor.signal.call("stop_recording", {}) == {"ok": True}
        async with asyncio.timeout(10):
            while (done := await store.get(recording_id)) is None or \
                    done.state is not RecordingState.STOPPED:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert [(e.identity, e.decision) for e in done.consent] == [
            (mentor.identity, ConsentDecision.ACCEPTED),
            (mentee.identity, ConsentDecision.ACCEPTED)]
        tracks = [f for f in done.files if f.kind is FileKind.TRACK]
        assert len(tracks) == 4 and all(f.size > 0 for f in tracks)  # 2 people x 2 kinds
    no_bug_logged(caplog)
