"""A throwaway real redis-server for tests: private unix socket, no persistence (or AOF
with ``appendonly=True``: its data then survives :meth:`RedisServer.restart`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import redis

from tests.processes import end_process

DEFAULT_BINARY = "/usr/bin/redis-server"


def find_redis_server() -> str:
    """Path of redis-server: $REDIS_SERVER, then PATH, then /usr/bin; RuntimeError if none."""
    candidates = [os.environ.get("REDIS_SERVER"), shutil.which("redis-server"), DEFAULT_BINARY]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(
        "redis-server not found (set $REDIS_SERVER or install redis); "
        "the Redis store tests need a real server"
    )


class RedisServer:
    """Starts ``redis-server`` listening only on a unix socket in a fresh temp dir."""

    def __init__(self, binary: str | None = None, startup_timeout_s: float = 10.0,
                 appendonly: bool = False) -> None:
        self._binary = binary or find_redis_server()
        self._appendonly = appendonly
        self._timeout = startup_timeout_s
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        if self._dir is None:
            raise RuntimeError("redis-server is not running")
        return self._dir / "redis.sock"

    @property
    def url(self) -> str:
        """A ``unix://`` URL for redis-py."""
        return f"unix://{self.socket_path}"

    def start(self) -> RedisServer:
        # mkdtemp under /tmp keeps the socket path well below the 107-byte limit.
        self._dir = Path(tempfile.mkdtemp(prefix="mc-redis-", dir="/tmp"))
        self._launch()
        return self

    def _launch(self) -> None:
        assert self._dir is not None
        log = self._dir / "redis.log"
        options = {
            "port": "0",  # no TCP listener: parallel test sessions cannot collide
            "bind": "127.0.0.1",
            "unixsocket": str(self.socket_path),
            "unixsocketperm": "700",
            "save": "",
            # AOF: every write is on disk before it is answered (survives SIGKILL)
            "appendonly": "yes" if self._appendonly else "no",
            "appendfsync": "always",
            "dir": str(self._dir),
            "logfile": str(log),
            "daemonize": "no",
        }
        args = [self._binary] + [a for k, v in options.items() for a in (f"--{k}", v)]
        self._proc = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready(log)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, log: Path) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                text = log.read_text() if log.exists() else ""
                raise RuntimeError(f"redis-server exited with {self._proc.returncode}:\n{text}")
            if self.socket_path.exists():
                client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    pass
                finally:
                    client.close()
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer PING within {self._timeout}s")

    def flush(self) -> None:
        """Empty every database."""
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)
        try:
            client.flushall()
        finally:
            client.close()

    def kill(self, hard: bool = False) -> None:
        """Stop the server process (SIGTERM, or SIGKILL when ``hard``): its data is gone
        without persistence; the socket path stays reserved for :meth:`restart`."""
        if self._proc is not None:
            self.resume()
            end_process(self._proc, 5, hard)
            self._proc = None
        if self._dir is not None:
            self.socket_path.unlink(missing_ok=True)

    def restart(self, hard: bool = False) -> None:
        """A new server on the same socket (after :meth:`kill`, or now): empty, or with
        what its AOF kept."""
        self.kill(hard)
        self._launch()

    def pause(self) -> None:
        """SIGSTOP the server: connections stay open and nothing answers (a hung Redis)."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause` (harmless otherwise)."""
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.kill()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


async def key_ttls(client: Any) -> dict[str, int]:
    """PTTL of every key in the database (-1: no TTL)."""
    return {str(key): await client.pttl(key) for key in await client.keys("*")}
