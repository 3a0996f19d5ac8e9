"""``mentorcall serve --workers N``: N worker processes on one machine, each a node.

Worker ``i`` (0-based) listens on ``MENTORCALL_PORT + i`` and is reached at its own node
URL: ``MENTORCALL_NODE_URL`` with ``{port}`` / ``{i}`` filled in, or the bind address
with that port. Its node id is ``MENTORCALL_NODE_ID-i`` when an id is given, else
random. With ``MENTORCALL_METRICS_BIND`` set, worker ``i`` opens its metrics listener on
that port + ``i`` (port 0: a free one each). Nodes meet in Redis, so
``MENTORCALL_REDIS_URL`` is required. The parent forwards SIGTERM and SIGINT to every
worker (each drains, see web/nodes/runner.py) and waits for them all; its exit status is
the worst of theirs. A worker that exits before it listens (start-up failed) stops them
all: the parent says which one and exits 1. One that exits later is reported; the
others keep serving.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from types import FrameType

from ..settings import PREFIX, Settings, split_bind

POLL_S = 0.2
STARTUP_S = 120.0  # a worker not listening after this long counts as failed
READY_FD = PREFIX + "WORKER_READY_FD"  # the worker writes a byte there once it listens


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
    if settings.metrics_bind:
        metrics_host, metrics_port = split_bind(settings.metrics_bind)
        metrics_host = f"[{metrics_host}]" if ":" in metrics_host else metrics_host
        env[PREFIX + "METRICS_BIND"] = (
            f"{metrics_host}:{metrics_port + index if metrics_port else 0}")
    return env


def check_workers(settings: Settings, count: int) -> str | None:
    """Why ``count`` workers cannot run with these settings, or None."""
    if not settings.redis_url:
        return "--workers needs MENTORCALL_REDIS_URL: the nodes meet in Redis"
    if count < 1:
        return "--workers needs at least 1 worker"
    if settings.port + count - 1 > 65535 or settings.port == 0:
        return "--workers needs a fixed MENTORCALL_PORT with room for every worker's port"
    if settings.metrics_bind and split_bind(settings.metrics_bind)[1] + count - 1 > 65535:
        return ("--workers needs room after MENTORCALL_METRICS_BIND's port for every "
                "worker's metrics port (worker i uses that port + i)")
    if count > 1 and settings.node_url and not any(
            mark in settings.node_url for mark in ("{port}", "{i}")):
        return ("with several workers MENTORCALL_NODE_URL must contain {port} or {i}: "
                "each node is reached at its own URL")
    return None


def _ready(pipe: int) -> bool:
    """Whether the worker wrote to its ready pipe (it listens: web/nodes/runner.py)."""
    try:
        return bool(os.read(pipe, 1))
    except BlockingIOError:
        return False


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every worker still running, SIGKILL to those left after 10 s."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def run_workers(settings: Settings, count: int) -> int:
    """Start the workers (``count`` 0: one per core) and wait for them (see above)."""
    count = count or os.cpu_count() or 1
    problem = check_workers(settings, count)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    pipes = [os.pipe() for _ in range(count)]
    workers = [subprocess.Popen([sys.executable, "-m", "web.cli", "serve"], pass_fds=(write,),
                                env={**worker_env(settings, i, os.environ),
                                     READY_FD: str(write)})
               for i, (_, write) in enumerate(pipes)]
    for read, write in pipes:
        os.close(write)
        os.set_blocking(read, False)
    print(f"mentorcall: {count} workers on ports {settings.port}-{settings.port + count - 1}",
          flush=True)

    stopping = [False]

    def forward(signum: int, frame: FrameType | None) -> None:
        stopping[0] = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    started = [False] * count
    reported = [False] * count
    deadline = time.monotonic() + STARTUP_S
    while any(worker.poll() is None for worker in workers):
        for i, worker in enumerate(workers):
            port = settings.port + i
            if not started[i] and _ready(pipes[i][0]):
                started[i] = True
                if all(started):
                    print(f"mentorcall: all {count} workers listening", flush=True)
            if worker.poll() is None:
                if not started[i] and time.monotonic() > deadline:
                    worker.terminate()
                continue
            if stopping[0] or reported[i]:
                continue
            reported[i] = True
            if not started[i]:
                print(f"error: mentorcall worker {i} (port {port}) exited with status "
                      f"{worker.returncode} before it listened (its error is above); "
                      f"stopping all {count} workers", file=sys.stderr, flush=True)
                _stop(workers)
                for read, _ in pipes:
                    os.close(read)
                return 1
            print(f"mentorcall: worker {i} (port {port}) exited with status "
                  f"{worker.returncode}; {sum(w.poll() is None for w in workers)} "
                  f"of {count} workers still serving", file=sys.stderr, flush=True)
        time.sleep(POLL_S)
    for read, _ in pipes:
        os.close(read)
    return max(abs(worker.returncode or 0) for worker in workers)
