"""``local`` in MENTORCALL_ICE_ALLOWED_NETWORKS: this machine's own addresses as allowed
remote ICE candidates (web/local_addresses.py), and the start-up hint of `serve`."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from media.sfu import Sfu
from tests.live_server import live_server
from web.cli import media_hint
from web.local_addresses import loopback_only, own_addresses, with_own_addresses
from web.settings import Settings


def test_local_becomes_one_host_network_per_own_address() -> None:
    own = lambda: ["192.0.2.2", "fd00::2"]  # noqa: E731
    assert with_own_addresses(("127.0.0.0/8", "::1/128", "local"), own) == (
        "127.0.0.0/8", "::1/128", "192.0.2.2/32", "fd00::2/128")
    assert with_own_addresses((" LOCAL ", "10.0.0.0/8"), own) == (
        "192.0.2.2/32", "fd00::2/128", "10.0.0.0/8")
    assert with_own_addresses(("127.0.0.0/8", "::1/128"), own) == ("127.0.0.0/8", "::1/128")
    assert with_own_addresses(("local",), lambda: []) == ()


def test_own_addresses_are_real_interface_addresses_without_loopback_or_link_local() -> None:
    for text in own_addresses():
        ip = ipaddress.ip_address(text)
        assert not ip.is_loopback and not ip.is_link_local, text


@pytest.mark.parametrize(("hosts", "networks", "expected"), [
    (("127.0.0.1",), ("127.0.0.0/8", "::1/128"), True),
    (("127.0.0.1",), ("127.0.0.0/8", "local"), False),
    (("127.0.0.1",), ("0.0.0.0/0",), False),
    (("192.0.2.2",), ("127.0.0.0/8",), False),
])
def test_loopback_only(hosts: tuple[str, ...], networks: tuple[str, ...],
                       expected: bool) -> None:
    assert loopback_only(hosts, networks) is expected


def test_serve_says_what_a_browser_on_this_machine_needs(tmp_path: Path) -> None:
    default = Settings(data_dir=tmp_path)
    hint = media_hint(default)
    assert hint is not None and "--allow-loopback-in-peer-connection" in hint
    assert "MENTORCALL_ICE_ALLOWED_NETWORKS=127.0.0.0/8,::1/128,local" in hint
    opted_in = Settings(data_dir=tmp_path, ice_allowed_networks=("127.0.0.0/8", "local"))
    assert (media_hint(opted_in) or "").startswith("media: browsers on this machine may use")
    assert media_hint(Settings(data_dir=tmp_path, ice_hosts=("192.0.2.2",),
                               ice_allowed_networks=("0.0.0.0/0",))) is None


async def test_a_server_with_local_gives_the_sfu_concrete_networks() -> None:
    async with live_server(ice_allowed_networks=("127.0.0.0/8", "local")) as server:
        sfu: Sfu = server.services.sfu
        networks = sfu._config.ice_allowed_networks
        assert networks == ("127.0.0.0/8", *with_own_addresses(("local",)))
        for network in networks:
            ipaddress.ip_network(network)  # every one parses: no "local" left
