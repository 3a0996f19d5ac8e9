"""The schedule page with more free times than one answer carries: it shows them page by
page, fetching the server's next page (its Link header) when "more" runs out."""

from __future__ import annotations

from playwright.async_api import expect

from rooms.clock import ManualClock
from tests.live_server import live_server
from tests.web.scheduling.client import ALL_WEEK

from .browser import chromium
from .test_schedule import T0, call_api, register, schedule_url, wait_ready, zoned_page

SHOWN_PER_CLICK = 24  # web/client/src/schedule/slots.js SLOTS_PER_PAGE
FETCHED = 200  # web/client/src/schedule/api.js SLOTS_PAGE


async def test_many_free_times_arrive_page_by_page() -> None:
    async with live_server(clock=ManualClock(T0.timestamp())) as server, chromium() as browser:
        mentor = await register(server, "Ada Lovelace", "mentor", "UTC")
        mentee = await register(server, "Kenji Sato", "mentee", "UTC")
        for person in (mentor, mentee):
            status, body = await call_api(server, "PUT", "/api/me/availability",
                                          person["token"], {"zone": "UTC", "weekly": ALL_WEEK})
            assert status == 200, body
        page = await zoned_page(browser, schedule_url(server, mentee, mentor), "mentee", "UTC",
                                T0)
        await wait_ready(page)
        summary = page.page.locator("#slots-summary")
        slots = page.page.locator(".slot")
        await expect(summary).to_contain_text(f"{FETCHED}+ times when you and Ada Lovelace")
        await expect(slots).to_have_count(SHOWN_PER_CLICK)
        clicks = FETCHED // SHOWN_PER_CLICK  # then more are shown than were fetched
        for _ in range(clicks):
            await page.page.locator("#more-slots").click()
        await expect(slots).to_have_count(SHOWN_PER_CLICK * (clicks + 1))
        await expect(summary).to_contain_text(f"{2 * FETCHED}+ times")
        starts = [str(await s.get_attribute("data-start")) for s in await slots.all()]
        assert starts == sorted(set(starts)), page.log()
