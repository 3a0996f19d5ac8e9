"""The browser asks for a fresh subscribe connection when only it sees the old one fail
(`subscriber_restart`): the server's own recovery is switched off, so nothing else
could bring the media back."""

from __future__ import annotations

from signaling.session import peer_id_for
from tests.live_server import live_server

from .browser import chromium, open_page
from .test_browser_call import assert_media_flows, join


async def test_a_subscribe_connection_only_the_browser_sees_fail_is_restarted() -> None:
    async with live_server() as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        mentee = await open_page(browser, room["links"]["mentee"], "mentee")
        await join(mentor)
        await join(mentee)
        await mentor.wait_for_state("in_call")
        await assert_media_flows(mentor)

        sfu = server.services.sfu
        sfu.on_peer_failed = None  # the server will not notice: only the browser can
        before = await mentor.remote_stats()
        mentor_peer = peer_id_for(
            room["room_id"], await mentor.page.evaluate("() => window.mentorcall.identity"))
        await sfu._subscribers[mentor_peer].pc.getTransceivers()[0].receiver.transport.stop()
        await mentor.wait_for_stats(
            lambda s: (
                s["subscriberRestarts"] > before["subscriberRestarts"]
                and s["subscriptionsStarted"] > before["subscriptionsStarted"]
                and s["connectionStates"] == ["connected"]
            ),
            "mentor did not ask for a fresh subscribe connection",
            timeout=60,
        )
        await assert_media_flows(mentor)
        assert sfu.connection_counts().subscribe == 2
