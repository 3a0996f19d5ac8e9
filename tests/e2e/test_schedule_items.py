"""The schedule page lists the person's open action items (those of their mentoring
pairs, from the sessions' notes); ticking one closes it in the pair's list."""

from __future__ import annotations

from playwright.async_api import expect

from rooms.clock import ManualClock
from rooms.notes.model import ActionItem, pair_scope
from tests.live_server import live_server

from .browser import chromium
from .test_schedule import T0, register, schedule_url, shot, wait_ready, zoned_page


async def test_open_items_listed_and_closed_from_the_schedule_page() -> None:
    async with live_server(clock=ManualClock(T0.timestamp())) as server, chromium() as browser:
        mentor = await register(server, "Ada Lovelace", "mentor", "UTC")
        mentee = await register(server, "Kenji Sato", "mentee", "UTC")
        scope = pair_scope(mentor["identity"], mentee["identity"])
        await server.services.notes.store.upsert_items(scope, [
            ActionItem(id="draft", text="Draft the portfolio intro", owner=mentee["identity"],
                       due="2030-02-01", created_in="coffee-1"),
            ActionItem(id="done-already", text="Read the style guide", done=True,
                       created_in="coffee-1"),
        ])
        page = await zoned_page(browser, schedule_url(server, mentee, mentor), "mentee", "UTC",
                                T0)
        await wait_ready(page)
        items = page.page.locator("#actions-list .action-item")
        await expect(items).to_have_count(1)
        await expect(items).to_contain_text("Draft the portfolio intro")
        await expect(items).to_contain_text("with Ada Lovelace · owner: you · due 2030-02-01")
        await shot(page, "schedule-open-items", "#actions")
        await items.get_by_role("checkbox").click()  # the row goes once the server closed it
        await expect(items).to_have_count(0)
        await expect(page.page.locator("#actions-empty")).to_be_visible()
        stored = {i.id: i.done for i in await server.services.notes.items(scope)}
        assert stored == {"draft": True, "done-already": True}
