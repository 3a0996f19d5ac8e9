"""`mentorcall serve --workers N` when things go wrong: each worker's own metrics port
(MENTORCALL_METRICS_BIND + i), a worker that cannot start stops them all (exit 1, saying
which), and one that dies later is reported. Real worker processes on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from tests.live_server import ADMIN_KEY, SECRET, free_port
from tests.server_process import ROOT, listening
from web.nodes.workers import worker_env
from web.settings import Settings


def test_each_worker_gets_its_own_metrics_port() -> None:
    settings = Settings(port=9000, redis_url="redis://x", metrics_bind="127.0.0.1:9100")
    base = {"MENTORCALL_METRICS_BIND": "127.0.0.1:9100"}
    assert worker_env(settings, 0, base)["MENTORCALL_METRICS_BIND"] == "127.0.0.1:9100"
    assert worker_env(settings, 2, base)["MENTORCALL_METRICS_BIND"] == "127.0.0.1:9102"
    v6 = Settings(port=9000, redis_url="redis://x", metrics_bind="[::1]:0")
    assert worker_env(v6, 1, base)["MENTORCALL_METRICS_BIND"] == "[::1]:0"


def two_free_ports() -> int:
    port = free_port()
    while listening(port + 1):
        port = free_port()
    return port


@asynccontextmanager
async def workers(redis_url: str, port: int, log: Path,
                  **settings: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """``serve --workers 2`` on ports ``port`` and ``port + 1``, its output in ``log``."""
    with tempfile.TemporaryDirectory(prefix="mentorcall-workers-") as data, log.open("wb") as out:
        env = {**os.environ, "MENTORCALL_REDIS_URL": redis_url, "MENTORCALL_SECRET": SECRET,
               "MENTORCALL_ADMIN_KEY": ADMIN_KEY, "MENTORCALL_DATA_DIR": data,
               "MENTORCALL_PORT": str(port),
               **{f"MENTORCALL_{k.upper()}": v for k, v in settings.items()}}
        parent = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "web.cli", "serve", "--workers", "2", cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT)
        try:
            yield parent
        finally:
            if parent.returncode is None:
                parent.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(parent.wait(), 30)
                except TimeoutError:
                    parent.kill()
                    await parent.wait()


async def until_listening(*ports: int) -> None:
    for _ in range(300):
        if all(listening(port) for port in ports):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not all of {ports} listen")


async def scraped_node(port: int) -> str:
    async with aiohttp.ClientSession() as http, http.get(
            f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return text.split('node="', 1)[1].split('"', 1)[0]


async def test_workers_with_a_metrics_bind_each_serve_metrics_on_their_own_port(
        redis_url: str, tmp_path: Path) -> None:
    port, metrics = two_free_ports(), two_free_ports()
    log = tmp_path / "workers.log"
    async with workers(redis_url, port, log, node_id="m",
                       metrics_bind=f"127.0.0.1:{metrics}") as parent:
        await until_listening(port, port + 1, metrics, metrics + 1)
        assert parent.returncode is None, log.read_text()
        assert (await scraped_node(metrics), await scraped_node(metrics + 1)) == ("m-0", "m-1")
    assert parent.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()


async def test_a_worker_failing_at_start_up_stops_all_with_a_clear_error(
        redis_url: str, tmp_path: Path) -> None:
    port = two_free_ports()
    log = tmp_path / "workers.log"
    with socket.socket() as taken:  # worker 1's port is taken: it cannot listen
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        async with workers(redis_url, port, log) as parent:
            assert await asyncio.wait_for(parent.wait(), 60) == 1, log.read_text()
    text = log.read_text()
    assert f"worker 1 (port {port + 1}) exited with status 1 before it listened" in text, text
    assert f"cannot listen on 127.0.0.1:{port + 1}" in text, text
    assert not listening(port)  # worker 0 was stopped too


async def test_a_worker_dying_later_is_reported_and_the_other_keeps_serving(
        redis_url: str, tmp_path: Path) -> None:
    port = two_free_ports()
    log = tmp_path / "workers.log"
    async with workers(redis_url, port, log) as parent:
        for _ in range(300):  # until the parent knows both listen
            if "all 2 workers listening" in log.read_text():
                break
            await asyncio.sleep(0.1)
        os.kill(_worker_listening_on(parent.pid, port + 1), signal.SIGKILL)
        for _ in range(100):
            if "exited with status -9" in log.read_text():
                break
            await asyncio.sleep(0.1)
        text = log.read_text()
        assert f"worker 1 (port {port + 1}) exited with status -9; 1 of 2 workers still serving" \
            in text, text
        assert parent.returncode is None and listening(port)
    assert parent.returncode == 9


def _worker_listening_on(parent: int, port: int) -> int:
    """The pid of ``parent``'s child that listens on ``port``."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    assert len(children) == 2
    found = [int(pid) for pid in children if f":{port:04X} " in _tcp_listens(int(pid))]
    assert len(found) == 1
    return found[0]


def _tcp_listens(pid: int) -> str:
    """The /proc/net/tcp lines of the listening sockets ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    lines = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    return "\n".join(line for line in lines
                     if line.split()[3] == "0A" and line.split()[9] in inodes)
