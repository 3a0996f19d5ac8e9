"""Crash safety: the server process is SIGKILLed 8 s into a recording; after a restart
the recording is listed (admin API), marked recovered, and each track plays >= 7 s."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from tests.live_server import ADMIN_KEY, token_of
from tests.media.recording.probe import decode_errors, duration
from tests.server_process import ServerProcess

from .client import SignalClient
from .participant import Participant


async def admin_get(base_url: str, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(
            base_url + path, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_a_recording_killed_mid_way_is_recovered_and_plays_after_a_restart(
    redis_url: str, tmp_path: Path,
) -> None:
    settings: dict[str, Any] = {"redis_url": redis_url,
                                "recordings_dir": tmp_path / "recordings"}
    first = ServerProcess(**settings).start()
    try:
        room = await first.create_room()
        people = [Participant(name, await SignalClient().connect(first.base_url))
                  for name in ("Ada", "Grace")]
        try:
            for who, role in zip(people, ("mentor", "mentee"), strict=True):
                await who.join(token_of(room["links"][role]))
                await who.publish()
            await asyncio.sleep(1.0)
            ack = await people[0].signal.call("start_recording", {})
            assert ack["ok"], ack
            recording_id = ack["recording"]["recording_id"]
            assert (await people[1].signal.call("recording_consent", {"accepted": True}))["ok"]
            await asyncio.sleep(8.0)
            first.kill()
        finally:
            for who in people:
                await who.close()
    finally:
        first.stop()
    with ServerProcess(**settings) as second:
        listed = await admin_get(second.base_url, f"/api/recordings?room_id={room['room_id']}")
        assert [r["recording_id"] for r in listed] == [recording_id], listed
        (recording,) = listed
        assert recording["state"] == "recovered"
        assert 7.0 <= recording["duration_s"] <= 9.0  # until the files end, not the restart
        tracks = [f for f in recording["files"] if f["kind"] == "track"]
        assert {(f["peer"], f["track_kind"]) for f in tracks} == {
            (who.identity, kind) for who in people for kind in ("audio", "video")}
        assert any(f["name"] == "consent.json" for f in recording["files"])
        folder = tmp_path / "recordings" / recording_id
        for file in tracks:
            path = folder / file["name"]
            assert file["size"] == path.stat().st_size
            assert duration(path) >= 7.0, (file["name"], duration(path))
            assert decode_errors(path) == ""
