"""The schedule page on the night a clock goes back: a wall time then happens twice, so
the page writes the server's UTC offset beside the times that would read alike, and
leaves ordinary days as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import expect

from rooms.clock import ManualClock
from tests.live_server import live_server
from tests.web.scheduling.client import ALL_WEEK
from tests.web.test_client_time import FALL_BACK_DAY

from .browser import chromium
from .test_schedule import DASH, call_api, register, schedule_url, shot, wait_ready, zoned_page

LORD_HOWE = "Australia/Lord_Howe"  # Sunday 4 April 2027: 02:00 (UTC+11) -> 01:30 (UTC+10:30)
CHATHAM = "Pacific/Chatham"
MONDAY = datetime(2027, 3, 29, 0, 0, tzinfo=UTC)

ORDINARY_DAY = [f"{start}{DASH}{end}" for start, end in [
    ("01:00", "01:30"), ("01:15", "01:45"), ("01:30", "02:00"), ("01:45", "02:15"),
    ("02:00", "02:30"), ("02:15", "02:45"), ("02:30", "03:00")]]


async def test_slots_at_a_fall_back_show_offsets_and_ordinary_days_do_not() -> None:
    async with live_server(clock=ManualClock(MONDAY.timestamp())) as server, \
            chromium() as browser:
        lina = await register(server, "Lina Howe", "mentee", LORD_HOWE)
        chad = await register(server, "Chad Chatham", "mentor", CHATHAM)
        for person, zone, weekly in ((lina, LORD_HOWE, {"sun": [["01:00", "03:00"]]}),
                                     (chad, CHATHAM, ALL_WEEK)):
            status, body = await call_api(server, "PUT", "/api/me/availability",
                                          person["token"], {"zone": zone, "weekly": weekly})
            assert status == 200, body

        page = await zoned_page(browser, schedule_url(server, lina, chad), "lina", LORD_HOWE,
                                MONDAY)
        await wait_ready(page)
        days = page.page.locator(".slot-day")
        await expect(days).to_have_count(2)
        await expect(days.nth(0).locator("h3")).to_have_text("Sun 4 Apr")
        await expect(days.nth(0).locator(".mine")).to_have_text(FALL_BACK_DAY)
        await expect(days.nth(1).locator("h3")).to_have_text("Sun 11 Apr")
        await expect(days.nth(1).locator(".mine")).to_have_text(ORDINARY_DAY)
        # Chatham's clock goes back that night too, but its times listed read once each.
        await expect(days.nth(0).locator(".theirs").first).to_have_text(
            "Sun 4 Apr, 02:45 in Chatham")
        await shot(page, "schedule-slots-fall-back", "#find")

        # Booked, the span across the change keeps its offsets in Upcoming sessions.
        booked = f"Sun 4 Apr, 01:30 (UTC+11){DASH}01:30 (UTC+10:30)"
        await page.page.get_by_role("button", name=f"Book {booked}").click()
        await expect(page.page.locator("#upcoming-notice")).to_have_text(
            f"Booked: {booked} with Chad Chatham.")
        item = page.page.locator("li.booking")
        await expect(item.locator(".booking-time")).to_have_text(
            f"01:30 (UTC+11){DASH}01:30 (UTC+10:30)")
        await shot(page, "schedule-upcoming-fall-back", "#upcoming")
        await item.locator(".reschedule").click()
        await expect(page.page.locator("#reschedule-text")).to_have_text(
            f"Moving your session with Chad Chatham on {booked}. Pick a new time below.")
        await page.page.locator("#reschedule-stop").click()
        await item.locator(".cancel").click()
        await page.page.get_by_role("button", name="Yes, cancel it").click()
        await expect(page.page.locator("#upcoming-notice")).to_have_text(
            "Cancelled your session with Chad Chatham on Sun 4 Apr, 01:30 (UTC+11).")
