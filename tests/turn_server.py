"""A throwaway real coturn ``turnserver`` for tests (Debian's coturn package).

Foreground (no daemon), a config file in a temp dir, the REST-API shared-secret
scheme (``use-auth-secret``), UDP only, no CLI, no TLS, its own listening port and
relay ports. It relays to the media server only (``denied-peer-ip`` everything but
``allowed-peer-ip``, as docs/operations.md advises), and ``allow-loopback-peers``: in
tests the media server is on 127.0.0.1, a peer coturn refuses by default.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.processes import end_process

DEFAULT_BINARY = "/usr/bin/turnserver"
REALM = "mentorcall.test"
STUN_MAGIC = 0x2112A442


def find_turnserver() -> str:
    """Path of turnserver: $TURNSERVER, then PATH, then /usr/bin; RuntimeError if none."""
    for candidate in (os.environ.get("TURNSERVER"), shutil.which("turnserver"),
                      DEFAULT_BINARY):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("turnserver not found (install Debian's coturn; ./dev.sh test does)")


def free_udp_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def stun_binding_answered(address: str, port: int, timeout_s: float = 0.2) -> bool:
    """True if a STUN Binding request to ``address:port`` gets a success response."""
    transaction = secrets.token_bytes(12)
    request = struct.pack("!HHI", 0x0001, 0, STUN_MAGIC) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.sendto(request, (address, port))
            data = sock.recv(2048)
        except OSError:
            return False
    return len(data) >= 20 and data[:2] == b"\x01\x01" and data[8:20] == transaction


class TurnServer:
    """coturn listening and relaying on ``address`` with the shared ``secret``."""

    def __init__(self, address: str, secret: str, peer: str = "127.0.0.1",
                 startup_timeout_s: float = 10.0) -> None:
        self.address = address
        self.peer = peer  # the only address it relays to
        self.secret = secret
        self.port = 0
        self._timeout = startup_timeout_s
        self._binary = find_turnserver()
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"turn:{self.address}:{self.port}?transport=udp"

    @property
    def log(self) -> str:
        path = self._dir / "turn.log" if self._dir else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def start(self) -> TurnServer:
        self._dir = Path(tempfile.mkdtemp(prefix="mc-turn-", dir="/tmp"))
        self.port = free_udp_port(self.address)
        relay_low = random.randrange(40000, 59000)
        config = self._dir / "turnserver.conf"
        config.write_text("\n".join([
            f"listening-ip={self.address}",
            f"listening-port={self.port}",
            f"relay-ip={self.address}",
            f"min-port={relay_low}",
            f"max-port={relay_low + 400}",
            "use-auth-secret",
            f"static-auth-secret={self.secret}",
            f"realm={REALM}",
            "fingerprint",
            "no-tcp", "no-tls", "no-dtls", "no-tcp-relay", "no-cli", "no-rfc5780",
            "no-multicast-peers", "allow-loopback-peers", "no-software-attribute",
            "denied-peer-ip=0.0.0.0-255.255.255.255", f"allowed-peer-ip={self.peer}",
            f"userdb={self._dir / 'turndb'}",
            f"pidfile={self._dir / 'turnserver.pid'}",
            f"log-file={self._dir / 'turn.log'}",
            "simple-log", "no-stdout-log", "verbose",
            "",
        ]))
        config.chmod(0o600)  # it holds the secret
        self._proc = subprocess.Popen([self._binary, "-c", str(config)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"turnserver exited with {self._proc.returncode}:\n{self.log}")
            if stun_binding_answered(self.address, self.port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"turnserver did not answer STUN within {self._timeout}s:\n{self.log}")

    def stop(self) -> None:
        if self._proc is not None:
            end_process(self._proc, 5)
            self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> TurnServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
