"""`mentorcall serve --workers N`: N real worker processes, each a node on its own port;
the parent forwards SIGTERM and waits. Refused without Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile

import pytest

from tests.live_server import ADMIN_KEY, SECRET, free_port
from tests.server_process import ROOT, listening
from tests.web.test_nodes_three import listed_nodes
from web.cli import main
from web.nodes.workers import check_workers, worker_env
from web.settings import Settings


def test_workers_need_redis_and_a_url_per_node(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "9000", "serve", "--workers", "2"]) == 2
    assert "needs MENTORCALL_REDIS_URL" in capsys.readouterr().err
    redis = "redis://127.0.0.1:1"
    assert check_workers(Settings(port=9000, redis_url=redis), 2) is None
    assert "own URL" in str(check_workers(
        Settings(port=9000, node_url="https://calls.example.org", redis_url=redis), 2))
    assert check_workers(Settings(port=65535, redis_url=redis), 2) is not None


def test_each_worker_is_a_node_of_its_own_port_and_url() -> None:
    settings = Settings(host="10.0.0.5", port=9000, node_id="box",
                        node_url="https://calls.example.org/n{i}/", redis_url="redis://x")
    env = worker_env(settings, 2, {"KEEP": "1"})
    assert (env["KEEP"], env["MENTORCALL_PORT"], env["MENTORCALL_HOST"]) == (
        "1", "9002", "10.0.0.5")
    assert env["MENTORCALL_NODE_URL"] == "https://calls.example.org/n2/"
    assert env["MENTORCALL_NODE_ID"] == "box-2"
    plain = worker_env(Settings(port=9000, redis_url="redis://x"), 1, {})
    assert plain["MENTORCALL_NODE_URL"] == "http://127.0.0.1:9001"
    assert "MENTORCALL_NODE_ID" not in plain


async def test_serve_workers_runs_two_nodes_and_stops_them_on_sigterm(redis_url: str) -> None:
    port = free_port()
    while listening(port + 1):
        port = free_port()
    with tempfile.TemporaryDirectory(prefix="mentorcall-workers-") as data:
        env = {**os.environ, "MENTORCALL_REDIS_URL": redis_url, "MENTORCALL_SECRET": SECRET,
               "MENTORCALL_ADMIN_KEY": ADMIN_KEY, "MENTORCALL_DATA_DIR": data,
               "MENTORCALL_PORT": str(port), "MENTORCALL_NODE_ID": "w"}
        parent = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "web.cli", "serve", "--workers", "2", cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                if listening(port) and listening(port + 1):
                    break
                await asyncio.sleep(0.1)
            nodes = []
            for _ in range(50):  # until both have beaten once
                nodes = await listed_nodes(f"http://127.0.0.1:{port + 1}")
                if len(nodes) == 2:
                    break
                await asyncio.sleep(0.1)
            assert {(n["node_id"], n["url"]) for n in nodes} == {
                ("w-0", f"http://127.0.0.1:{port}"), ("w-1", f"http://127.0.0.1:{port + 1}")}
            parent.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(parent.wait(), 30) == 0
            assert not listening(port) and not listening(port + 1)
        finally:
            if parent.returncode is None:
                parent.kill()
                await parent.wait()
