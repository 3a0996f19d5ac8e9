"""Floods from one connection: mute toggles reach the room only at the documented rate,
and refused events are logged in aggregate, not one line each (real Socket.IO)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

import pytest

from rooms.clock import ManualClock
from tests.live_server import live_server, token_of

from .client import SignalClient

FLOOD = 300
MUTE_BURST = 10  # signaling.limits.ConnectionLimits' default


def refused_counts(caplog: pytest.LogCaptureFixture) -> dict[str, int]:
    """Refusals per code, summed over the aggregate log lines."""
    counts: dict[str, int] = {}
    for record in caplog.records:
        for code, n in re.findall(r"(\w+) x(\d+)", record.getMessage()):
            counts[code] = counts.get(code, 0) + int(n)
    return counts


async def wait_for(condition: Callable[[], bool], tries: int = 500) -> None:
    """Poll ``condition`` (the server logs after the client is gone) for up to ~10 s."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met")


async def test_a_mute_flood_reaches_the_other_side_only_within_the_limit(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(time.time())  # pinned: the bucket does not refill during the flood
    async with live_server(clock) as server:
        room = await server.create_room("Ada", "Grace")
        mentor = await SignalClient().connect(server.base_url)
        mentee = await SignalClient().connect(server.base_url)
        with caplog.at_level(logging.INFO, logger="signaling"):
            try:
                for client, role in ((mentor, "mentor"), (mentee, "mentee")):
                    joined = await client.call("join", {"token": token_of(room["links"][role])})
                    assert joined["ok"]
                acks = [await mentor.call("mute", {"kind": "audio", "muted": i % 2 == 0})
                        for i in range(FLOOD)]
                refused = [a for a in acks if not a["ok"]]
                assert len(acks) - len(refused) == MUTE_BURST
                assert {a["error"]["code"] for a in refused} == {"rate_limited"}
                clock.advance(60.0)  # refilled: a marker mute after the flood gets through
                assert (await mentor.call("mute", {"kind": "video", "muted": True}))["ok"]
                seen = []
                while (event := await mentee.next_event("track_muted"))["kind"] != "video":
                    seen.append(event)
                assert len(seen) == MUTE_BURST
            finally:
                await mentor.close()
                await mentee.close()
            await wait_for(lambda: refused_counts(caplog) == {"rate_limited": FLOOD - MUTE_BURST})
        lines = [r for r in caplog.records if "refused" in r.getMessage()]
        assert len(lines) == 2  # the first refusal at once, the rest when it disconnects


async def test_unknown_events_of_an_unjoined_socket_are_logged_in_aggregate(
        caplog: pytest.LogCaptureFixture) -> None:
    async with live_server(ManualClock(time.time())) as server:
        client = await SignalClient().connect(server.base_url)
        with caplog.at_level(logging.INFO):
            try:
                for i in range(FLOOD):
                    ack = await client.call(f"no_such_event_{i % 7}", {})
                    assert ack["error"]["code"] == "unknown_event"
            finally:
                await client.close()
            await wait_for(lambda: refused_counts(caplog).get("unknown_event") == FLOOD)
        lines = [r for r in caplog.records if r.name.startswith("signaling")]
        assert len(lines) == 2, [r.getMessage() for r in lines]  # the first, then the rest
        assert all(r.levelno == logging.INFO for r in lines)


async def test_reconnecting_does_not_refill_a_persons_join_budget() -> None:
    """Review 3, finding 3: the join/leave budget was the connection's, so a client that
    opened a new connection every 5 join+leave cycles was never refused. The person's
    budget (10 joins, then one every 2 s) spans their connections."""
    clock = ManualClock(time.time())  # pinned: no bucket refills during the test
    async with live_server(clock) as server:
        room = await server.create_room("Ada", "Grace")
        mentee = SignalClient()
        await mentee.connect(server.base_url)
        token = token_of(room["links"]["mentor"])
        answers: list[str] = []
        try:
            assert (await mentee.call("join", {"token": token_of(room["links"]["mentee"])}))["ok"]
            for _ in range(3):  # a fresh connection each time: its own budget of 10
                client = SignalClient()
                await client.connect(server.base_url)
                try:
                    for _ in range(5):
                        joined = await client.call("join", {"token": token})
                        if not joined["ok"]:
                            answers.append(joined["error"]["code"])
                            assert joined["error"]["retry_after_s"] > 0
                            break
                        answers.append("ok")
                        assert (await client.call("leave", {}))["ok"]
                finally:
                    await client.close()
            assert answers == ["ok"] * 10 + ["rate_limited"], answers
            assert (await mentee.call("leave", {}))["ok"]  # the other person's budget
            again = await mentee.call("join", {"token": token_of(room["links"]["mentee"])})
            assert again["ok"], again
        finally:
            await mentee.close()


async def test_resumes_spend_nothing_of_the_join_budget() -> None:
    """A person whose connection keeps dropping resumes as often as it needs: nobody
    else hears of a resume, so it is not counted (a few fresh joins on top still fit)."""
    clock = ManualClock(time.time())  # pinned: no bucket refills, no lease lapses
    async with live_server(clock) as server:
        room = await server.create_room("Ada", "Grace")
        token = token_of(room["links"]["mentee"])
        client = SignalClient()
        await client.connect(server.base_url)
        resume_token = (await client.call("join", {"token": token}))["resume_token"]
        try:
            for _ in range(12):
                await client.sio.eio.disconnect(abort=True)
                await client.close()
                client = SignalClient()
                await client.connect(server.base_url)
                ack = await client.call("join", {"token": token, "resume_token": resume_token})
                assert ack["ok"] and ack["resumed"], ack
                resume_token = ack["resume_token"]
            assert (await client.call("leave", {}))["ok"]
            assert (await client.call("join", {"token": token}))["ok"]
        finally:
            await client.close()
