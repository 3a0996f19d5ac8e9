"""A throwaway network namespace joined to this host by a veth pair (needs root).

The namespace holds one end of the pair and nothing else (its loopback stays down):
from inside, the only address it can reach is the host end's. Tests run a client in
it (``run``) to prove something works through one address only (a TURN server's), or
cut the path between the ends (:meth:`cut`, :meth:`restore`: a network outage).
Deleting the namespace deletes the pair; :meth:`delete` runs in finalisers and never
raises.
"""

from __future__ import annotations

import ipaddress
import os
import random
import subprocess
from types import TracebackType

# 100.64.0.0/10 (shared address space): not on this machine's interfaces, not routed
# from here anywhere; one /30 per namespace.
POOL = ipaddress.ip_network("100.64.0.0/10")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True,
                          timeout=10)


def _addresses_in_use() -> str:
    return _ip("-4", "-o", "addr", "show").stdout


class NetNamespace:
    """``ip netns add`` with a unique name, a veth pair, a /30 between the ends."""

    def __init__(self) -> None:
        tag = f"{os.getpid() & 0xFFFF:04x}{random.randrange(0x10000):04x}"
        self.name = f"mc-turn-{tag}"
        self._host_link = f"mct{tag}h"  # interface names: at most 15 characters
        self._ns_link = f"mct{tag}n"
        self.host_address = ""
        self.inside_address = ""
        self._created = False

    def create(self) -> NetNamespace:
        used = _addresses_in_use()
        while True:
            block = random.randrange(POOL.num_addresses // 4)
            base = POOL.network_address + 4 * block
            host, inside = str(base + 1), str(base + 2)
            if f" {host}/" not in used and f" {inside}/" not in used:
                break
        self.host_address, self.inside_address = host, inside
        _ip("netns", "add", self.name)
        self._created = True
        try:
            _ip("link", "add", self._host_link, "type", "veth", "peer", "name", self._ns_link)
            _ip("link", "set", self._ns_link, "netns", self.name)
            _ip("addr", "add", f"{host}/30", "dev", self._host_link)
            _ip("link", "set", self._host_link, "up")
            _ip("-n", self.name, "addr", "add", f"{inside}/30", "dev", self._ns_link)
            _ip("-n", self.name, "link", "set", self._ns_link, "up")
        except BaseException:
            self.delete()
            raise
        return self

    @property
    def network(self) -> str:
        """The /30 between the two ends."""
        return str(ipaddress.ip_network(f"{self.host_address}/30", strict=False))

    def cut(self) -> None:
        """Take the host end down: every packet between the ends is dropped (no FIN, no
        RST: the endpoints notice only by silence) until :meth:`restore`."""
        _ip("link", "set", self._host_link, "down")

    def restore(self) -> None:
        _ip("link", "set", self._host_link, "up")

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def delete(self) -> None:
        """Remove the namespace and both ends of the pair (idempotent, never raises)."""
        if self._created:
            _ip("netns", "delete", self.name, check=False)
            self._created = False
        _ip("link", "delete", self._host_link, check=False)  # if the move failed

    def __enter__(self) -> NetNamespace:
        return self.create()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.delete()
