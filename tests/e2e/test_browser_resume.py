"""A page whose connection drops comes back by itself: it shows "Reconnecting…" while
the server cannot be reached, then resumes its seat (the other page never sees it
leave) and the media flows again, without a click, on the same peer connections (both
the page's and the server's) after an ICE restart with new credentials; after the
grace period it says that its place was given up and joins again as a new arrival."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import expect

from media.ice_restart import restart_count
from signaling.session import peer_id_for
from tests.live_server import live_server

from .browser import WEBSOCKET_SPY, BrowserPage, chromium, open_page
from .test_browser_call import TIMEOUT_MS, assert_media_flows, join


async def history(page: BrowserPage) -> list[str]:
    states: list[str] = await page.page.evaluate("() => window.mentorcall.stateHistory")
    return states


# Keep the page's peer connections and their remote ICE usernames (in the page)
KEEP_CONNECTIONS = """() => {
  const pcs = window.mentorcall.peerConnections;
  const ufrag = (pc) => pc.remoteDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];
  window.keptConnections = { pcs, ufrags: [ufrag(pcs.publish), ufrag(pcs.subscribe)] };
}"""
# Whether they are still the page's, connected, and their remote ICE usernames now
KEPT_CONNECTIONS = """() => {
  const kept = window.keptConnections;
  const pcs = window.mentorcall.peerConnections;
  const ufrag = (pc) => pc.remoteDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];
  return {
    same: pcs.publish === kept.pcs.publish && pcs.subscribe === kept.pcs.subscribe,
    states: [pcs.publish.connectionState, pcs.subscribe.connectionState],
    ufrags: [ufrag(pcs.publish), ufrag(pcs.subscribe)],
    before: kept.ufrags,
    restarts: window.mentorcall.iceRestarts,
  };
}"""


async def wait_kept_connected(page: BrowserPage) -> dict[str, Any]:
    """The kept connections once both are connected with new credentials again. The
    subscribe connection's restart offer comes with the join ack and the publish
    connection's answer after it: neither connection leaves "connected" meanwhile (media
    stays on the old path), so wait for both ufrags to change, not for either."""
    async with asyncio.timeout(TIMEOUT_MS / 1000):
        while True:
            kept: dict[str, Any] = await page.page.evaluate(KEPT_CONNECTIONS)
            if kept["states"] == ["connected", "connected"] and all(
                    now != before for now, before in zip(kept["ufrags"], kept["before"],
                                                         strict=True)):
                return kept
            await asyncio.sleep(0.1)


async def cut_off(page: BrowserPage, seconds: float, shot: str | None = None) -> None:
    """The page loses the server for ``seconds``: its WebSockets close and no new one
    can be opened (the browser is offline) until then."""
    await page.context.set_offline(True)
    try:
        await page.drop_connection()
        await page.wait_for_state("reconnecting")
        await expect(page.page.locator("#waiting")).to_contain_text(
            "Connection lost. Reconnecting…")
        if shot:
            await page.screenshot(shot)
        await asyncio.sleep(seconds)
        assert await page.state() == "reconnecting"  # still cut off: still trying
    finally:
        await page.context.set_offline(False)


async def test_a_dropped_page_resumes_by_itself_and_says_so_after_the_grace() -> None:
    async with live_server(disconnect_grace_s=30.0) as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        mentee = await open_page(browser, room["links"]["mentee"], "mentee",
                                 init_script=WEBSOCKET_SPY)
        await join(mentor)
        await join(mentee)
        await mentor.wait_for_state("in_call")
        await mentee.wait_for_state("in_call")
        await assert_media_flows(mentor)
        identity = await mentee.page.evaluate("() => window.mentorcall.identity")
        mentor_states = len(await history(mentor))
        await mentee.page.evaluate(KEEP_CONNECTIONS)
        peer_id = peer_id_for(room["room_id"], identity)
        sfu = server.services.sfu
        server_pcs = (sfu._publications[peer_id].pc, sfu._subscribers[peer_id].pc)

        await cut_off(mentee, 3.0, shot="resume-reconnecting")
        await mentee.wait_for_state("in_call")  # no click
        await expect(mentee.page.locator("#status")).to_have_text("Reconnected.",
                                                                  timeout=TIMEOUT_MS)
        assert await mentee.page.evaluate("() => window.mentorcall.identity") == identity
        # the same peer connections, on both sides, restarted ICE: connected again with
        # new credentials, no new DTLS handshake
        kept = await wait_kept_connected(mentee)
        assert kept["same"] and kept["restarts"] == 1, kept
        assert (sfu._publications[peer_id].pc, sfu._subscribers[peer_id].pc) == server_pcs
        async with asyncio.timeout(TIMEOUT_MS / 1000):  # the server's checks succeeded
            while [restart_count(pc) for pc in server_pcs] != [1, 1]:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        assert all(pc.connectionState == "connected" for pc in server_pcs)
        assert (await mentee.page.evaluate(KEPT_CONNECTIONS))["states"] == [
            "connected", "connected"]
        await assert_media_flows(mentee)
        await assert_media_flows(mentor)
        await mentee.screenshot("resume-back-in-call")
        # the mentor never saw the mentee leave: its page stayed in the call
        assert set((await history(mentor))[mentor_states:]) <= {"in_call"}
        snapshot = await server.services.service.snapshot(room["room_id"])
        assert len(snapshot.participants) == 2

    async with live_server(disconnect_grace_s=1.0, presence_interval_s=0.5) as server, \
            chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        mentee = await open_page(browser, room["links"]["mentee"], "mentee",
                                 init_script=WEBSOCKET_SPY)
        await join(mentor)
        await join(mentee)
        await mentee.wait_for_state("in_call")
        await cut_off(mentee, 4.0)  # longer than the grace period
        await mentor.wait_for_state("waiting")  # the mentor saw the mentee's seat go
        await mentee.wait_for_state("in_call")
        await expect(mentee.page.locator("#status")).to_have_text(
            "You were away too long to keep your place, so you rejoined the call as a new "
            "arrival.", timeout=TIMEOUT_MS)
        await mentee.screenshot("resume-after-grace")
        await mentor.wait_for_state("in_call")
        await assert_media_flows(mentor)


async def test_a_stale_window_coming_back_leaves_the_call_to_the_newer_one() -> None:
    """The mentee's window A drops; they open the same link in window B and carry on. When
    A's network comes back, its resume is refused (``resume_invalid``: B joined since), and
    A stops with "You joined from somewhere else" instead of joining afresh and taking the
    call back from B; its "Use this window instead" button does take it back."""
    async with live_server(disconnect_grace_s=30.0) as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        window_a = await open_page(browser, room["links"]["mentee"], "mentee A",
                                   init_script=WEBSOCKET_SPY)
        await join(mentor)
        await join(window_a)
        await window_a.wait_for_state("in_call")

        await window_a.context.set_offline(True)
        await window_a.drop_connection()
        await window_a.wait_for_state("reconnecting")
        window_b = await open_page(browser, room["links"]["mentee"], "mentee B")
        await join(window_b)
        await window_b.wait_for_state("in_call")
        await window_a.context.set_offline(False)

        await window_a.wait_for_state("replaced")
        notice = window_a.page.locator("#notice")
        await expect(notice).to_contain_text("You joined from somewhere else")
        await expect(window_a.page.locator("#status")).to_have_text(
            "This window's connection to the call was taken over or is out of date. "
            "Join again to carry on.")
        await window_a.screenshot("resume-invalid-stale-window")
        assert "replaced" not in await history(window_b)
        assert await window_b.state() == "in_call"
        await assert_media_flows(window_b)
        await assert_media_flows(mentor)

        await window_a.page.get_by_role("button", name="Use this window instead").click()
        await window_a.wait_for_state("in_call")
        await window_b.wait_for_state("replaced")
        await assert_media_flows(window_a)
