"""A real mentorcall server in its own OS process (``python -m web.cli serve``).

For tests that need several processes on one Redis, or a process killed with SIGKILL.
Every server started here uses the same secret and admin key as ``tests.live_server``,
so join tokens issued by one are accepted by all.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from tests.live_server import ADMIN_KEY, SECRET, free_port
from tests.processes import end_process

ROOT = Path(__file__).resolve().parents[1]


class ServerProcess:
    """Starts the server with ``MENTORCALL_*`` settings and waits for ``/api/health``."""

    def __init__(self, startup_timeout_s: float = 30.0, **settings: Any) -> None:
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="mentorcall-proc-")
        self._env = {
            **os.environ,
            "MENTORCALL_HOST": "127.0.0.1",
            "MENTORCALL_PORT": str(self.port),
            "MENTORCALL_SECRET": SECRET,
            "MENTORCALL_ADMIN_KEY": ADMIN_KEY,
            "MENTORCALL_DATA_DIR": self._dir.name,
            **{f"MENTORCALL_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self._timeout_s = startup_timeout_s
        self._log = Path(self._dir.name) / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen([sys.executable, "-m", "web.cli", "serve"],
                                          cwd=ROOT, env=self._env, stdout=log,
                                          stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log()}")
            if listening(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start:\n{self.log()}")

    def log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye to Redis or to clients."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait()
            self._proc = None

    def pause(self) -> None:
        """SIGSTOP: the process stalls (no heartbeat, no answers) until :meth:`resume`."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)

    def send_sigterm(self) -> None:
        """SIGTERM without waiting (the node drains, then exits: :meth:`wait_exit`)."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout_s: float) -> int:
        """The exit status once the process ends (TimeoutExpired after ``timeout_s``)."""
        assert self._proc is not None
        code = self._proc.wait(timeout=timeout_s)
        self._proc = None
        return code

    def stop(self) -> None:
        if self._proc is not None:
            end_process(self._proc, 10)
            self._proc = None

    async def create_room(self) -> dict[str, Any]:
        """POST /api/rooms as an admin; the JSON body."""
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.base_url}/api/rooms",
                json={"mentor_name": "Ada", "mentee_name": "Grace"},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
            body: dict[str, Any] = await response.json()
            assert response.status == 201, body
            return body

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        self._dir.cleanup()


def listening(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
