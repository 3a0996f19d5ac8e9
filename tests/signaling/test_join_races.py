"""A connection that closes while its join is still awaiting the store, reached every run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.live_server import LiveServer, live_server, token_of

from .client import SignalClient
from .spies import HandledEvents, Held


def ignore_ack(*_: Any) -> None:
    """Ask for an ack the closed client will never read (the server still computes it)."""


async def join_then_close_mid_join(
    server: LiveServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """Join on a new connection, close it while the store join is held, return the ack."""
    held = Held(server.services.store, "join", monkeypatch)
    handled = HandledEvents(server.services.namespace, monkeypatch)
    client = await SignalClient().connect(server.base_url)
    await client.sio.emit("join", {"token": token}, callback=ignore_ack)
    await held.wait_entered()
    await client.close()
    await handled.wait_handled("disconnect")  # the server saw the connection go ...
    held.release()  # ... before the join returned
    [ack] = await handled.wait_handled("join")
    return ack


async def roster(server: LiveServer, room: dict[str, Any]) -> list[str]:
    snapshot = await server.services.service.snapshot(room["room_id"])
    return sorted(p.display_name for p in snapshot.participants)


async def test_join_completing_after_its_connection_closed_leaves_no_ghost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        mentor = await SignalClient().connect(server.base_url)
        try:
            assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
            mentee_token = token_of(room["links"]["mentee"])

            ack = await join_then_close_mid_join(server, mentee_token, monkeypatch)

            assert ack["ok"] is False and ack["error"]["code"] == "not_joined", ack
            assert await roster(server, room) == ["Ada"]
            assert len(server.services.namespace.participants.sessions) == 1  # the mentor's only
            # Grace comes back on a new connection: a fresh join, announced to Ada.
            again = await SignalClient().connect(server.base_url)
            try:
                assert (await again.call("join", {"token": mentee_token}))["ok"]
                joined = await mentor.next_event("participant_joined")
                assert joined["participant"]["display_name"] == "Grace"
                assert await roster(server, room) == ["Ada", "Grace"]
            finally:
                await again.close()
        finally:
            await mentor.close()


async def test_second_tab_closing_mid_join_keeps_the_first_tab_in_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        mentee_token = token_of(room["links"]["mentee"])
        mentor = await SignalClient().connect(server.base_url)
        first_tab = await SignalClient().connect(server.base_url)
        try:
            assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
            assert (await first_tab.call("join", {"token": mentee_token}))["ok"]
            await mentor.next_event("participant_joined")

            ack = await join_then_close_mid_join(server, mentee_token, monkeypatch)

            assert ack["ok"] is False and ack["error"]["code"] == "not_joined", ack
            assert await roster(server, room) == ["Ada", "Grace"]
            assert first_tab.sio.connected and first_tab.events.empty()  # not replaced
            assert await first_tab.call("mute", {"kind": "audio", "muted": True}) == {"ok": True}
            muted = await mentor.next_event("track_muted")
            assert muted["kind"] == "audio" and muted["muted"] is True
        finally:
            await mentor.close()
            await first_tab.close()


async def test_tab_closing_mid_join_during_the_grace_period_keeps_the_seat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with live_server(disconnect_grace_s=60.0) as server:
        room = await server.create_room("Ada", "Grace")
        mentee_token = token_of(room["links"]["mentee"])
        mentor = await SignalClient().connect(server.base_url)
        try:
            assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
            dropped = await SignalClient().connect(server.base_url)
            assert (await dropped.call("join", {"token": mentee_token}))["ok"]
            await dropped.close()  # Grace's network drops: her seat is kept for the grace period
            await mentor.next_event("track_published")  # her tracks were withdrawn

            ack = await join_then_close_mid_join(server, mentee_token, monkeypatch)

            assert ack["ok"] is False and ack["error"]["code"] == "not_joined", ack
            assert await roster(server, room) == ["Ada", "Grace"]
            back = await SignalClient().connect(server.base_url)
            try:
                assert (await back.call("join", {"token": mentee_token}))["ok"]
            finally:
                await back.close()
        finally:
            await mentor.close()


async def test_tab_closing_while_its_join_replaces_the_old_tab_leaves_no_ghost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        mentee_token = token_of(room["links"]["mentee"])
        mentor = await SignalClient().connect(server.base_url)
        old_tab = await SignalClient().connect(server.base_url)
        try:
            assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
            assert (await old_tab.call("join", {"token": mentee_token}))["ok"]
            await mentor.next_event("participant_joined")
            # The new tab's join closes the old tab's media, and is held there: the
            # join has registered the new session by then, so the disconnect cleans it up.
            held = Held(server.services.sfu, "remove_peer", monkeypatch)
            handled = HandledEvents(server.services.namespace, monkeypatch)
            new_tab = await SignalClient().connect(server.base_url)
            await new_tab.sio.emit("join", {"token": mentee_token}, callback=ignore_ack)
            await held.wait_entered()
            await new_tab.close()
            await handled.wait_started("disconnect", 1)  # it waits for the join to finish
            held.release()
            [ack] = await handled.wait_handled("join")

            # Whether the ack says ok or not_joined, nobody reads it; it is no server error.
            assert ack["ok"] is True or ack["error"]["code"] == "not_joined", ack
            # Both tabs are gone: after the grace period (1 s here) Grace leaves the call.
            left = await mentor.next_event("participant_left")
            assert left["reason"] == "disconnected"
            assert await roster(server, room) == ["Ada"]
            sessions = server.services.namespace.participants.sessions
            assert sessions.keys() == {mentor.sio.get_sid("/")}
        finally:
            await mentor.close()
            await old_tab.close()


async def test_leave_waiting_behind_a_second_tabs_join_is_told_not_joined(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tab A's `leave` waits for the participant lock that tab B's join holds; B's join
    replaces A, so when A's leave runs its session is gone: `not_joined`, not a crash."""
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        token = token_of(room["links"]["mentee"])
        first = await SignalClient().connect(server.base_url)
        second = await SignalClient().connect(server.base_url)
        try:
            assert (await first.call("join", {"token": token}))["ok"]
            held = Held(server.services.store, "join", monkeypatch)
            handled = HandledEvents(server.services.namespace, monkeypatch)
            join = asyncio.create_task(second.call("join", {"token": token}))
            await held.wait_entered()  # B holds Grace's lock inside the store join
            await first.sio.emit("leave", {}, callback=ignore_ack)
            await handled.wait_started("leave", 1)
            held.release()
            [ack] = await handled.wait_handled("leave")
            assert ack["ok"] is False and ack["error"]["code"] == "not_joined", ack
            assert (await join)["ok"]
            assert await roster(server, room) == ["Grace"]  # B's seat is kept
        finally:
            await first.close()
            await second.close()


async def test_two_joining_at_once_each_learn_of_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ada's join takes its roster from the store, then opens her subscribe connection
    # before her connection enters the room's broadcast group. Grace joins entirely in
    # that window: her participant_joined goes to the room without Ada in it. Before,
    # Ada's ack named only herself, so her page never showed Grace (a CI breakout run
    # saw one tile of two after "call everyone back").
    from signaling.call_events import CallEvents

    original = CallEvents._open_subscriber
    entered, release = asyncio.Event(), asyncio.Event()

    async def held_once(self: CallEvents, session: Any) -> Any:
        if not entered.is_set():
            entered.set()
            await release.wait()
        return await original(self, session)

    monkeypatch.setattr(CallEvents, "_open_subscriber", held_once)
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        ada = await SignalClient().connect(server.base_url)
        grace = await SignalClient().connect(server.base_url)
        try:
            joining = asyncio.ensure_future(
                ada.call("join", {"token": token_of(room["links"]["mentor"])}))
            await asyncio.wait_for(entered.wait(), 10)
            grace_joining = asyncio.ensure_future(
                grace.call("join", {"token": token_of(room["links"]["mentee"])}))
            # Grace's join announces her (participant_joined) and then waits for Ada's
            # lock to renegotiate subscriptions: let it reach that point, then go on
            while await roster(server, room) != ["Ada", "Grace"]:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)
            release.set()
            ada_ack = await joining
            grace_ack = await grace_joining
            assert grace_ack["ok"], grace_ack
            assert {p["display_name"] for p in grace_ack["room"]["participants"]} == {
                "Ada", "Grace"}
            assert ada_ack["ok"], ada_ack
            known = {p["display_name"] for p in ada_ack["room"]["participants"]}
            if known != {"Ada", "Grace"}:  # or told by the event after the ack
                joined = await ada.next_event("participant_joined", timeout=3)
                known.add(joined["participant"]["display_name"])
            assert known == {"Ada", "Grace"}
        finally:
            await ada.close()
            await grace.close()
