"""A mentor with two mentees in headless Chromium: their schedule page shows both matches,
each with its own offered times (the times never collide), and the mentor books the second
mentee's first session from it (review finding 7)."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
from playwright.async_api import expect

from rooms.clock import ManualClock
from tests.live_server import live_server
from tests.web.programmes.test_api import Api
from tests.web.programmes.test_limits import CAP2

from .browser import chromium
from .test_schedule import LAPTOP, wait_ready, zoned_page

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
PARIS = "Europe/Paris"


async def test_a_mentor_sees_and_books_each_mentee() -> None:
    async with live_server(ManualClock(T0.timestamp())) as server, \
            aiohttp.ClientSession() as http, chromium() as browser:
        api = Api(server, http)
        _, programme = await api.admin("POST", "/api/programmes", {"name": "Cap2"})
        base = f"/api/programmes/{programme['programme_id']}"
        _, imported = await api.admin("POST", base + "/people.csv", raw=CAP2)
        links = {p["key"]: p["schedule_link"] for p in imported["people"]}
        await api.admin("POST", base + "/matching", {})
        status, _ = await api.admin("POST", base + "/publish")
        assert status == 200

        mo = await zoned_page(browser, links["mo"], "mentor", PARIS, T0, LAPTOP)
        await wait_ready(mo)
        match = mo.page.locator("#match")
        await expect(match.locator("#match-heading")).to_have_text("Your mentee: Xia One")
        more = match.locator(".match-more")
        await expect(more).to_have_count(1)
        await expect(more.locator("h3")).to_have_text("Your mentee: Xu Two")
        await expect(more.locator(".match-why")).to_contain_text("(your time)")
        first = match.locator("#match-times .match-time")
        second = more.locator(".match-time")
        await expect(first).to_have_count(3)
        await expect(second).to_have_count(3)
        offered = [await i.get_attribute("data-start") for i in await first.all()]
        other = [await i.get_attribute("data-start") for i in await second.all()]
        assert not set(offered) & set(other)
        await expect(second.first.locator(".theirs")).to_contain_text("for Xu Two in Paris")
        await second.first.get_by_role("button", name="Accept").click()
        await expect(mo.page.locator("#upcoming-notice")).to_contain_text("with Xu Two.")
        await expect(more.locator(".match-time")).to_have_count(0)
        await expect(more.locator(".match-times-intro")).to_contain_text(
            "Your first session is booked for")
        await expect(first).to_have_count(3)  # Xia's times are still on offer
