"""Real calls in headless Chromium against a live server: media flows, errors read well.

Kept to two tests (a call costs ~830 MiB and most of 2 cores). Set
MENTORCALL_SCREENSHOTS=/some/dir to keep screenshots of every state.
"""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import expect

from rooms.clock import ManualClock
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role, Room
from signaling.session import peer_id_for
from tests.live_server import LiveServer, live_server

from .browser import STEP_TIMEOUT_S, WEBSOCKET_SPY, BrowserPage, chromium, open_page

TIMEOUT_MS = STEP_TIMEOUT_S * 1000
PHONE = (390, 780)


def forged_link(
    server: LiveServer, room_id: str, identity: str, role: Role, clock: ManualClock | None = None
) -> str:
    """A join link signed with the server's secret for someone the room API did not invite."""
    signer = TokenSigner(server.secret, clock or ManualClock(time.time()))
    grant = JoinGrant(
        room_id=room_id,
        identity=identity,
        display_name="Extra Person",
        role=role,
        publish=True,
        subscribe=True,
    )
    return f"{server.base_url}/join#token={signer.issue(grant, ttl_s=60)}"


async def join(page: BrowserPage) -> None:
    """Wait for the camera preview, then press Join."""
    await page.wait_for_state("prejoin")
    await expect(page.page.locator("#status")).to_have_text(
        "Your camera and microphone are ready.", timeout=TIMEOUT_MS
    )
    await page.page.get_by_role("button", name="Join call").click()


async def assert_media_flows(page: BrowserPage) -> None:
    """Remote video keeps decoding (two samples >= 1 s apart) and remote audio has energy."""
    first = await page.wait_for_stats(lambda s: s["framesDecoded"] > 0, "no remote video frame")
    await asyncio.sleep(1.2)
    second = await page.remote_stats()
    assert second["framesDecoded"] > first["framesDecoded"], (first, second, page.log())
    await page.wait_for_stats(lambda s: s["totalAudioEnergy"] > 0, "no remote audio energy")


async def test_mentor_and_mentee_call_then_room_full_mute_and_leave() -> None:
    async with live_server() as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")

        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        await mentor.wait_for_state("prejoin")
        await expect(mentor.page.locator("#prejoin-who")).to_contain_text("Ada Lovelace")
        await expect(mentor.page.locator("#status")).to_have_text(
            "Your camera and microphone are ready.", timeout=TIMEOUT_MS
        )
        await mentor.page.wait_for_function(
            "() => document.getElementById('preview-video').videoWidth > 0"
        )
        await mentor.screenshot("prejoin")
        await mentor.page.get_by_role("button", name="Join call").click()

        # Alone: a calm waiting message naming the other role.
        await mentor.wait_for_state("waiting")
        await expect(mentor.page.locator("#waiting")).to_contain_text(
            "Waiting for your mentee to join…"
        )
        await mentor.screenshot("waiting")

        mentee = await open_page(
            browser, room["links"]["mentee"], "mentee", viewport=PHONE, init_script=WEBSOCKET_SPY
        )
        await join(mentee)
        await mentor.wait_for_state("in_call")
        await mentee.wait_for_state("in_call")

        await assert_media_flows(mentor)
        await assert_media_flows(mentee)
        mentor_view = mentor.page.locator(".remote-tile")
        await expect(mentor_view.locator(".label")).to_contain_text("Grace Hopper · Mentee")
        await expect(mentee.page.locator(".remote-tile .label")).to_contain_text(
            "Ada Lovelace · Mentor"
        )
        await mentor.screenshot("in-call-mentor")
        await mentee.screenshot("in-call-mentee-phone")

        # Each page has one subscribe connection, whose m-lines the server maps to the
        # other participant.
        for page in (mentor, mentee):
            stats = await page.remote_stats()
            assert stats["subscriptions"] == 1 and stats["subscriptionsStarted"] == 1, stats
        counts = server.services.sfu.connection_counts()
        assert (counts.publish, counts.subscribe, counts.subscribe_pairs) == (2, 2, 0), counts

        # The mentee's signaling connection drops: it reconnects and resumes with an ICE
        # restart of its own connections (the server held them); the mentor's subscribe
        # connection is not renegotiated at all and decodes the mentee again.
        before = await mentor.remote_stats()
        await mentee.drop_connection()
        await mentee.wait_for_state("reconnecting")
        await mentee.wait_for_state("in_call")
        resumed = await mentee.remote_stats()
        back = await mentor.remote_stats()
        await mentor.wait_for_stats(
            lambda s: (
                s["framesDecoded"] >= back["framesDecoded"] + 30
                and s["connectionStates"] == ["connected"]
            ),
            "mentor decodes no more of the reconnected mentee's video",
        )
        assert (await mentor.remote_stats())["offersAnswered"] == before["offersAnswered"]
        assert resumed["subscriptionsStarted"] == 1, resumed  # the same subscribe connection
        assert await mentor.state() == "in_call"
        await assert_media_flows(mentor)
        await assert_media_flows(mentee)

        # The server end of the mentor's subscribe connection dies (as a transport killed
        # by a bad packet would): the server sends media_failed and offers a new subscribe
        # connection, which the page answers.
        sfu = server.services.sfu
        before = await mentor.remote_stats()
        mentor_peer = peer_id_for(
            room["room_id"], await mentor.page.evaluate("() => window.mentorcall.identity")
        )
        subscribe_connection = sfu._subscribers[mentor_peer]
        await subscribe_connection.pc.getTransceivers()[0].receiver.transport.stop()
        await mentor.wait_for_stats(
            lambda s: (
                s["subscriptionsStarted"] > before["subscriptionsStarted"]
                and s["connectionStates"] == ["connected"]
            ),
            "mentor did not resubscribe after media_failed",
        )
        await assert_media_flows(mentor)

        # A third person (another mentee identity) cannot squeeze in.
        third_link = forged_link(server, room["room_id"], "u_third", Role.MENTEE)
        third = await open_page(browser, third_link, "third")
        await join(third)
        await third.wait_for_state("error")
        assert await third.page.evaluate("() => window.mentorcall.error") == "room_full"
        await expect(third.page.locator("#notice")).to_contain_text("This room is full")
        await third.screenshot("room-full")
        await third.context.close()

        # Mute shows on the other side; the call is unaffected.
        await mentee.page.locator(".controls").get_by_role("button", name="Mute microphone").click()
        await expect(mentor_view.locator(".mic-off")).to_be_visible()
        await mentee.page.locator(".controls").get_by_role("button", name="Turn camera off").click()
        await expect(mentor_view.locator(".remote-off")).to_contain_text("Camera off")
        await mentor.screenshot("in-call-mentor-remote-muted")

        # Leaving: the leaver sees a rejoin button, the other side is told.
        await mentee.page.get_by_role("button", name="Leave call").click()
        await mentee.wait_for_state("left")
        await expect(mentee.page.locator("#notice")).to_contain_text("You left the call")
        await expect(mentee.page.get_by_role("button", name="Rejoin")).to_be_visible()
        await mentor.wait_for_state("waiting")
        await expect(mentor.page.locator("#waiting")).to_contain_text("Grace Hopper left the call.")
        await mentee.screenshot("left-phone")
        await mentor.screenshot("other-left")


async def test_bad_links_and_blocked_camera_get_clear_messages() -> None:
    async with live_server() as server, chromium() as browser:
        room = await server.create_room()

        page = await open_page(browser, f"{server.base_url}/", "landing")
        await expect(page.page.locator("h1")).to_have_text(
            "Open the join link your programme sent you."
        )
        await page.screenshot("landing")

        await page.page.goto(f"{server.base_url}/join")
        await page.wait_for_state("error")
        await expect(page.page.locator("#notice")).to_contain_text("This link is incomplete")

        past = ManualClock(time.time() - 3600)
        await page.page.goto(f"{server.base_url}/")  # a fragment-only change would not reload
        await page.page.goto(forged_link(server, room["room_id"], "u_late", Role.MENTEE, past))
        await join(page)
        await page.wait_for_state("error")
        assert await page.page.evaluate("() => window.mentorcall.error") == "token_expired"
        await expect(page.page.locator("#notice")).to_contain_text(
            "This link has expired — ask your programme for a new one."
        )
        await page.screenshot("expired")

        tampered = room["links"]["mentor"][:-4] + "AAAA"
        await page.page.goto(f"{server.base_url}/")
        await page.page.goto(tampered)
        await join(page)
        await page.wait_for_state("error")
        assert await page.page.evaluate("() => window.mentorcall.error") == "token_invalid"

        # Camera and microphone blocked: offered to join without them, and that works.
        blocked = await open_page(
            browser,
            room["links"]["mentor"],
            "blocked",
            init_script=(
                "navigator.mediaDevices.getUserMedia = () => "
                "Promise.reject(new DOMException('blocked', 'NotAllowedError'));"
            ),
        )
        await blocked.wait_for_state("prejoin")
        await expect(blocked.page.locator("#media-note")).to_contain_text(
            "Your browser blocked the camera and microphone"
        )
        await blocked.screenshot("camera-blocked")
        await blocked.page.get_by_role("button", name="Join without camera").click()
        await blocked.wait_for_state("waiting")


async def test_call_ends_at_the_rooms_end_time() -> None:
    async with live_server() as server, chromium() as browser:
        services = server.services
        room = Room.coffee("ends-soon", duration_s=6, now=time.time())
        await services.store.create_room(room)
        grant = JoinGrant(
            room_id=room.room_id,
            identity="ada",
            display_name="Ada",
            role=Role.MENTOR,
            publish=True,
            subscribe=True,
        )
        link = f"{server.base_url}/join#token={services.signer.issue(grant, ttl_s=60)}"
        page = await open_page(browser, link, "mentor")
        await page.page.get_by_role("button", name="Join call").click()
        await page.wait_for_state("waiting", "in_call")
        assert await page.wait_for_state("ended", timeout=15) == "ended"
        await page.page.get_by_text("This session has ended").wait_for()
        await page.screenshot("room-ended")
        assert services.namespace.participants.sessions == {}
