"""TURN credentials by coturn's REST-API scheme (coturn's own check is in
tests/signaling/test_turn_relay.py): username, HMAC, expiry, and the join ack."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from rooms.clock import ManualClock
from signaling.turn import (
    TurnConfig,
    ice_servers_for,
    issue_credential,
    turn_password,
    turn_username,
)
from tests.live_server import live_server, token_of

from .client import SignalClient

SECRET = "north-wind-0123456789abcdef-0123456789"


def test_password_is_base64_hmac_sha1_of_the_username() -> None:
    # computed apart: printf %s 1700003600:u_ada | openssl dgst -sha1 -hmac "$SECRET"
    # -binary | base64
    assert turn_password(SECRET, "1700003600:u_ada") == "Pu1zNgnHO0Sd9KznTjG4QbRfHLs="
    assert turn_password(SECRET + "x", "1700003600:u_ada") != "Pu1zNgnHO0Sd9KznTjG4QbRfHLs="


def test_username_is_expiry_then_participant() -> None:
    assert turn_username(1700003600, "u_ada") == "1700003600:u_ada"
    for bad in ("", "a:b"):
        with pytest.raises(ValueError):
            turn_username(1700003600, bad)


def test_a_credential_lasts_the_ttl_or_until_the_room_ends() -> None:
    config = TurnConfig(("turn:turn.example.org:3478",), SECRET, ttl_s=3600)
    issued = issue_credential(config, "u_ada", now=1_700_000_000.2)
    assert issued.expires_at == 1_700_003_601  # rounded up: never shorter than the TTL
    assert issued.username == "1700003601:u_ada"
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), issued.username.encode(), hashlib.sha1).digest()).decode()
    assert issued.credential == expected
    longer = issue_credential(config, "u_ada", now=1_700_000_000, lasts_until=1_700_009_000)
    assert longer.expires_at == 1_700_009_000
    assert SECRET not in repr(config) and issued.credential not in repr(issued)


def test_configuration_is_checked() -> None:
    for urls, secret, ttl in (((), SECRET, 60), (("stun:x:3478",), SECRET, 60),
                              (("turn:x:3478",), "", 60), (("turn:x:3478",), SECRET, 0)):
        with pytest.raises(ValueError):
            TurnConfig(urls, secret, ttl)


def test_ice_servers_entry_is_an_rtc_ice_server() -> None:
    config = TurnConfig(("turn:198.51.100.7:3478", "turns:turn.example.org:5349"), SECRET)
    servers = ice_servers_for(("stun:198.51.100.7:3478",), config, "u_ada", now=1000.0)
    assert servers[0] == {"urls": "stun:198.51.100.7:3478"}
    assert servers[1] == {
        "urls": ["turn:198.51.100.7:3478", "turns:turn.example.org:5349"],
        "username": "4600:u_ada",
        "credential": turn_password(SECRET, "4600:u_ada"),
    }
    assert ice_servers_for((), None, "u_ada", now=1000.0) == []


async def test_join_ack_hands_each_participant_its_own_credential() -> None:
    clock = ManualClock(1_700_000_000.0)
    async with live_server(clock, turn_urls=("turn:127.0.0.1:3478",), turn_secret=SECRET,
                           turn_ttl_s=600) as server:
        room = await server.create_room("Ada", "Grace", duration_minutes=30)
        acks = []
        for role in ("mentor", "mentee"):
            client = await SignalClient().connect(server.base_url)
            try:
                ack = await client.call("join", {"token": token_of(room["links"][role])})
            finally:
                await client.close()
            assert ack["ok"], ack
            acks.append(ack)
    for ack in acks:
        [turn] = ack["ice_servers"]
        # the room ends 30 min after now, later than the 10 min TTL
        assert turn["username"] == f"{1_700_000_000 + 1800}:{ack['you']['identity']}"
        assert turn["credential"] == turn_password(SECRET, turn["username"])
        assert turn["urls"] == ["turn:127.0.0.1:3478"]
    assert acks[0]["ice_servers"] != acks[1]["ice_servers"]
