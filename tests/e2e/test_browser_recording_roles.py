"""Who records, and who is recorded, on the call page in headless Chromium: in a coffee
room whose rule is `either` the mentee records and stops from the page (and the button
follows an admin's change live); a roundtable observer's page never opens a camera or
microphone, shows no media buttons, is not asked for consent and is listed by nobody as
recorded. Screenshots to MENTORCALL_SCREENSHOTS when set."""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import expect

from tests.live_server import LiveServer, live_server
from web.recordings.setup import RECORDINGS

from .browser import STEP_TIMEOUT_S, chromium, open_page
from .test_browser_call import join
from .test_browser_roundtable import create_roundtable

TIMEOUT_MS = STEP_TIMEOUT_S * 1000

# Counts the page's getUserMedia calls (an observer's page must make none).
COUNT_CAPTURE = """(() => {
  window.__captures = 0;
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => { window.__captures += 1; return original(constraints); };
})()"""


async def set_policy(server: LiveServer, room_id: str, who: str) -> None:
    async with aiohttp.ClientSession() as http, http.put(
            f"{server.base_url}/api/rooms/{room_id}/recording-policy",
            json={"who_may_record": who},
            headers={"Authorization": f"Bearer {server.admin_key}"}) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 200, body


async def test_in_an_either_room_the_mentee_records_and_stops_from_the_page() -> None:
    async with live_server() as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        await set_policy(server, room["room_id"], "either")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        mentee = await open_page(browser, room["links"]["mentee"], "mentee")
        for page in (mentor, mentee):
            await join(page)
        for page in (mentor, mentee):
            await page.wait_for_state("in_call")
        record = mentee.page.locator("#rec-button")
        await expect(record).to_have_text("Record")
        await expect(mentor.page.locator("#rec-button")).to_be_visible()
        await mentee.screenshot("either-mentee-record-button")

        await record.click()
        for page in (mentor, mentee):
            await expect(page.page.locator("#rec-indicator")).to_be_visible(timeout=TIMEOUT_MS)
        await expect(mentee.page.locator("#rec-who")).to_have_text("Recorded: you")
        await expect(mentor.page.locator("#rec-consent")).to_contain_text(
            "Grace Hopper started recording this call.")
        recording = await server.app[RECORDINGS].store.active(room["room_id"])
        assert recording is not None
        assert recording.names.get(recording.started_by) == "Grace Hopper"
        await expect(record).to_have_text("Stop recording")
        await mentee.screenshot("either-mentee-recording")
        await record.click()
        for page in (mentor, mentee):
            await expect(page.page.locator("#rec-indicator")).to_be_hidden(timeout=TIMEOUT_MS)
        assert await server.app[RECORDINGS].store.active(room["room_id"]) is None

        # the admin narrows the rule while the call runs: the mentee's button goes
        await set_policy(server, room["room_id"], "mentor")
        await expect(record).to_be_hidden()
        await expect(mentor.page.locator("#rec-button")).to_be_visible()


async def test_an_observer_is_never_captured_asked_or_listed_as_recorded() -> None:
    async with live_server() as server, chromium() as browser:
        created = await create_roundtable(server, {
            "host_name": "Hana", "participants": [{"name": "Olu", "role": "observer"}]})
        links = created["links"]
        host = await open_page(browser, links["host"], "host")
        observer = await open_page(browser, links["participants"][0]["link"], "observer",
                                   init_script=COUNT_CAPTURE)
        await join(host)
        await observer.wait_for_state("prejoin")
        await expect(observer.page.locator("#status")).to_have_text(
            "You join to watch and listen: your camera and microphone stay off.")
        await expect(observer.page.locator("#prejoin-device-controls")).to_be_hidden()
        await observer.screenshot("observer-prejoin")
        await observer.page.get_by_role("button", name="Join call").click()
        for page in (host, observer):
            await page.wait_for_state("in_call")
        o = observer.page
        await expect(o.locator("#room-title")).to_have_text("Roundtable · you are Olu (observer)")
        for action in ("toggle-mic", "toggle-camera"):
            await expect(o.locator(f'#call [data-action="{action}"]')).to_be_hidden()
        await expect(o.locator("#self-off")).to_have_text("Watching only")
        for page in (host, observer):  # not "no microphone": they were never to have one
            await expect(page.page.locator("#rt-people")).to_contain_text("watching only")

        await host.page.locator("#rec-button").click()
        for page in (host, observer):
            await expect(page.page.locator("#rec-indicator")).to_be_visible(timeout=TIMEOUT_MS)
        await expect(host.page.locator("#rec-who")).to_have_text("Recorded: you")
        await expect(host.page.locator("#rec-missing")).to_have_text(
            "Not recorded: Olu (watching only)")
        await expect(o.locator("#rec-who")).to_have_text("Recorded: Hana")
        await expect(o.locator("#rec-missing")).to_have_text("Not recorded: you (watching only)")
        await expect(o.locator("#rec-consent")).to_be_hidden()
        await expect(o.locator("#rec-change")).to_be_hidden()
        await observer.screenshot("observer-while-recording")
        await host.screenshot("observer-host-recording")
        assert await o.evaluate("() => window.__captures") == 0
        assert await o.evaluate("() => window.mentorcall.peerConnections.publish === null")
