"""Recording in headless Chromium: the mentor records, both pages show it, the mentee
is asked for consent. Screenshots to MENTORCALL_SCREENSHOTS when set."""

from __future__ import annotations

from playwright.async_api import expect

from tests.live_server import live_server
from web.recordings.setup import RECORDINGS

from .browser import STEP_TIMEOUT_S, chromium, open_page
from .test_browser_call import PHONE, join

TIMEOUT_MS = STEP_TIMEOUT_S * 1000


async def test_the_mentor_records_both_pages_show_it_and_the_mentee_is_asked() -> None:
    async with live_server() as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        mentor = await open_page(browser, room["links"]["mentor"], "mentor")
        mentee = await open_page(browser, room["links"]["mentee"], "mentee", viewport=PHONE)
        for page in (mentor, mentee):
            await join(page)
        for page in (mentor, mentee):
            await page.wait_for_state("in_call")
        record = mentor.page.locator("#rec-button")
        await expect(record).to_have_text("Record")
        await expect(mentee.page.locator("#rec-button")).to_be_hidden()  # mentor only

        await record.click()
        for page in (mentor, mentee):
            indicator = page.page.locator("#rec-indicator")
            await expect(indicator).to_be_visible(timeout=TIMEOUT_MS)
            await expect(indicator).to_contain_text("Recording")
        await expect(mentor.page.locator("#rec-who")).to_have_text("Recorded: you")
        await expect(mentor.page.locator("#rec-missing")).to_have_text(
            "Not recorded: Grace Hopper (not answered yet)")
        dialog = mentee.page.locator("#rec-consent")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("Ada Lovelace started recording this call.")
        await expect(mentor.page.locator("#rec-consent")).to_be_hidden()  # starting is a yes
        await mentor.screenshot("recording-mentor-started")
        await mentee.screenshot("recording-mentee-consent-dialog")

        await mentee.page.get_by_role("button", name="Decline, don't record me").click()
        await expect(dialog).to_be_hidden()
        await expect(mentor.page.locator("#rec-missing")).to_have_text(
            "Not recorded: Grace Hopper (declined)")
        await mentor.screenshot("recording-mentor-mentee-declined")

        await mentee.page.get_by_role("button", name="Record me").click()  # changes her mind
        await mentee.page.get_by_role("button", name="Accept, record me").click()
        await expect(mentor.page.locator("#rec-who")).to_have_text(
            "Recorded: you, Grace Hopper")
        await expect(mentee.page.locator("#rec-who")).to_have_text(
            "Recorded: you, Ada Lovelace")
        await expect(mentee.page.locator("#rec-change")).to_have_text("Don't record me")
        await mentee.screenshot("recording-mentee-accepted")
        recording = await server.app[RECORDINGS].store.active(room["room_id"])
        assert recording is not None
        assert [e.decision.value for e in recording.consent] == [
            "accepted", "declined", "accepted"]

        await expect(record).to_have_text("Stop recording")
        await record.click()
        for page in (mentor, mentee):
            await expect(page.page.locator("#rec-indicator")).to_be_hidden(timeout=TIMEOUT_MS)
            await expect(page.page.locator("#rec-note")).to_have_text(
                "The recording has stopped.")
        await mentee.screenshot("recording-stopped-mentee")
