"""Resume across server processes on one Redis: the process serving a client is killed
(SIGKILL), the client reconnects through the entry address, which now leads to another
process, and resumes its seat there with its resume token (checked in Redis): the same
participant, no leave or join for the other, and its media flows again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.live_server import token_of
from tests.server_process import ServerProcess
from tests.signaling.client import SignalClient
from tests.signaling.resuming import ResumingClient
from tests.signaling.subscribing import SubscribingParticipant

GRACE_S = 5.0
INTERVAL_S = 0.5


@pytest.fixture
def two_servers(redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    settings: dict[str, Any] = {"redis_url": redis_url, "disconnect_grace_s": GRACE_S,
                                "presence_interval_s": INTERVAL_S,
                                "socket_ping_interval_s": 2.5, "socket_ping_timeout_s": 2.5}
    with ServerProcess(**settings) as one, ServerProcess(**settings) as two:
        yield one, two


async def test_a_client_whose_process_died_resumes_on_another(
        two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    one, two = two_servers
    room = await one.create_room()
    mentor = SubscribingParticipant(await SignalClient().connect(one.base_url), seed=1)
    reports: list[dict[str, Any]] = []
    mentee = ResumingClient(two.base_url, token_of(room["links"]["mentee"]), seed=2,
                            report=reports.append)
    try:
        await mentor.join(token_of(room["links"]["mentor"]))
        await mentor.publish()
        await mentee.start()
        identity = mentee.identity
        await mentor.signal.next_event("participant_joined")
        mentor.signal.drain()

        mentee.entry_url = one.base_url  # the load balancer's next pick: a live process
        two.kill()

        async def rejoined() -> None:
            while len(mentee.joins) < 2:  # noqa: ASYNC110 (the reconnect runs in a task)
                await asyncio.sleep(0.05)
            await mentee.connected.wait()

        await asyncio.wait_for(rejoined(), 15)
        assert [r["event"] for r in reports].count("disconnected") == 1
        resumed = mentee.joins[-1]
        assert resumed["resumed"] is True and resumed["you"]["identity"] == identity

        # the mentee's video again, now through process one's SFU
        await mentor.wait_carrying({identity})
        assert mentee.current is not None
        await mentor.wait_media_from(mentee.current)
        await asyncio.sleep(GRACE_S + 2 * INTERVAL_S)  # past the dead process's lease
        names = [name for name, _ in mentor.signal.drain()]
        assert "participant_left" not in names and "participant_joined" not in names
        assert await mentor.signal.call("mute", {"kind": "audio", "muted": False}) == {
            "ok": True}  # the mentor's own connection was never disturbed
        assert "resume_refused" not in [r["event"] for r in reports]
    finally:
        await mentee.close()
        await mentor.close()
