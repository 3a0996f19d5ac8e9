"""A job runner in its own process, as a server runs it (the restart test kills it).

``python -m tests.web.recordings.composer_child REDIS_URL ROOT``: a Composer on the
Redis recordings store and the folder ``ROOT``; prints ``child <pid>`` when a
composition process starts, then runs until killed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rooms.clock import SystemClock
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.redis_store import RedisRecordingStore
from rooms.recordings.service import RecordingService
from tests.web.recordings.composing import OPTIONS
from web.recordings.composer import Composer


async def main(redis_url: str, root: Path) -> None:
    store = RedisRecordingStore(redis_url, SystemClock())
    composer = Composer(RecordingService(store), LocalFolderStorage(root), OPTIONS)
    worker = asyncio.create_task(composer.run())
    while composer.child is None:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    print(f"child {composer.child.pid}", flush=True)
    await worker


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
