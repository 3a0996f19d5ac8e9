"""The composition seen through the admin API of a live server: state and percent on
``GET /api/recordings/{id}`` while the app's runner works, then the composed file listed
and downloadable through a signed link."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import aiohttp

from tests.live_server import live_server
from tests.rooms.recordings.builders import recording
from web.recordings.composer import COMPOSED_NAME
from web.recordings.setup import RECORDINGS


async def test_progress_and_the_composed_file_are_on_the_admin_api(call: Path) -> None:
    async with live_server(composition_width=640, composition_height=360) as server, \
            aiohttp.ClientSession() as http:
        recordings = server.app[RECORDINGS]
        assert recordings.composer is not None
        await asyncio.to_thread(shutil.copytree, call, recordings.local.folder("rec-1"))
        await recordings.store.create(recording("rec-1", active=False))
        await recordings.composer.enqueue("rec-1")
        admin = {"Authorization": f"Bearer {server.admin_key}"}
        url = f"{server.base_url}/api/recordings/rec-1"
        seen: list[tuple[str, float]] = []
        body: dict[str, Any] = {}
        async with asyncio.timeout(150):
            while not seen or seen[-1][0] not in ("done", "failed"):
                response = await http.get(url, headers=admin)
                assert response.status == 200
                body = await response.json()
                now = (body["composition"]["state"], body["composition"]["percent"])
                if not seen or seen[-1] != now:
                    seen.append(now)
                await asyncio.sleep(0.05)
        assert seen[-1] == ("done", 100.0), seen
        running = [percent for state, percent in seen if state == "running"]
        assert len(running) > 3 and running == sorted(running)
        composed = [f for f in body["files"] if f["name"] == COMPOSED_NAME]
        assert composed and composed[0]["kind"] == "composed"

        response = await http.post(f"{url}/files/{COMPOSED_NAME}/link", headers=admin)
        assert response.status == 200
        link = await response.json()
        download = await http.get(link["url"], headers={"Range": "bytes=0-3"})
        assert download.status == 206
        assert await download.read() == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file
        assert link["size"] == composed[0]["size"]
