"""The whole recording flow in headless Chromium, for real: a mentor and a mentee in a
coffee call (fake camera and microphone), the mentor records, the mentee accepts, both
pages show the indicator; about 6 s later the mentor stops. An admin page signs in,
finds the recording, watches its composition (a child process) finish, and plays the
composed file and then one per-track file. Screenshots to MENTORCALL_SCREENSHOTS."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from playwright.async_api import Page, expect

from rooms.recordings.model import CompositionState, FileKind
from tests.live_server import live_server
from web.recordings.setup import RECORDINGS

from .browser import STEP_TIMEOUT_S, BrowserPage, chromium, open_page
from .test_browser_call import PHONE, join

TIMEOUT_MS = STEP_TIMEOUT_S * 1000
RECORD_S = 6.0
COMPOSE_TIMEOUT_MS = 40_000  # a small picture (below) keeps the child quick


async def full_page(page: BrowserPage, name: str) -> None:
    folder = os.environ.get("MENTORCALL_SCREENSHOTS")
    if folder:
        await page.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def plays(p: Page, name: str) -> None:
    """The page's <video> plays the file ``name``: currentTime passes 1 s."""
    await p.wait_for_function(
        """name => { const v = document.getElementById('player');
                    return v.src.includes(`/files/${name}?`) && v.readyState > 0
                      && v.currentTime < 1.0; }""", arg=name, timeout=TIMEOUT_MS)
    await p.locator("#player").evaluate("v => { v.muted = true; return v.play(); }")
    try:
        await p.wait_for_function(
            "() => document.getElementById('player').currentTime > 1.0", timeout=TIMEOUT_MS)
    except Exception as exc:
        state = await p.locator("#player").evaluate(
            "v => ({src: v.src, t: v.currentTime, error: v.error && v.error.message,"
            " ready: v.readyState})")
        raise AssertionError(f"{name} does not play: {state}") from exc


async def test_record_a_call_then_an_admin_plays_the_composed_file_and_a_track() -> None:
    async with live_server(composition_width=320, composition_height=240,
                           composition_fps=15) as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        mentee = await open_page(browser, room["links"]["mentee"], "mentee", viewport=PHONE)
        for page in (mentor, mentee):
            await join(page)
        for page in (mentor, mentee):
            await page.wait_for_state("in_call")
        await mentor.wait_for_stats(lambda s: s["framesDecoded"] > 0, "no remote video")

        record = mentor.page.locator("#rec-button")
        await record.click()
        await mentee.page.get_by_role("button", name="Accept, record me").click()
        for page in (mentor, mentee):
            indicator = page.page.locator("#rec-indicator")
            await expect(indicator).to_be_visible(timeout=TIMEOUT_MS)
            await expect(indicator).to_contain_text("Recording")
        await expect(mentor.page.locator("#rec-who")).to_have_text(
            "Recorded: you, Grace Hopper")
        await expect(mentee.page.locator("#rec-who")).to_have_text(
            "Recorded: you, Ada Lovelace")
        await mentor.screenshot("flow-1-mentor-recording")
        await mentee.screenshot("flow-2-mentee-recording")
        recording = await server.app[RECORDINGS].store.active(room["room_id"])
        assert recording is not None
        recording_id = recording.recording_id

        await asyncio.sleep(RECORD_S)
        await record.click()
        for page in (mentor, mentee):
            await expect(page.page.locator("#rec-indicator")).to_be_hidden(timeout=TIMEOUT_MS)
        await mentor.screenshot("flow-3-mentor-stopped")

        admin = await open_page(browser, server.base_url + "/admin/recordings", "admin",
                                viewport=(1100, 900))
        p = admin.page
        await p.locator("#credential").fill(server.admin_key)
        await p.locator("#signin-button").click()
        card = p.locator(f'.recording[data-id="{recording_id}"]')
        await expect(card).to_contain_text("Finished", timeout=TIMEOUT_MS)
        await expect(card.locator(".composition")).to_be_visible()
        await admin.screenshot("flow-4-admin-list")
        # the page keeps asking while the one file waits or is made, and shows it ready
        await expect(card).to_contain_text("One file for the session: ready · 100 %",
                                           timeout=COMPOSE_TIMEOUT_MS)
        stored = await server.app[RECORDINGS].store.get(recording_id)
        assert stored is not None and stored.composition.state is CompositionState.DONE
        tracks = [f for f in stored.files if f.kind is FileKind.TRACK]
        assert {f.track_kind.value for f in tracks if f.track_kind} == {"audio", "video"}
        assert len({f.peer for f in tracks}) == 2, stored.files

        await card.locator("button.open").click()
        await expect(p.locator("#detail")).to_be_visible()
        await expect(p.locator("#player-label")).to_contain_text("whole session")
        await plays(p, "composed.webm")
        await full_page(admin, "flow-5-admin-composed-playing")

        video_track = next(f for f in tracks if f.track_kind and f.track_kind.value == "video")
        await p.get_by_role("button", name=f"Play {video_track.name}").click()
        await expect(p.locator("#player-label")).to_contain_text("Playing one track")
        await plays(p, video_track.name)
        await full_page(admin, "flow-6-admin-track-playing")
        errors = [line for page in (mentor, mentee, admin) for line in page.console
                  if line.startswith("pageerror")]
        assert not errors, errors
