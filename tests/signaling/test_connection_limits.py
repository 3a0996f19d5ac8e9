"""The namespace applies the documented per-connection limits to real connections.

The server runs on a pinned clock, so the media rate limit does not depend on how fast
the machine is; a held join keeps events waiting for as long as the test needs.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from rooms.clock import ManualClock
from tests.live_server import live_server, token_of

from .client import SignalClient
from .spies import HandledEvents, Held


def code(ack: Any) -> str:
    return "ok" if ack.get("ok") else str(ack["error"]["code"])


async def test_media_events_get_a_burst_of_30_then_2_a_second() -> None:
    clock = ManualClock(time.time())
    async with live_server(clock) as server:
        client = await SignalClient().connect(server.base_url)
        try:
            # Counted before the handler runs: not joined, but each one spends a token.
            media = ("subscribe", {"publisher": "someone"})
            for _ in range(30):
                assert code(await client.call(*media)) == "not_joined"
            assert code(await client.call(*media)) == "rate_limited"
            answer = {"subscription_id": "x", "sdp": "v=0"}
            assert code(await client.call("subscription_answer", answer)) == "rate_limited"
            ours = {"subscription_id": "x", "version": 1, "sdp": "v=0"}
            assert code(await client.call("subscriber_answer", ours)) == "rate_limited"
            refused = await client.call("subscriber_restart", {})
            assert refused["error"]["code"] == "rate_limited"
            assert refused["error"]["retry_after_s"] == 0.5  # the clock stands: 1 token at 2/s
            assert code(await client.call("publish", {"sdp": "v=0"})) == "rate_limited"
            assert code(await client.call("leave", {})) == "not_joined"  # not a media event
            clock.advance(0.5)
            assert code(await client.call(*media)) == "not_joined"
            assert code(await client.call(*media)) == "rate_limited"
            # Another connection has its own budget.
            other = await SignalClient().connect(server.base_url)
            try:
                assert code(await other.call(*media)) == "not_joined"
            finally:
                await other.close()
        finally:
            await client.close()


async def test_at_most_16_events_wait_per_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        held = Held(server.services.store, "join", monkeypatch)
        handled = HandledEvents(server.services.namespace, monkeypatch)
        client = await SignalClient().connect(server.base_url)
        try:
            token = {"token": token_of(room["links"]["mentee"])}
            join = asyncio.create_task(client.call("join", token))
            await held.wait_entered()
            # Answers to no subscription: not rate-limited below a burst of 30 and each
            # handled at once, so only the queue bound can refuse them.
            answer = {"subscription_id": "none", "sdp": "v=0"}
            answers = [
                asyncio.create_task(client.call("subscription_answer", answer))
                for _ in range(20)
            ]
            await handled.wait_started("subscription_answer", 20)
            held.release()
            assert code(await join) == "ok"
            codes = [code(ack) for ack in await asyncio.gather(*answers)]
            # The join and 15 answers waited; the other 5 were refused at once.
            assert sorted(codes) == ["busy"] * 5 + ["unknown_subscription"] * 15, codes
            # the queue drained
            assert code(await client.call("subscription_answer", answer)) == (
                "unknown_subscription"
            )
        finally:
            await client.close()


async def test_join_and_leave_get_a_burst_of_10_then_one_every_2_s() -> None:
    """A connection looping join/leave made the whole room handle every cycle (review 2,
    finding 8): now 10 in a burst, then one every 2 s; a refused one changes nothing."""
    clock = ManualClock(time.time())
    async with live_server(clock) as server:
        room = await server.create_room("Ada", "Grace")
        mentor = await SignalClient().connect(server.base_url)
        mentee = await SignalClient().connect(server.base_url)
        try:
            assert code(await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))\
                == "ok"
            token = {"token": token_of(room["links"]["mentee"])}
            codes = []
            for _ in range(8):
                codes.append(code(await mentee.call("join", token)))
                codes.append(code(await mentee.call("leave", {})))
            assert codes == ["ok"] * 10 + ["rate_limited"] * 6, codes
            refused = await mentee.call("join", token)
            assert refused["error"]["retry_after_s"] == 2.0  # the clock stands
            await mentor.call("mute", {"kind": "audio", "muted": True})  # a barrier
            announced = [name for name, _ in mentor.drain()
                         if name in ("participant_joined", "participant_left")]
            assert announced == ["participant_joined", "participant_left"] * 5, announced
            clock.advance(2.0)
            assert code(await mentee.call("join", token)) == "ok"
            assert code(await mentee.call("leave", {})) == "rate_limited"
            # Another connection has its own budget.
            other = await SignalClient().connect(server.base_url)
            try:
                assert code(await other.call("join", token)) == "ok"
            finally:
                await other.close()
        finally:
            await mentor.close()
            await mentee.close()
