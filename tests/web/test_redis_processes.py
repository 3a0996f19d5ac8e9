"""Two real server processes on one Redis: events cross processes, dead seats expire.

The servers run as OS processes (``tests.server_process``); participants connect to one
or the other. Without the Socket.IO Redis manager an event emitted by one process never
reaches a participant on the other; without seat leases a participant whose process was
killed stays in the roster until the room's keys expire.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.live_server import token_of
from tests.server_process import ServerProcess
from tests.signaling.client import SignalClient

GRACE_S = 1.0
INTERVAL_S = 0.3


@pytest.fixture
def two_servers(redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    # room_placement off: both processes serve every room (the sticky-proxy setup), so one
    # room's participants can be held by both (tests/web/test_nodes_*.py: placement on).
    settings: dict[str, Any] = {"redis_url": redis_url, "disconnect_grace_s": GRACE_S,
                "presence_interval_s": INTERVAL_S, "room_placement": False}
    with ServerProcess(**settings) as one, ServerProcess(**settings) as two:
        yield one, two


async def test_an_event_emitted_by_one_process_reaches_a_participant_on_the_other(
        two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    one, two = two_servers
    room = await one.create_room()
    mentor = await SignalClient().connect(one.base_url)
    mentee = await SignalClient().connect(two.base_url)
    try:
        assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
        assert (await mentee.call("join", {"token": token_of(room["links"]["mentee"])}))["ok"]
        joined = await mentor.next_event("participant_joined")  # emitted by process two
        assert joined["participant"]["display_name"] == "Grace"
        assert (await mentee.call("leave", {}))["ok"]
        left = await mentor.next_event("participant_left")
        assert left == {"identity": joined["participant"]["identity"], "reason": "left"}
    finally:
        await mentor.close()
        await mentee.close()


async def test_a_participant_of_a_killed_process_leaves_the_roster_after_the_grace(
        two_servers: tuple[ServerProcess, ServerProcess], raw: aioredis.Redis) -> None:
    one, two = two_servers
    room = await one.create_room()
    mentor = await SignalClient().connect(one.base_url)
    mentee = await SignalClient().connect(two.base_url)
    try:
        assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
        ack = await mentee.call("join", {"token": token_of(room["links"]["mentee"])})
        assert ack["ok"]
        await mentor.next_event("participant_joined")
        two.kill()  # SIGKILL: no disconnect handling, no grace timer, nothing
        left = await mentor.next_event("participant_left", timeout=20)
        assert left == {"identity": ack["you"]["identity"], "reason": "disconnected"}
        seats = await raw.hkeys(f"mentorcall:room:{{{room['room_id']}}}:participants")
        assert len(seats) == 1  # the mentor, still connected through process one
    finally:
        await mentor.close()
        await mentee.close()
