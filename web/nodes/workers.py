"""``mentorcall serve --workers N``: N worker processes on one machine, each a node.

Worker ``i`` (0-based) listens on ``MENTORCALL_PORT + i`` and is reached at its own node
URL: ``MENTORCALL_NODE_URL`` with ``{port}`` / ``{i}`` filled in, or the bind address
with that port. Its node id is ``MENTORCALL_NODE_ID-i`` when an id is given, else
random. Nodes meet in Redis, so ``MENTORCALL_REDIS_URL`` is required. The parent
forwards SIGTERM and SIGINT to every worker (each drains, see web/nodes/runner.py) and
waits for them all; its exit status is the worst of theirs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from types import FrameType

from ..settings import PREFIX, Settings

POLL_S = 0.2


def worker_env(settings: Settings, index: int, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of worker ``index``."""
    port = settings.port + index
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = (settings.node_url.replace("{port}", str(port)).replace("{i}", str(index))
           if settings.node_url else f"http://{host}:{port}")
    env = {**base, PREFIX + "HOST": settings.host, PREFIX + "PORT": str(port),
           PREFIX + "NODE_URL": url}
    if settings.node_id:
        env[PREFIX + "NODE_ID"] = f"{settings.node_id}-{index}"
    return env


def check_workers(settings: Settings, count: int) -> str | None:
    """Why ``count`` workers cannot run with these settings, or None."""
    if not settings.redis_url:
        return "--workers needs MENTORCALL_REDIS_URL: the nodes meet in Redis"
    if count < 1:
        return "--workers needs at least 1 worker"
    if settings.port + count - 1 > 65535 or settings.port == 0:
        return "--workers needs a fixed MENTORCALL_PORT with room for every worker's port"
    if count > 1 and settings.node_url and not any(
            mark in settings.node_url for mark in ("{port}", "{i}")):
        return ("with several workers MENTORCALL_NODE_URL must contain {port} or {i}: "
                "each node is reached at its own URL")
    return None


def run_workers(settings: Settings, count: int) -> int:
    """Start the workers (``count`` 0: one per core) and wait for them (see above)."""
    count = count or os.cpu_count() or 1
    problem = check_workers(settings, count)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    workers = [subprocess.Popen([sys.executable, "-m", "web.cli", "serve"],
                                env=worker_env(settings, i, os.environ))
               for i in range(count)]
    print(f"mentorcall: {count} workers on ports {settings.port}-{settings.port + count - 1}",
          flush=True)

    def forward(signum: int, frame: FrameType | None) -> None:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    while any(worker.poll() is None for worker in workers):
        time.sleep(POLL_S)
    return max(abs(worker.returncode or 0) for worker in workers)
