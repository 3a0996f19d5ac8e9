"""A network namespace joined to the host by a veth pair, made (and removed) by a test.

Needs root and ``ip`` (CI runs as root). The host end gets ``HOST/30``, the namespace end
``PEER/30``; nothing else is routed. :meth:`Netns.cut` takes the host end down, so every
packet between the two ends is dropped (no FIN, no RST: a cut the endpoints only notice
by silence) until :meth:`Netns.restore`.
"""

from __future__ import annotations

import os
import subprocess
from types import TracebackType


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class Netns:
    """``with Netns(index) as ns:`` a namespace ``ns.name`` reachable at ``ns.peer``."""

    def __init__(self, index: int = 0) -> None:
        tag = f"{os.getpid() % 100000}{index}"
        self.name = f"mcns{tag}"
        self.host_if = f"mch{tag}"
        self.peer_if = f"mcp{tag}"
        subnet = 64 + (os.getpid() + index) % 128
        self.host = f"10.213.{subnet}.1"
        self.peer = f"10.213.{subnet}.2"
        self.network = f"10.213.{subnet}.0/30"

    def __enter__(self) -> Netns:
        ip("netns", "add", self.name)
        try:
            ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
            ip("link", "set", self.peer_if, "netns", self.name)
            ip("addr", "add", f"{self.host}/30", "dev", self.host_if)
            ip("link", "set", self.host_if, "up")
            self.exec_ip("addr", "add", f"{self.peer}/30", "dev", self.peer_if)
            self.exec_ip("link", "set", self.peer_if, "up")
            self.exec_ip("link", "set", "lo", "up")
        except BaseException:
            self.remove()
            raise
        return self

    def exec_ip(self, *args: str) -> None:
        ip("netns", "exec", self.name, "ip", *args)

    def command(self, *argv: str) -> list[str]:
        """``argv`` to run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def cut(self) -> None:
        ip("link", "set", self.host_if, "down")

    def restore(self) -> None:
        ip("link", "set", self.host_if, "up")

    def remove(self) -> None:
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.remove()
