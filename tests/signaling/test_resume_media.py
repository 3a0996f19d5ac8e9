"""What a node does with a dropped participant's media connections (docs/protocol.md,
Resume): it holds them for the grace period and restarts their ICE for a client that
resumes asking for it; it gives them up when the grace ends, when they failed meanwhile,
or when the client does not ask (then new connections, as before)."""

from __future__ import annotations

import asyncio
from typing import Any

from media.sfu import Sfu
from signaling.session import peer_id_for
from tests.live_server import LiveServer, free_port, live_server, token_of

from .client import SignalClient
from .resuming import ResumingClient

GRACE_S = 3.0


async def start(server: LiveServer, reports: list[dict[str, Any]],
                ) -> tuple[SignalClient, ResumingClient, str, str]:
    """A mentor (signaling only) and a mentee that publishes; the mentee's peer id."""
    room = await server.create_room("Ada", "Grace")
    mentor = await SignalClient().connect(server.base_url)
    assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
    mentee = ResumingClient(server.base_url, token_of(room["links"]["mentee"]),
                            report=reports.append)
    await mentee.start()
    return mentor, mentee, room["room_id"], peer_id_for(room["room_id"], mentee.identity)


async def drop(mentor: SignalClient, mentee: ResumingClient, unreachable: bool) -> str:
    """Cut the mentee's Socket.IO connection (keeping it away if ``unreachable``); once
    the server noticed (its tracks withdrawn), the entry address it comes back to."""
    entry = mentee.entry_url
    if unreachable:
        mentee.entry_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert mentee.current is not None
    mentor.drain()
    await mentee.current.signal.sio.eio.disconnect(abort=True)
    gone = await mentor.next_event("track_published")
    assert gone == {"identity": mentee.identity, "tracks": []}
    return entry


async def connected(pcs: tuple[Any, Any]) -> None:
    async with asyncio.timeout(10):
        while any(pc.connectionState != "connected" for pc in pcs):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def held(sfu: Sfu, peer_id: str) -> tuple[Any, Any] | None:
    """The peer's publish and subscribe connections if the SFU still has them."""
    publication, subscriber = sfu._publications.get(peer_id), sfu._subscribers.get(peer_id)
    if publication is None or subscriber is None:
        return None
    return publication.pc, subscriber.pc


async def test_the_node_holds_a_dropped_clients_media_for_the_grace_period_only() -> None:
    async with live_server(disconnect_grace_s=GRACE_S, presence_interval_s=0.5) as server:
        reports: list[dict[str, Any]] = []
        mentor, mentee, _, peer_id = await start(server, reports)
        try:
            sfu = server.services.sfu
            before = held(sfu, peer_id)
            assert before is not None
            await connected(before)
            await drop(mentor, mentee, unreachable=True)
            assert held(sfu, peer_id) == before  # kept for a resume
            assert all(pc.connectionState == "connected" for pc in before)
            left = await mentor.next_event("participant_left", timeout=GRACE_S + 5)
            assert left["identity"] == mentee.identity
            assert held(sfu, peer_id) is None  # the grace ended: closed
            assert all(pc.connectionState == "closed" for pc in before)
        finally:
            await mentee.close()
            await mentor.close()


async def test_a_resume_whose_held_connections_failed_gets_new_ones() -> None:
    async with live_server(disconnect_grace_s=GRACE_S * 4) as server:
        reports: list[dict[str, Any]] = []
        mentor, mentee, _, peer_id = await start(server, reports)
        try:
            sfu = server.services.sfu
            before = held(sfu, peer_id)
            assert before is not None
            first_subscription = mentee.joins[-1]["subscriber_offer"]["subscription_id"]
            entry = await drop(mentor, mentee, unreachable=True)
            await before[1].close()  # its subscribe connection failed meanwhile
            mentee.entry_url = entry
            back = await mentor.next_event("track_published", timeout=15)
            assert back["identity"] == mentee.identity and back["tracks"]
            ack = mentee.joins[-1]
            assert ack["resumed"] is True and ack["ice_restart"] is False
            assert ack["subscriber_offer"]["subscription_id"] != first_subscription
            now = held(sfu, peer_id)
            assert now is not None and now[0] is not before[0] and now[1] is not before[1]
            assert before[0].connectionState == "closed"  # the held one was given up
        finally:
            await mentee.close()
            await mentor.close()


async def test_a_client_that_does_not_ask_for_an_ice_restart_gets_new_connections(
        ) -> None:
    async with live_server(disconnect_grace_s=GRACE_S * 4) as server:
        reports: list[dict[str, Any]] = []
        mentor, mentee, _, peer_id = await start(server, reports)
        try:
            mentee.restart_ice = False  # an older client: it closes its connections
            sfu = server.services.sfu
            before = held(sfu, peer_id)
            assert before is not None
            await drop(mentor, mentee, unreachable=False)
            back = await mentor.next_event("track_published", timeout=15)
            assert back["identity"] == mentee.identity and back["tracks"]
            assert mentee.joins[-1]["resumed"] is True
            assert mentee.joins[-1]["ice_restart"] is False
            now = held(sfu, peer_id)
            assert now is not None and now[0] is not before[0] and now[1] is not before[1]
            assert all(pc.connectionState == "closed" for pc in before)
        finally:
            await mentee.close()
            await mentor.close()
