"""A media connection the server cannot make (every network address the browser offers is
outside the allowed ICE networks, as for a stock Chromium on the server's own machine,
which offers no loopback address) is reported as such: the camera and microphone work,
the network path failed, and what to do about it on a loopback page. Before, the page
said "Your camera and microphone couldn't be shared", or that the connection to the
others "dropped", over and over."""

from __future__ import annotations

from playwright.async_api import expect

from tests.live_server import live_server

from .browser import chromium, open_page
from .test_browser_call import TIMEOUT_MS, join

LOOPBACK_ADVICE = (
    "Your camera and microphone work, but your browser couldn't open a media connection to "
    "this server, which takes media on this computer's loopback address: start Chrome or "
    "Chromium with --allow-loopback-in-peer-connection, or the server with "
    "MENTORCALL_ICE_ALLOWED_NETWORKS=127.0.0.0/8,::1/128,local (see \"Your first call\" in "
    "the README).")


async def test_a_refused_media_path_is_not_blamed_on_the_camera() -> None:
    # 203.0.113.0/24 (TEST-NET-3, documentation only): no address the browser offers
    async with live_server(ice_allowed_networks=("203.0.113.0/24",)) as server, \
            chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        mentee = await open_page(browser, room["links"]["mentee"], "mentee")
        await join(mentor)
        await mentor.wait_for_state("waiting")
        # its publish connection is refused at once (media_failed), its subscribe
        # connection fails (then " Trying again…"): whichever the page says last
        await expect(mentor.page.locator("#status")).to_contain_text(LOOPBACK_ADVICE,
                                                                      timeout=TIMEOUT_MS)
        await mentor.screenshot("media-path-refused-publish")
        await join(mentee)
        await mentee.wait_for_state("in_call")
        # the subscribe connection never connects: its watchdog asks for a new one
        await expect(mentee.page.locator("#status")).to_have_text(
            LOOPBACK_ADVICE + " Trying again…", timeout=3 * TIMEOUT_MS)
        await mentee.screenshot("media-path-refused-subscribe")
        for page in (mentor, mentee):
            assert "couldn't be shared" not in await page.text("#status")
