"""Who may record a roundtable: its hosts with the record grant, by their role now."""

from __future__ import annotations

import asyncio

from rooms.recordings.model import RecordingState
from tests.live_server import live_server
from web.recordings.setup import RECORDINGS

from .roundtable import Member, create_roundtable


async def test_a_roundtables_host_records_and_a_demoted_host_no_longer_may() -> None:
    async with live_server() as server:
        created = await create_roundtable(server.base_url, [("Ana", "participant")])
        host, ana = await Member.connect(server.base_url), await Member.connect(server.base_url)
        try:
            await host.join(created["tokens"]["host"])
            await ana.join(created["tokens"]["Ana"])
            refused = await ana.call("start_recording")
            assert refused["error"]["code"] == "not_allowed_to_record"

            started = await host.call("start_recording")
            assert started["ok"] and started["recording"]["started_by"] == host.identity
            asked = await ana.signal.next_event("recording_state")
            assert asked["recording"] and ana.identity not in asked["consent"]
            assert (await ana.call("stop_recording"))["error"]["code"] == \
                "not_allowed_to_record"
            assert await host.call("stop_recording") == {"ok": True}

            # The host hands over and is demoted: their token's grant no longer suffices.
            await host.ok("hand_over", {"identity": ana.identity})
            await ana.ok("demote", {"identity": host.identity})
            refused = await host.call("start_recording")
            assert refused["error"]["code"] == "not_allowed_to_record"
            # Ana hosts now, but her link carries no record grant.
            refused = await ana.call("start_recording")
            assert refused["error"]["code"] == "not_allowed_to_record"
            assert "no record grant" in refused["error"]["message"]
        finally:
            await host.signal.close()
            await ana.signal.close()


async def test_a_co_host_invited_as_one_records_like_the_host() -> None:
    async with live_server() as server:
        created = await create_roundtable(server.base_url, [("Cole", "co-host")])
        host, cole = await Member.connect(server.base_url), await Member.connect(server.base_url)
        try:
            await host.join(created["tokens"]["host"])
            await cole.join(created["tokens"]["Cole"])
            started = await cole.call("start_recording")
            assert started["ok"] and started["recording"]["started_by"] == cole.identity
            assert (await host.signal.next_event("recording_state"))["recording"]
            assert await cole.call("stop_recording") == {"ok": True}
        finally:
            await host.signal.close()
            await cole.signal.close()


async def test_ending_the_room_stops_and_files_its_recording() -> None:
    async with live_server() as server:
        created = await create_roundtable(server.base_url, [("Ana", "participant")])
        host, ana = await Member.connect(server.base_url), await Member.connect(server.base_url)
        try:
            await host.join(created["tokens"]["host"])
            await ana.join(created["tokens"]["Ana"])
            started = await host.call("start_recording")
            recording_id = started["recording"]["recording_id"]
            await host.ok("end_room")
            store = server.app[RECORDINGS].store
            for _ in range(100):  # filed in the background
                recording = await store.get(recording_id)
                if recording is not None and recording.file("consent.json") is not None:
                    break
                await asyncio.sleep(0.1)
            assert recording is not None and recording.state is RecordingState.STOPPED
            assert recording.file("consent.json") is not None
            assert await store.active(created["room_id"]) is None
        finally:
            await host.signal.close()
            await ana.signal.close()
